#include "runtime/supervision/supervision_options.hpp"

#include "runtime/config/config_fields.hpp"

namespace bsm {

namespace {

using namespace std::chrono_literals;

constexpr int64_t max_restarts_limit = 10'000;

config::maybe_problem check_supervision(const supervision_options& x) {
  return config::not_less("supervision.backoff_max", x.backoff_max,
                          "supervision.backoff_initial", x.backoff_initial);
}

} // namespace

const config::section<supervision_options>& supervision_section() {
  static const config::section<supervision_options> result{
    "supervision",
    {config::integer("max_restarts", &supervision_options::max_restarts, 0,
                     max_restarts_limit),
     config::duration("period", &supervision_options::period, 1ms),
     config::duration("backoff_initial", &supervision_options::backoff_initial),
     config::duration("backoff_max", &supervision_options::backoff_max),
     config::duration("shutdown_timeout",
                      &supervision_options::shutdown_timeout, 1ms),
     config::duration("start_timeout", &supervision_options::start_timeout,
                      1ms),
     config::duration("tree_timeout", &supervision_options::tree_timeout, 1ms)},
    check_supervision};
  return result;
}

} // namespace bsm
