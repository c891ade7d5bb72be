#include "runtime/timing/deadline_set.hpp"

namespace bsm::timing {

bool deadline_set::add(uint64_t id, time_point deadline) {
  auto [it, fresh] = by_id_.try_emplace(id);
  if (!fresh)
    by_time_.erase(it->second);
  it->second = by_time_.emplace(deadline, id);
  if (covered(deadline))
    return false;
  armed_.insert(deadline);
  return true;
}

bool deadline_set::remove(uint64_t id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end())
    return false;
  by_time_.erase(it->second);
  by_id_.erase(it);
  return true;
}

std::vector<uint64_t> deadline_set::expired(time_point now) {
  // Timers fire in the order of their times: this one was the earliest.
  if (!armed_.empty())
    armed_.erase(armed_.begin());
  std::vector<uint64_t> ids;
  auto end = by_time_.upper_bound(now);
  for (auto it = by_time_.begin(); it != end; ++it) {
    ids.push_back(it->second);
    by_id_.erase(it->second);
  }
  by_time_.erase(by_time_.begin(), end);
  return ids;
}

std::optional<deadline_set::time_point> deadline_set::next() const {
  if (by_time_.empty())
    return std::nullopt;
  return by_time_.begin()->first;
}

std::optional<deadline_set::time_point> deadline_set::rearm() {
  auto due = next();
  if (!due || covered(*due))
    return std::nullopt;
  armed_.insert(*due);
  return due;
}

bool deadline_set::covered(time_point t) const {
  return !armed_.empty() && *armed_.begin() <= t;
}

} // namespace bsm::timing
