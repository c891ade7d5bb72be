#pragma once

// What the Streamable HTTP transport asks for the Authorization header of
// its requests, so that it knows nothing of how credentials are obtained
// (agents/mcp/oauth/token_source.hpp is the OAuth one). Called only from
// the transport's thread, which may block in it until the deadline.

#include <chrono>
#include <string>
#include <string_view>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace bsm::mcp {

class http_authorizer {
public:
  using clock = std::chrono::steady_clock;

  virtual ~http_authorizer() = default;

  /// The Authorization header value for the next request (renewed first
  /// when due); "" while there is none yet. Errors: those of renewing.
  [[nodiscard]] virtual caf::expected<std::string>
  authorization(clock::time_point deadline) = 0;

  /// The server refused a request with `status` (401 or 403) and the
  /// `WWW-Authenticate` header `challenge` ("" if none). True once a new
  /// credential is ready (the transport repeats the request once); false
  /// if the refusal is none the authorizer can answer (a 403 that is not
  /// about scope). Errors: why no credential could be had; the message
  /// never holds a secret.
  [[nodiscard]] virtual caf::expected<bool>
  refused(long status, std::string_view challenge, clock::time_point deadline)
    = 0;
};

} // namespace bsm::mcp
