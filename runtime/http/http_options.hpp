#pragma once

// Options of the HTTP bridge (section `http:`). The initialisers are the
// defaults; keys, types and ranges are in http_options.cpp. Limits protect
// the node from slow, large or hostile clients. Reload: none, a change
// needs a restart; only the contents of the TLS files are read again on
// SIGHUP.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/config/config_section.hpp"
#include "runtime/config/listen_address.hpp"

namespace bsm {

struct http_options {
  /// Address of the HTTP bridge.
  listen_address listen{"127.0.0.1", 8080};
  /// Threads that run the sockets (parsing, writing).
  uint32_t io_threads = 1;
  /// Open connections; further ones are closed at once.
  uint64_t max_connections = 1024;
  /// Request line plus headers, without the target (431 above it).
  uint64_t max_header_bytes = 16 * 1024;
  /// Request target (path and query; 414 above it).
  uint64_t max_uri_bytes = 8 * 1024;
  /// Request body (413 above it, decided from Content-Length before the
  /// body is read; a chunked body's decoded bytes are counted as they
  /// come).
  uint64_t max_body_bytes = 4ull << 20;
  /// Nesting of objects and arrays in a JSON body (400 above it).
  uint32_t max_json_depth = 64;
  /// Time a client has to send a whole request once it started (slow
  /// clients are closed).
  std::chrono::milliseconds read_timeout{10'000};
  /// Time a keep-alive connection may sit without a request.
  std::chrono::milliseconds idle_timeout{60'000};
  /// On shutdown: time in-flight requests get to finish.
  std::chrono::milliseconds drain_timeout{10'000};
  /// `ask` deadline when the request names none, and the largest one a
  /// request may name.
  std::chrono::milliseconds ask_timeout{30'000};
  std::chrono::milliseconds max_ask_timeout{300'000};
  /// Time a durable send gets to be on disk (or in the outbox) before the
  /// request fails with 503.
  std::chrono::milliseconds send_timeout{30'000};
  /// Time the bridge waits for the node's own actors on reads (actor tree,
  /// agent list, cluster view, idempotency records, event subscriptions).
  std::chrono::milliseconds internal_timeout{10'000};
  /// Time /readyz waits for the root supervisor before answering 503.
  std::chrono::milliseconds readiness_timeout{2'000};
  /// Origins allowed by CORS ("*" for any); empty disables CORS.
  std::vector<std::string> cors_allowed_origins;
  /// Comment line on idle event streams, so proxies keep them open and a
  /// gone client is noticed.
  std::chrono::milliseconds sse_heartbeat{15'000};
  /// Bytes an event stream may queue for a slow client before it is
  /// closed.
  uint64_t sse_max_queued_bytes = 1ull << 20;
  /// PEM certificate chain (leaf first) and its private key; with both the
  /// bridge serves HTTPS only (TLS 1.2 or later). Both or neither; empty:
  /// plain HTTP. Reloaded on SIGHUP (new connections use the new pair).
  std::filesystem::path tls_certificate;
  std::filesystem::path tls_key;
  /// PEM CA certificates; when set, every client must present a
  /// certificate signed by one of them (mutual TLS). Needs the pair above.
  std::filesystem::path tls_client_ca;
};

namespace http {
struct tls_files;
} // namespace http

/// The TLS files of `x` (tls_context.hpp).
http::tls_files tls_files_of(const http_options& x);

/// The `http:` section.
const config::section<http_options>& http_section();

} // namespace bsm
