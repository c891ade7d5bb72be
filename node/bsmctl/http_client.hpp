#pragma once

// A small blocking HTTP/1.1 client on libcurl, enough for bsmctl: one
// request at a time on one handle, so consecutive requests reuse the
// connection (keep-alive), plus a streaming GET that hands over the body
// line by line (Server-Sent Events).
//
// Not thread-safe: one client per thread. Create one `curl_global` in
// main() before the first client and keep it until the last is gone.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

namespace bsm::ctl {

namespace detail {
struct http_transfer;
} // namespace detail

/// Initializes libcurl for the process (curl_global_init) for its lifetime.
class curl_global {
public:
  curl_global();
  ~curl_global();
  curl_global(const curl_global&) = delete;
  curl_global& operator=(const curl_global&) = delete;
};

struct http_request {
  /// GET, POST, PUT, DELETE ...
  std::string method = "GET";
  /// Path and query, starting with '/', already percent-encoded.
  std::string path;
  /// Sent as `content_type` when not empty (and always for POST).
  std::string body;
  std::string content_type = "application/json";
  /// Extra header lines, "Name: value".
  std::vector<std::string> headers;
  /// Limit for the whole exchange. Default: 60 s. Zero: none (streams).
  std::chrono::milliseconds timeout{60'000};
};

struct http_response {
  long status = 0;
  /// The whole body; for a 2xx stream, empty (the lines went to the handler).
  std::string body;
};

class http_client {
public:
  /// Returns true to keep reading, false to stop the stream.
  using line_handler = std::function<bool(std::string_view line)>;

  /// `base_url`: scheme, host and port, e.g. "http://127.0.0.1:8080".
  /// `token`: sent as "Authorization: Bearer <token>" unless empty.
  http_client(std::string base_url, std::string token);
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// PEM CA certificates an https:// server's certificate must chain to
  /// (CURLOPT_CAINFO). Default: empty, libcurl's system store.
  void ca_file(std::string path) {
    ca_file_ = std::move(path);
  }

  /// Connection set-up limit for every request. Default: 5 s.
  void connect_timeout(std::chrono::milliseconds value) {
    connect_timeout_ = value;
  }

  /// Sends `req` and reads the whole answer; any HTTP status is a value.
  /// Errors: `unavailable` (cannot connect, connection dropped),
  /// `deadline_exceeded` (timed out), `invalid_argument` (bad URL),
  /// `internal` (any other libcurl failure). Messages name the URL.
  [[nodiscard]] caf::expected<http_response> send(const http_request& req);

  /// GETs `path` and, for a 2xx answer, hands each body line (without its
  /// line end) to `on_line` as it arrives, until the server ends the body
  /// or `on_line` returns false (not an error). A non-2xx answer's body is
  /// returned whole instead. Errors as for `send`; `timeout` limits the
  /// whole exchange (`deadline_exceeded`), zero: no limit.
  [[nodiscard]] caf::expected<http_response> stream_lines(
    const std::string& path, const std::string& accept, line_handler on_line,
    std::chrono::milliseconds timeout = std::chrono::milliseconds{0});

  /// The same for any request (a POST whose answer streams).
  [[nodiscard]] caf::expected<http_response>
  stream_lines(http_request req, const std::string& accept,
               line_handler on_line);

  /// The full URL of `path`.
  std::string url_of(const std::string& path) const {
    return base_url_ + path;
  }

private:
  caf::expected<http_response> perform(const http_request& req,
                                       detail::http_transfer& state);

  std::string base_url_;
  std::string token_;
  std::string ca_file_;
  std::chrono::milliseconds connect_timeout_{5'000};
  void* handle_ = nullptr; // CURL*, reused for keep-alive
};

} // namespace bsm::ctl
