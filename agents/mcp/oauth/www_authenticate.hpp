#pragma once

// The Bearer challenge of a `WWW-Authenticate` header (RFC 6750 section 3,
// RFC 9728 section 5.1): what an MCP server says when it refuses a request
// for want of a token or of scope. Plain parsing, no I/O.

#include <optional>
#include <string>
#include <string_view>

namespace bsm::mcp::oauth {

/// The parameters of a Bearer challenge that the client acts on; a
/// parameter the header does not give is empty.
struct bearer_challenge {
  /// Where the protected resource metadata is (RFC 9728).
  std::string resource_metadata;
  /// The scopes the request needs, space-separated.
  std::string scope;
  /// `invalid_token`, `insufficient_scope`, `invalid_request` or another.
  std::string error;
};

/// The Bearer challenge among the challenges of `header` (several may be
/// given, comma-separated: `Basic realm="x", Bearer scope="a b"`); nullopt
/// if there is none. Parameter names are case-insensitive, values plain
/// tokens or quoted strings with backslash escapes; parameters it does not
/// know are skipped.
std::optional<bearer_challenge> parse_bearer_challenge(std::string_view header);

} // namespace bsm::mcp::oauth
