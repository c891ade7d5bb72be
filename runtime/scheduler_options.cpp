#include "runtime/scheduler_options.hpp"

#include <string_view>
#include <utility>

#include "runtime/config/config_fields.hpp"

namespace bsm {

namespace {

constexpr int64_t max_threads = 256;

constexpr std::pair<std::string_view, scheduler_policy> policy_names[] = {
  {"stealing", scheduler_policy::stealing},
  {"sharing", scheduler_policy::sharing},
};

} // namespace

const config::section<scheduler_options>& scheduler_section() {
  static const config::section<scheduler_options> result{
    "scheduler",
    {config::integer("threads", &scheduler_options::threads, 0, max_threads),
     config::one_of("policy", &scheduler_options::policy, policy_names)}};
  return result;
}

} // namespace bsm
