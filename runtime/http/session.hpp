#pragma once

// One client connection. Reads one request at a time (so pipelined
// requests are answered in order), checks its framing and limits, hands it
// to the dispatcher as an exchange, and writes the answer when it comes,
// from whatever thread. Everything runs on the connection's strand.
//
// Timeouts: a keep-alive connection waits `idle_timeout` for the first byte
// of the next request; from there the whole request must arrive within
// `read_timeout`; each write must finish within `read_timeout` too. While
// a request is being handled, the session watches the socket so a client
// that goes away cancels its exchange.
//
// Limits: the session holds at most read_buffer_bytes() of unparsed input
// (read_limits.hpp) plus the body up to max_body_bytes; a request over a
// limit gets its refusal, then the connection is closed after a short,
// bounded read that discards the rest.

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>

#include "runtime/http/exchange.hpp"
#include "runtime/http/framing.hpp"
#include "runtime/http/read_limits.hpp"

namespace bsm::http {

class server;

/// Receives every fully read request, on an I/O thread. It must not block.
using dispatcher = std::function<void(const exchange_ptr&)>;

struct session_options {
  framing_limits limits;
  std::chrono::milliseconds read_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds sse_heartbeat{15'000};
  uint64_t sse_max_queued_bytes = 1ull << 20;
  /// A request whose handler has not answered by then gets a 504, so no
  /// client waits forever (for example after the bridge actor crashed).
  std::chrono::milliseconds handler_timeout{310'000};
};

class session : public std::enable_shared_from_this<session> {
public:
  session(boost::asio::ip::tcp::socket socket, const session_options& opts,
          dispatcher dispatch, http_metrics* metrics,
          std::function<void()> on_close);

  ~session();

  void start();

  /// Stops reading new requests; closes the connection once the current
  /// exchange is answered (at once when idle; streams end now).
  void drain();

  // -- for exchanges (any thread) -------------------------------------------

  void post_response(exchange* ex, response res);
  void post_stream_head(exchange* ex, response head);
  bool post_stream_data(exchange* ex, std::string chunk);
  void post_stream_end(exchange* ex);

private:
  using parser_type
    = boost::beast::http::request_parser<boost::beast::http::string_body>;

  void await_request();
  void read_header();
  void on_header(boost::beast::error_code ec);
  void read_body();
  void on_body(boost::beast::error_code ec);
  void dispatch_request();
  void watch_client();
  void arm_handler_timer();
  void on_client_readable(boost::beast::error_code ec);

  std::string_view unparsed() const;
  void linger_close();
  void discard_until_closed();

  void send(response res);
  void reject(const rejection& why);
  void finish_headers(response& res, bool keep_alive);
  void start_stream(response head);
  void enqueue(std::string bytes);
  void write_next();
  void schedule_heartbeat();
  void end_stream();
  void close();

  bool is_current(const exchange* ex) const noexcept {
    return current_ && current_.get() == ex;
  }

  boost::beast::tcp_stream stream_;
  /// The peer's address, read once at accept.
  boost::asio::ip::address client_;
  session_options opts_;
  dispatcher dispatch_;
  http_metrics* metrics_;
  std::function<void()> on_close_;
  /// Bounded (read_buffer_bytes): a read that needs more fails.
  boost::beast::flat_buffer buffer_;
  std::optional<parser_type> parser_;
  std::chrono::steady_clock::time_point deadline_;
  exchange_ptr current_;
  // A chunked request's header as read, before trailers join it.
  std::optional<request_header> header_section_;
  bool keep_alive_ = false;
  bool linger_after_write_ = false;
  uint64_t linger_left_ = 0;
  bool draining_ = false;
  bool closed_ = false;
  bool watching_ = false;
  // -- writes: one answer, or a stream of chunks ------------------------------
  bool streaming_ = false;
  bool close_after_write_ = false;
  bool writing_ = false;
  std::deque<std::string> out_;
  std::atomic<uint64_t> queued_bytes_{0};
  std::atomic<bool> stream_open_{false};
  boost::asio::steady_timer heartbeat_;
  boost::asio::steady_timer handler_timer_;
  bool wrote_since_heartbeat_ = false;
};

} // namespace bsm::http
