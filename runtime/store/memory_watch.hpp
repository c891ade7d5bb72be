#pragma once

// Samples memory in use on its own thread and keeps the latest sample and
// the budget's verdict (memory_budget.hpp) for readers on any thread: the
// HTTP front asks exhausted() on each request, metric collectors and
// GET /v1/cluster read latest(). A sample reads in-memory counters and
// /proc/self/statm; on its own thread no request and no CAF scheduler
// thread ever waits for one.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "runtime/store/memory_budget.hpp"

namespace bsm {

class memory_watch {
public:
  using sampler = std::function<memory_use()>;

  /// One sample with its verdict.
  struct snapshot {
    memory_use use;
    /// Why the budget is exhausted; empty when it is not.
    std::string exhausted;
  };

  /// Takes a first sample now, then one every `interval` until destroyed.
  /// `sample` runs on the watch's thread (and here, once).
  memory_watch(memory_limits limits, sampler sample,
               std::chrono::milliseconds interval);

  /// Stops the thread and waits for it.
  ~memory_watch();

  memory_watch(const memory_watch&) = delete;
  memory_watch& operator=(const memory_watch&) = delete;

  /// Whether the latest sample exhausted the budget. Lock-free.
  bool exhausted() const noexcept {
    return exhausted_.load(std::memory_order_relaxed);
  }

  snapshot latest() const;

  const memory_limits& limits() const noexcept {
    return limits_;
  }

  /// How long a verdict may be stale: the sampling interval.
  std::chrono::milliseconds interval() const noexcept {
    return interval_;
  }

private:
  void sample_once();
  void run();

  const memory_limits limits_;
  const sampler sample_;
  const std::chrono::milliseconds interval_;
  std::atomic<bool> exhausted_{false};
  mutable std::mutex mtx_;
  snapshot latest_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace bsm
