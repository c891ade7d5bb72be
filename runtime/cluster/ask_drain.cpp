#include "runtime/cluster/ask_drain.hpp"

namespace bsm::cluster {

bool ask_drain::admit() {
  std::lock_guard<std::mutex> guard{mtx_};
  if (closed_)
    return false;
  ++in_flight_;
  return true;
}

void ask_drain::finish() {
  std::lock_guard<std::mutex> guard{mtx_};
  if (in_flight_ > 0 && --in_flight_ == 0)
    finished_.notify_all();
}

void ask_drain::close() {
  std::lock_guard<std::mutex> guard{mtx_};
  closed_ = true;
}

size_t ask_drain::wait(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock{mtx_};
  finished_.wait_for(lock, timeout, [this] { return in_flight_ == 0; });
  return in_flight_;
}

size_t ask_drain::in_flight() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return in_flight_;
}

} // namespace bsm::cluster
