#include "agents/agents_options.hpp"

#include "runtime/config/config_fields.hpp"

namespace bsm {

namespace {

using namespace std::chrono_literals;

constexpr int64_t max_waiting_turns_limit = 1'000'000;

config::maybe_problem check_agents(const agents_options& x) {
  if (auto p = config::in_range("agents.max_waiting_turns",
                                static_cast<int64_t>(x.max_waiting_turns), 1,
                                max_waiting_turns_limit))
    return p;
  if (auto p = config::at_least("agents.list_timeout", x.list_timeout, 1ms))
    return p;
  return config::at_least("agents.reload_timeout", x.reload_timeout, 1ms);
}

} // namespace

const config::section<agents_options>& agents_section() {
  static const config::section<agents_options> result{
    "agents",
    {config::sequence("paths", &agents_options::paths,
                      detail::assign<std::filesystem::path>),
     config::integer("max_waiting_turns", &agents_options::max_waiting_turns, 1,
                     max_waiting_turns_limit),
     config::duration("list_timeout", &agents_options::list_timeout),
     config::duration("reload_timeout", &agents_options::reload_timeout)},
    check_agents};
  return result;
}

} // namespace bsm
