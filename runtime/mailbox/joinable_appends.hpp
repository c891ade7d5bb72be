#pragma once

// The appends of one mailbox that share one store-writer submission. A
// submission waits in the writer's queue until the writer starts its group;
// until then, later appends of the same mailbox join it instead of queueing
// submissions of their own (one queue entry, one fill, one completion for
// all of them). Once the writer takes it, joining fails and the next
// append opens a new submission.

#include <cstddef>
#include <mutex>
#include <utility>
#include <vector>

namespace bsm::mailbox {

/// Thread-safe: the mailbox joins, the writer thread takes.
template <class Append>
class joinable_appends {
public:
  /// REQUIRES: max_appends > 0.
  explicit joinable_appends(size_t max_appends) : max_(max_appends) {}

  /// Adds `x` unless the writer took the submission already or it holds
  /// `max_appends`; `x` is left as it was when this returns false.
  bool join(Append& x) {
    std::lock_guard<std::mutex> guard{mtx_};
    if (taken_ || appends_.size() >= max_)
      return false;
    appends_.push_back(std::move(x));
    return true;
  }

  /// Closes the submission to joins and hands over what joined. Once.
  std::vector<Append> take() {
    std::lock_guard<std::mutex> guard{mtx_};
    taken_ = true;
    return std::move(appends_);
  }

private:
  std::mutex mtx_;
  size_t max_;
  bool taken_ = false;
  std::vector<Append> appends_;
};

} // namespace bsm::mailbox
