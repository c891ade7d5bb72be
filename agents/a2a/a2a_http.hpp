#pragma once

// One blocking JSON exchange with a remote A2A agent
// (runtime/http/blocking_fetch.hpp): GET of its card or POST of a JSON-RPC
// request, with the configured headers, a deadline and a bound on the
// answer's size. Only for a detached actor (a2a_remote.hpp): it blocks its
// thread. Not thread-safe: one owner.

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "runtime/http/blocking_fetch.hpp"

namespace bsm::a2a {

struct http_request {
  std::string url;
  /// Empty: a GET.
  std::string body;
  /// Header name and value (values may be secrets: never logged).
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{30'000};
};

class json_http {
public:
  /// Answers beyond this many bytes are refused. Default: 8 MiB.
  explicit json_http(size_t max_answer_bytes = size_t{8} << 20);

  /// The answer's JSON. Errors: unavailable (no connection, a 5xx or 429),
  /// deadline_exceeded, permission_denied (401, 403), not_found (404),
  /// invalid_argument (another 4xx), resource_exhausted (too large),
  /// internal (not JSON). The errors name the URL without its query, never
  /// a header.
  [[nodiscard]] caf::expected<nlohmann::json> exchange(const http_request& req);

private:
  http::blocking_fetch fetch_;
};

} // namespace bsm::a2a
