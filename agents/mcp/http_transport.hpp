#pragma once

// The Streamable HTTP transport of MCP (spec 2025-11-25) on libcurl's multi
// interface: every message is a POST to the one endpoint with `Accept:
// application/json, text/event-stream`. A request is answered with one JSON
// message or an event stream that carries the answer and, before it, the
// server's own requests and notifications; notifications and answers are
// taken with 202.
//
// - Session: the `Mcp-Session-Id` of the initialize answer goes on every
//   later request, `MCP-Protocol-Version` once negotiated. A 404 to a
//   request with a session means the server forgot it: send() fails with
//   `not_found` and forgets the session (the client initializes anew).
// - Resumption: an event stream that ends before its answer (closed by the
//   server, or a dropped connection) is reopened with GET and
//   `Last-Event-ID` after the server's `retry:` (agents/mcp/stream_resume.hpp
//   decides when and how often); without an event id the request fails
//   with `unavailable`.
// - After the handshake a standalone GET stream takes server-initiated
//   messages, if the server offers one (405: it does not); the handshake
//   waits for its head, so it listens before the first request.
// - close() DELETEs the session.
//
// Limits: a message (a JSON body, an event) over `max_message_bytes` fails
// the transport with `resource_exhausted`; messages received but not yet
// taken hold at most 4 * `max_message_bytes`.
// - Authorization: with an `authorizer` (agents/mcp/http_authorizer.hpp)
//   every request carries the header it gives; a POST refused with 401, or
//   403 `insufficient_scope`, is repeated once after the authorizer renewed
//   its credential (its errors fail that send()).
//
// Errors of send() besides those of transport.hpp: `unauthenticated` (401),
// `permission_denied` (403), `unavailable` (5xx; the transport stays
// usable), `internal` (another status). An endpoint that cannot be reached
// fails the transport with `unavailable`. Messages name the URL without its
// user info and query, never a header.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agents/mcp/http_authorizer.hpp"
#include "agents/mcp/stream_resume.hpp"
#include "agents/mcp/transport.hpp"
#include "runtime/http/blocking_fetch.hpp"

namespace bsm::mcp {

struct http_transport_options {
  /// The MCP endpoint, http:// or https://. Required.
  std::string url;
  /// Sent on every request (Authorization and the like), values as they
  /// go out. Default: none.
  std::vector<std::pair<std::string, std::string>> headers;
  /// Supplies the Authorization header (OAuth: oauth/token_source.hpp).
  /// Default: none (only `headers`).
  std::shared_ptr<http_authorizer> authorizer;
  /// Longest message accepted from the server. Default: 16 MiB.
  size_t max_message_bytes = size_t{16} << 20;
  /// Limit of one TCP/TLS connection set-up. Default: 10s.
  std::chrono::milliseconds connect_timeout{10'000};
  /// Reconnects of event streams.
  resume_policy resume;
  /// Open the standalone GET stream after the handshake. Default: true.
  bool listen = true;
  /// Receives one line per oddity (a stream given up, a failed DELETE).
  /// May be empty.
  std::function<void(std::string_view)> log;
};

/// How messages and logs name an endpoint (runtime/http/blocking_fetch).
using http::shown_url;

class http_transport final : public transport {
public:
  /// Errors: `invalid_argument` for a URL that is not http(s).
  [[nodiscard]] static caf::expected<std::unique_ptr<http_transport>>
  make(http_transport_options opts);

  /// Drops every stream (without a DELETE unless close() ran).
  ~http_transport() override;

  http_transport(const http_transport&) = delete;
  http_transport& operator=(const http_transport&) = delete;

  caf::error send(const std::string& message,
                  clock::time_point deadline) override;

  caf::expected<std::optional<std::string>>
  receive(clock::time_point deadline) override;

  void negotiated(std::string_view version) override;

  bool usable() const noexcept override {
    return !broken_;
  }

  std::string close(std::chrono::milliseconds grace) override;

  /// The session the server gave; empty if none.
  const std::string& session_id() const noexcept {
    return session_id_;
  }

  /// The URL without user info and query, as messages name it.
  const std::string& shown_url() const noexcept {
    return shown_url_;
  }

  struct stream;

private:
  friend struct stream_writer;

  explicit http_transport(http_transport_options opts);

  struct pending_resume {
    bool standalone = false;
    std::optional<int64_t> request_id;
    std::string last_event_id;
    std::optional<std::chrono::milliseconds> retry;
    uint32_t failed_attempts = 0;
    clock::time_point due;
  };

  caf::error post(const std::string& message, clock::time_point deadline,
                  bool repeated);
  stream& open(std::unique_ptr<stream> s);
  void drop(stream& s);
  void drop_request(int64_t id);
  caf::error drive(clock::time_point until, const stream* watch);
  void finished(stream& s, int rc);
  void stream_ended(stream& s);
  void start_due_resumes();
  /// Opens the standalone GET stream and waits (until `deadline`, at most
  /// 5s) for its head, so it listens before the next request: a server
  /// that sends its requests of a call there drops them while no stream
  /// listens.
  void listen_now(clock::time_point deadline);
  std::unique_ptr<stream> make_stream(int kind);
  caf::error head_error(const stream& s) const;
  caf::error fail(caf::error err);
  void log(const std::string& what) const;

  http_transport_options opts_;
  std::string shown_url_;
  void* multi_ = nullptr;
  std::vector<std::unique_ptr<stream>> streams_;
  /// The POST whose head send() waits for; finished() leaves it alone.
  const stream* watching_ = nullptr;
  std::vector<pending_resume> resumes_;
  std::deque<std::string> inbox_;
  size_t inbox_bytes_ = 0;
  std::string session_id_;
  std::string protocol_version_;
  /// The authorizer's header value for new requests ("" for none).
  std::string authorization_;
  /// A request that failed on its stream, for the next receive().
  caf::error request_error_;
  caf::error broken_;
};

} // namespace bsm::mcp
