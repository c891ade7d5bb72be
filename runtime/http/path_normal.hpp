#pragma once

// The one normal form of a request path, made once, before routing and the
// access decision, so that no spelling of a path reaches a handler the
// decision did not see (RFC 3986 section 6.2.2):
// - repeated slashes collapse ("//v1//agents" is "/v1/agents");
// - a trailing slash goes ("/v1/agents/" is "/v1/agents"; "/" stays);
// - escapes of unreserved characters are decoded ("%61gents" is "agents")
//   and other escapes get upper-case hex ("%2f" is "%2F", still data
//   inside one segment);
// - refused: dot segments ("." and "..", also escaped as %2e), ';'
//   (path parameters, which some servers strip), a malformed escape, an
//   escaped NUL, a path that does not start with '/'.
// Case is kept: paths are case-sensitive, so "/V1/agents" is another path
// (a 404 once authenticated).

#include <string>
#include <string_view>

#include <caf/expected.hpp>

namespace bsm::http {

/// The normal form of `path` (the target without its query).
/// Errors: invalid_argument saying what is wrong.
[[nodiscard]] caf::expected<std::string> normalize_path(std::string_view path);

} // namespace bsm::http
