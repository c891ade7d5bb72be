#include "runtime/events/topic_interest.hpp"

namespace bsm::events {

void topic_interest::add(const topic_pattern& pattern) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto [i, fresh] = patterns_.try_emplace(pattern.str(), held{pattern, 0});
  ++i->second.subscriptions;
  if (fresh)
    patterns_held_.store(patterns_.size(), std::memory_order_release);
}

void topic_interest::remove(const topic_pattern& pattern) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = patterns_.find(pattern.str());
  if (i == patterns_.end() || --i->second.subscriptions > 0)
    return;
  patterns_.erase(i);
  patterns_held_.store(patterns_.size(), std::memory_order_release);
}

bool topic_interest::wants(std::string_view topic) const {
  if (patterns_held_.load(std::memory_order_acquire) == 0)
    return false;
  std::lock_guard<std::mutex> guard{mtx_};
  for (const auto& [text, entry] : patterns_)
    if (entry.pattern.matches(topic))
      return true;
  return false;
}

} // namespace bsm::events
