#include "runtime/mailbox/mailbox_depths.hpp"

namespace bsm {

mailbox_depths::slot mailbox_depths::slot_of(const std::string& target) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& result = slots_[target];
  if (!result)
    result = std::make_shared<std::atomic<uint64_t>>(0);
  return result;
}

std::map<std::string, uint64_t> mailbox_depths::snapshot() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::map<std::string, uint64_t> result;
  for (const auto& [target, depth] : slots_)
    result.emplace(target, depth->load(std::memory_order_relaxed));
  return result;
}

} // namespace bsm
