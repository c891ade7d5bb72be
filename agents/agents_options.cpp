#include "agents/agents_options.hpp"

#include "runtime/config/config_fields.hpp"

namespace bsm {

namespace {

using namespace std::chrono_literals;

constexpr int64_t max_waiting_turns_limit = 1'000'000;

} // namespace

const config::section<agents_options>& agents_section() {
  static const config::section<agents_options> result{
    "agents",
    {config::sequence("paths", &agents_options::paths,
                      detail::assign<std::filesystem::path>),
     config::integer("max_waiting_turns", &agents_options::max_waiting_turns, 1,
                     max_waiting_turns_limit),
     config::duration("list_timeout", &agents_options::list_timeout, 1ms),
     config::duration("reload_timeout", &agents_options::reload_timeout, 1ms)}};
  return result;
}

} // namespace bsm
