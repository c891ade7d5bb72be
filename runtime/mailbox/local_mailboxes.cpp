#include "runtime/mailbox/local_mailboxes.hpp"

#include <mutex>

#include <caf/actor_cast.hpp>

namespace bsm {

void local_mailboxes::publish(const std::string& target, caf::actor_addr box) {
  std::unique_lock<std::shared_mutex> guard{mtx_};
  boxes_[target] = std::move(box);
}

void local_mailboxes::withdraw(const std::string& target,
                               const caf::actor_addr& box) {
  std::unique_lock<std::shared_mutex> guard{mtx_};
  auto i = boxes_.find(target);
  if (i != boxes_.end() && i->second == box)
    boxes_.erase(i);
}

caf::strong_actor_ptr local_mailboxes::find(const std::string& target) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  auto i = boxes_.find(target);
  if (i == boxes_.end())
    return nullptr;
  return caf::actor_cast<caf::strong_actor_ptr>(i->second);
}

size_t local_mailboxes::size() const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  return boxes_.size();
}

} // namespace bsm
