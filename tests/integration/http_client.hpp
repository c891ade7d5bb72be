#pragma once

// A raw HTTP/1.1 client for tests of the bridge's framing: it sends exactly
// the bytes it is given (malformed ones included) over a loopback TCP
// connection and parses what comes back with Beast's response parser. Every
// read has a deadline, so a test never hangs on a server that stays silent.
// Not thread-safe; one connection per object.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bsm::test {

/// One parsed response. Header names are lowercased; a repeated header
/// keeps its last value.
struct http_response {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
  /// True if the server announced that it closes the connection.
  bool close = false;

  /// The value of header `name` (any case); empty if absent.
  std::string header(std::string_view name) const;

  bool has_header(std::string_view name) const;
};

class http_connection {
public:
  /// Connects to 127.0.0.1:`port`, from `source` if given (another
  /// loopback address such as 127.0.0.2, to play a remote client). Check
  /// connected() (and error()).
  explicit http_connection(uint16_t port,
                           std::chrono::milliseconds timeout
                           = std::chrono::seconds{5},
                           const std::string& source = {});

  ~http_connection();

  http_connection(const http_connection&) = delete;
  http_connection& operator=(const http_connection&) = delete;

  bool connected() const noexcept {
    return fd_ >= 0;
  }

  /// Why the last operation failed.
  const std::string& error() const noexcept {
    return error_;
  }

  /// Sends all of `bytes`. False if the peer is gone or the send fails.
  bool send(std::string_view bytes);

  /// Reads one response within `timeout`. nullopt if the connection closed
  /// or the time ran out first (error() tells which), or if the bytes are
  /// not a valid response. Bytes after the response stay buffered for the
  /// next call (pipelining).
  std::optional<http_response> read_response(std::chrono::milliseconds timeout
                                             = std::chrono::seconds{10});

  /// Reads only a response head (status line and headers), for a stream.
  /// The bytes after it stay buffered for read_until().
  std::optional<http_response> read_head(std::chrono::milliseconds timeout
                                         = std::chrono::seconds{10});

  /// Reads raw bytes until the buffered data contains `needle` (returns
  /// true; the data stays buffered) or the connection closes or the time
  /// runs out (false).
  bool read_until(std::string_view needle, std::chrono::milliseconds timeout);

  /// Everything read but not consumed by a response yet.
  const std::string& buffered() const noexcept {
    return buffer_;
  }

  /// Waits up to `timeout` for the server to close the connection (EOF or
  /// reset), discarding what arrives meanwhile into buffered(). True if it
  /// closed.
  bool await_close(std::chrono::milliseconds timeout);

  /// True if the server closed the connection, judged without waiting.
  bool peer_closed();

private:
  enum class fill_result { data, closed, timeout, failed };

  /// Appends what arrives before `deadline` to buffer_.
  fill_result fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  bool eof_ = false;
  std::string buffer_;
  std::string error_;
};

/// Builds request bytes: request line, Host (127.0.0.1 unless `headers`
/// name one), the given headers in order,
/// Content-Length when there is a body, then the body.
std::string
make_request(std::string_view method, std::string_view target,
             const std::vector<std::pair<std::string, std::string>>& headers
             = {},
             std::string_view body = {});

/// One request on a fresh connection (from `source`, if given); nullopt
/// if no response came.
std::optional<http_response>
http_exchange(uint16_t port, const std::string& request_bytes,
              std::chrono::milliseconds timeout = std::chrono::seconds{10},
              const std::string& source = {});

} // namespace bsm::test
