#include "runtime/supervision/supervision_options.hpp"

#include "runtime/config/config_fields.hpp"

namespace bsm {

namespace {

using namespace std::chrono_literals;

constexpr int64_t max_restarts_limit = 10'000;

config::maybe_problem check_supervision(const supervision_options& x) {
  if (auto p = config::in_range("supervision.max_restarts", x.max_restarts, 0,
                                max_restarts_limit))
    return p;
  if (auto p = config::at_least("supervision.period", x.period, 1ms))
    return p;
  if (auto p
      = config::at_least("supervision.backoff_initial", x.backoff_initial, 0ms))
    return p;
  if (auto p
      = config::not_less("supervision.backoff_max", x.backoff_max,
                         "supervision.backoff_initial", x.backoff_initial))
    return p;
  if (auto p = config::at_least("supervision.shutdown_timeout",
                                x.shutdown_timeout, 1ms))
    return p;
  if (auto p
      = config::at_least("supervision.start_timeout", x.start_timeout, 1ms))
    return p;
  return config::at_least("supervision.tree_timeout", x.tree_timeout, 1ms);
}

} // namespace

const config::section<supervision_options>& supervision_section() {
  static const config::section<supervision_options> result{
    "supervision",
    {config::integer("max_restarts", &supervision_options::max_restarts, 0,
                     max_restarts_limit),
     config::duration("period", &supervision_options::period),
     config::duration("backoff_initial", &supervision_options::backoff_initial),
     config::duration("backoff_max", &supervision_options::backoff_max),
     config::duration("shutdown_timeout",
                      &supervision_options::shutdown_timeout),
     config::duration("start_timeout", &supervision_options::start_timeout),
     config::duration("tree_timeout", &supervision_options::tree_timeout)},
    check_supervision};
  return result;
}

} // namespace bsm
