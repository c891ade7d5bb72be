#pragma once

// DNS rebinding protection for /mcp: a web page that makes a browser's
// name resolve to 127.0.0.1 reaches a local server with its own name in
// Host and Origin. A request whose Host or Origin names a host that is not
// allowed is refused, so only clients that address this node by a name it
// knows get through. Pure: the adapter passes the headers.

#include <string>
#include <string_view>
#include <vector>

namespace bsm::gateway {

/// The host names allowed: `configured` if any, else the loopback names
/// when the node listens on loopback, else none (empty: any host).
std::vector<std::string>
allowed_hosts(const std::vector<std::string>& configured,
              bool listens_on_loopback);

/// The name part of a Host value or of an Origin's authority, lowercased,
/// without port ("[::1]:8080" -> "[::1]", "Localhost" -> "localhost").
std::string host_name(std::string_view authority);

/// Why a request with these Host and Origin headers (either may be empty:
/// absent) is refused, or empty if it is not. `allowed` empty: any host;
/// an Origin listed in `origins` (http.cors_allowed_origins) is allowed
/// too.
std::string refused_host(std::string_view host, std::string_view origin,
                         const std::vector<std::string>& allowed,
                         const std::vector<std::string>& origins);

} // namespace bsm::gateway
