#pragma once

// host:port values of the config (http.listen, cluster.listen, seeds).

#include <cstdint>
#include <string>
#include <string_view>

namespace bsm {

/// A host and port to listen on. Port 0 binds any free port.
struct listen_address {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
};

/// Renders "host:port" (IPv6 hosts in brackets).
std::string to_string(const listen_address& x);

namespace config {

/// Parses "host:port" or "[v6]:port" (port 0..65535) into `out`; returns
/// the problem or an empty string.
std::string parse_address(std::string_view x, listen_address& out);

/// The problem of an address built in code (an empty host), or empty.
std::string address_problem(const listen_address& x);

/// True if only this machine can reach `x`: a loopback address (127.0.0.0/8,
/// ::1, ::ffff:127.0.0.0/104) or "localhost". Any other name, a wildcard
/// (0.0.0.0, ::) or another address may be reached from elsewhere.
[[nodiscard]] bool is_loopback(const listen_address& x);

} // namespace config

} // namespace bsm
