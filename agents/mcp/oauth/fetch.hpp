#pragma once

// One blocking HTTP exchange for OAuth discovery and token requests
// (runtime/http/blocking_fetch.hpp): a GET of a metadata document or a
// POST of a form. Blocks the calling thread until the answer or the
// deadline, so it runs only where the MCP client runs (a detached actor's
// own thread). No redirects are followed, and the answer body is capped.

#include <chrono>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/http/blocking_fetch.hpp"

namespace bsm::mcp::oauth {

struct fetch_request {
  std::string url;
  /// Sent as a POST with Content-Type application/x-www-form-urlencoded
  /// when not empty; else a GET.
  std::string form;
  /// Further header lines ("Name: value"); never put into messages.
  std::vector<std::string> headers;
};

using fetch_reply = http::fetch_reply;

/// Longest answer body read. Default for fetch(): 256 KiB.
inline constexpr size_t max_fetch_bytes = size_t{256} << 10;

/// Performs `req` by `deadline`. Errors: `deadline_exceeded`,
/// `unavailable` (cannot connect, cut answer), `invalid_argument` (a bad
/// URL), `resource_exhausted` (a body over `max_bytes`); messages name the
/// URL without user info and query.
[[nodiscard]] caf::expected<fetch_reply>
fetch(const fetch_request& req, std::chrono::steady_clock::time_point deadline,
      size_t max_bytes = max_fetch_bytes);

} // namespace bsm::mcp::oauth
