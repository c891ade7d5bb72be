#pragma once

// The MCP server at /mcp (section `mcp:`): the agents as tools for MCP
// clients. The initialisers are the defaults; keys and ranges are in
// mcp_options.cpp. Reload: a restart.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/config/config_section.hpp"

namespace bsm::gateway {

struct mcp_options {
  /// Serve /mcp at all.
  bool enabled = true;
  /// MCP sessions held at once (each a few hundred bytes); an initialize
  /// beyond them first drops idle ones, then is refused with 503.
  uint64_t max_sessions = 10'000;
  /// A session unused this long is gone (the client initializes again).
  std::chrono::milliseconds session_idle{3'600'000};
  /// Host names a request to /mcp may name in Host and Origin (DNS
  /// rebinding protection). Empty: when http.listen is a loopback address,
  /// only localhost, 127.0.0.1 and [::1]; otherwise any (the credentials
  /// decide).
  std::vector<std::string> allowed_hosts;
};

/// The `mcp:` section.
const config::section<mcp_options>& mcp_section();

} // namespace bsm::gateway
