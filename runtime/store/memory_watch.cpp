#include "runtime/store/memory_watch.hpp"

#include <utility>

namespace bsm {

memory_watch::memory_watch(memory_limits limits, sampler sample,
                           std::chrono::milliseconds interval)
  : limits_(limits), sample_(std::move(sample)), interval_(interval) {
  sample_once();
  thread_ = std::thread{[this] {
    run();
  }};
}

memory_watch::~memory_watch() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
  }
  stop_cv_.notify_all();
  thread_.join();
}

memory_watch::snapshot memory_watch::latest() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return latest_;
}

void memory_watch::sample_once() {
  snapshot next;
  next.use = sample_();
  next.exhausted = bsm::exhausted(limits_, next.use);
  exhausted_.store(!next.exhausted.empty(), std::memory_order_relaxed);
  std::lock_guard<std::mutex> guard{mtx_};
  latest_ = std::move(next);
}

void memory_watch::run() {
  std::unique_lock<std::mutex> guard{mtx_};
  while (!stop_cv_.wait_for(guard, interval_, [this] { return stopping_; })) {
    guard.unlock();
    sample_once();
    guard.lock();
  }
}

} // namespace bsm
