#include "runtime/supervision/shutdown_options.hpp"

#include "runtime/config/config_fields.hpp"

namespace bsm {

namespace {

using namespace std::chrono_literals;

constexpr std::chrono::milliseconds max_drain_timeout = 10min;

config::maybe_problem check_shutdown(const shutdown_options& x) {
  return config::check(
    "shutdown.drain_timeout",
    x.drain_timeout > max_drain_timeout ? "must be at most 10m" : "");
}

} // namespace

const config::section<shutdown_options>& shutdown_section() {
  static const config::section<shutdown_options> result{
    "shutdown",
    {config::duration("drain_timeout", &shutdown_options::drain_timeout)},
    check_shutdown};
  return result;
}

} // namespace bsm
