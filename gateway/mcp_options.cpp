#include "gateway/mcp_options.hpp"

#include "runtime/config/config_fields.hpp"

namespace bsm::gateway {

namespace {

using namespace std::chrono_literals;

constexpr int64_t max_sessions_limit = 10'000'000;

} // namespace

const config::section<mcp_options>& mcp_section() {
  static const config::section<mcp_options> result{
    "mcp",
    {config::boolean("enabled", &mcp_options::enabled),
     config::integer("max_sessions", &mcp_options::max_sessions, 1,
                     max_sessions_limit),
     config::duration("session_idle", &mcp_options::session_idle, 1s),
     config::sequence("allowed_hosts", &mcp_options::allowed_hosts,
                      detail::assign<std::string>)}};
  return result;
}

} // namespace bsm::gateway
