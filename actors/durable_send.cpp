#include "actors/durable_send.hpp"

namespace bsm {

caf::actor direct_mailbox(const local_mailboxes* mailboxes,
                          const cluster::directory* directory,
                          const std::string& target) {
  if (mailboxes == nullptr)
    return nullptr;
  if (directory != nullptr && directory->placement_of(target))
    return nullptr;
  return caf::actor_cast<caf::actor>(mailboxes->find(target));
}

} // namespace bsm
