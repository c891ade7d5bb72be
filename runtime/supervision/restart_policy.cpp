#include "runtime/supervision/restart_policy.hpp"

#include <caf/exit_reason.hpp>

namespace bsm {

bool is_normal_exit(const caf::error& reason) {
  return !reason || reason == caf::exit_reason::normal
         || reason == caf::exit_reason::user_shutdown;
}

bool should_restart(restart_type type, const caf::error& reason) {
  switch (type) {
    case restart_type::permanent: return true;
    case restart_type::transient: return !is_normal_exit(reason);
    case restart_type::temporary: return false;
  }
  return false;
}

restart_window::restart_window(std::chrono::milliseconds period)
  : period_(period) {}

size_t restart_window::record(steady_time now) {
  expire(now);
  times_.push_back(now);
  return times_.size();
}

size_t restart_window::count(steady_time now) {
  expire(now);
  return times_.size();
}

void restart_window::expire(steady_time now) {
  while (!times_.empty() && now - times_.front() > period_)
    times_.pop_front();
}

std::chrono::milliseconds backoff_delay(size_t previous_restarts,
                                        std::chrono::milliseconds initial,
                                        std::chrono::milliseconds max) {
  auto delay = initial;
  for (size_t i = 0; i < previous_restarts && delay < max; ++i)
    delay *= 2;
  return std::min(delay, max);
}

} // namespace bsm
