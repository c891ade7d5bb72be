#pragma once

// What the node keeps for its MCP server at /mcp: the sessions, the host
// names it answers to, and its metrics. One per node, shared by the HTTP
// bridge's handlers (http_api/mcp_routes.cpp).

#include <memory>
#include <string>
#include <vector>

#include "gateway/mcp_options.hpp"
#include "gateway/mcp_sessions.hpp"
#include "runtime/metrics/registry.hpp"

namespace bsm::gateway {

class mcp_server {
public:
  /// `reg` may be null (no metrics). `listens_on_loopback`: http.listen is a
  /// loopback address (it decides the default allowed hosts).
  static std::shared_ptr<mcp_server> make(const mcp_options& opts,
                                          bool listens_on_loopback,
                                          metrics::registry* reg);

  mcp_sessions& sessions() noexcept {
    return sessions_;
  }

  /// Host names a request may name; empty: any (host_guard.hpp).
  const std::vector<std::string>& allowed_hosts() const noexcept {
    return allowed_hosts_;
  }

  /// Counts one request of `method` in bsm_mcp_requests_total (methods the
  /// server does not know count as "other": clients choose the names).
  void count(const std::string& method);

private:
  mcp_server(const mcp_options& opts, bool listens_on_loopback);

  mcp_sessions sessions_;
  std::vector<std::string> allowed_hosts_;
  metrics::family<metrics::counter>* requests_ = nullptr;
};

} // namespace bsm::gateway
