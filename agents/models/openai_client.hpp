#pragma once

// A blocking client of OpenAI-compatible Chat Completions endpoints
// (OpenAI, Ollama, vLLM, llama.cpp server) on libcurl.
//
// Threads: every call blocks its thread for up to the request's deadline,
// so call it from a dedicated thread (a detached actor), never from a CAF
// scheduler thread. An `openai_connection` is not thread-safe (one per
// thread); the free `complete` makes a fresh one per call.
//
// Retries: 429, 500, 502, 503, 504 and connection failures are retried up
// to `max_retries` times with exponential backoff and jitter, or after the
// upstream's `retry-after-ms` / `Retry-After` (seconds) when it sends one;
// `x-should-retry: true|false` overrides the status. A wait that would not
// end before the deadline is not taken: the last error comes back instead.
// A stream is never retried once content or a tool call fragment was
// forwarded, since the caller has already shown it.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <caf/expected.hpp>

#include "protocols/caf_types.hpp"

namespace bsm::models {

/// Where and how to reach one upstream.
struct openai_endpoint {
  /// Up to and including the version, without a trailing slash needed:
  /// requests go to "<base_url>/chat/completions".
  /// Default: "https://api.openai.com/v1".
  std::string base_url = "https://api.openai.com/v1";
  /// Sent as "Authorization: Bearer <key>" unless empty. Default: none.
  std::string api_key;
  /// Deadline of a whole call including retries, when the request names
  /// none (`ModelRequest.timeout_ms` == 0). Default: 60s.
  std::chrono::milliseconds timeout{60'000};
  /// Limit of one TCP/TLS connection set-up. Default: 10s.
  std::chrono::milliseconds connect_timeout{10'000};
  /// Attempts after the first. Default: 2.
  uint32_t max_retries = 2;
  /// Wait before the first retry; doubles per retry, up to backoff_max,
  /// minus up to 25% jitter. Default: 500ms and 8s.
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{8'000};
};

/// Receives each piece of a streamed answer, in order: content fragments
/// and fragments of the calls of `ModelRequest.relay_tool_calls`.
using delta_handler = std::function<void(const v1::ChatDelta& piece)>;

/// Optional controls and statistics of one call.
struct completion_control {
  /// When it becomes true (node shutdown), the transfer and any retry
  /// wait stop within about a second with `unavailable`. May be null.
  const std::atomic<bool>* cancelled = nullptr;
  /// Out: attempts after the first that were made.
  uint32_t retries = 0;
};

/// One reusable connection (keep-alive) to any number of upstreams.
/// Not thread-safe: use one per thread.
class openai_connection {
public:
  openai_connection();
  ~openai_connection();
  openai_connection(const openai_connection&) = delete;
  openai_connection& operator=(const openai_connection&) = delete;

  /// POSTs `req` to `<ep.base_url>/chat/completions` and returns the
  /// answer. Streams when `on_delta` is set (each content fragment and
  /// each fragment of a relayed tool call goes to it as it arrives; an
  /// upstream that answers at once has its content and relayed calls
  /// passed on whole); otherwise asks for the whole answer at once. The
  /// deadline is `req.timeout_ms`, or `ep.timeout` when that is 0.
  /// Fills `provider_micros` (all attempts and waits).
  /// Errors: `invalid_argument` (a 4xx other than 429, with the upstream's
  /// message; a bad URL; a malformed answer), `resource_exhausted` (429
  /// after the retries), `unavailable` (5xx, connection failures, a
  /// dropped stream, cancelled), `deadline_exceeded`, `internal` (any other
  /// libcurl failure; see runtime/http/curl_error.hpp).
  [[nodiscard]] caf::expected<v1::ModelResponse>
  complete(const openai_endpoint& ep, const v1::ModelRequest& req,
           const delta_handler& on_delta, completion_control* ctl = nullptr);

private:
  void* handle_; // CURL*, kept between calls for keep-alive
};

/// As `openai_connection::complete`, on a connection of its own.
[[nodiscard]] caf::expected<v1::ModelResponse>
complete(const openai_endpoint& ep, const v1::ModelRequest& req,
         const delta_handler& on_delta, completion_control* ctl = nullptr);

} // namespace bsm::models
