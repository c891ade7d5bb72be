#include "gateway/mcp_server.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "gateway/host_guard.hpp"

namespace bsm::gateway {

namespace {

constexpr std::array<std::string_view, 10> known_methods
  = {"initialize",
     "ping",
     "logging/setLevel",
     "tools/list",
     "tools/call",
     "resources/list",
     "resources/read",
     "resources/templates/list",
     "notifications/initialized",
     "notifications/cancelled"};

} // namespace

mcp_server::mcp_server(const mcp_options& opts, bool listens_on_loopback)
  : sessions_(opts.max_sessions, opts.session_idle),
    allowed_hosts_(
      gateway::allowed_hosts(opts.allowed_hosts, listens_on_loopback)) {}

std::shared_ptr<mcp_server> mcp_server::make(const mcp_options& opts,
                                             bool listens_on_loopback,
                                             metrics::registry* reg) {
  std::shared_ptr<mcp_server> result{new mcp_server(opts, listens_on_loopback)};
  if (reg == nullptr)
    return result;
  result->requests_ = &reg->counter_family(
    "bsm_mcp_requests_total", "Messages to the MCP server at /mcp, by method.",
    {"method"});
  auto& sessions = reg->gauge_family(
    "bsm_mcp_sessions", "MCP sessions the node holds (idle ones included).");
  // Sampled at scrape; the collector must not keep the server alive.
  reg->add_collector([weak = std::weak_ptr<mcp_server>{result}, &sessions] {
    if (auto server = weak.lock())
      sessions.with().set(static_cast<double>(server->sessions_.size()));
  });
  return result;
}

void mcp_server::count(const std::string& method) {
  if (requests_ == nullptr)
    return;
  bool known = std::find(known_methods.begin(), known_methods.end(), method)
               != known_methods.end();
  requests_->with({known ? method : std::string{"other"}}).inc();
}

} // namespace bsm::gateway
