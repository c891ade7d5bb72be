#pragma once

// cluster.membership's redis:// URL: where the Redis membership table lives.

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

namespace bsm::cluster {

/// Where the membership table lives.
struct redis_url {
  /// A host name or an IP address (IPv6 without brackets).
  std::string host;
  /// Default: 6379.
  uint16_t port = 6379;
  /// The database index (SELECT). Default: 0.
  int db = 0;
};

/// Parses "redis://host", "redis://host:port" or "redis://host:port/<db>"
/// (the one parser: cluster.membership and the membership client use it);
/// an IPv6 host goes in brackets ("redis://[::1]:6379"). Errors:
/// `invalid_argument`, naming what is wrong (scheme, host, port, database;
/// credentials and TLS are not supported).
[[nodiscard]] caf::expected<redis_url> parse_redis_url(std::string_view url);

/// The problem with `url` ("bad host ..., expected redis://host[:port][/db],
/// got ..."), or an empty string if it parses.
[[nodiscard]] std::string redis_url_problem(std::string_view url);

/// "host:port", with an IPv6 host in brackets.
std::string to_string(const redis_url& x);

} // namespace bsm::cluster
