#pragma once

// One client connection, over TCP or TLS (after a handshake that must end
// within `read_timeout`). Reads one request at a time (so pipelined
// requests are answered in order), checks its framing and limits, hands it
// to the dispatcher as an exchange, and writes the answer when it comes,
// from whatever thread. Everything runs on the connection's strand.
//
// Timeouts: a keep-alive connection waits `idle_timeout` for the first byte
// of the next request (then it is closed without an answer); from there
// the whole request must arrive within `read_timeout`, else it gets a 408
// and the connection is closed; each write must finish within
// `read_timeout` too (else it is closed).
//
// HEAD: the answer the GET route gives, without its body (Content-Length
// stays the body's); a stream answers its head only, then closes. While
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

#include "runtime/http/framing.hpp"
#include "runtime/http/read_limits.hpp"
#include "runtime/http/session.hpp"

namespace bsm::http {

/// A session over `Stream`: boost::beast::tcp_stream, or
/// boost::beast::ssl_stream<boost::beast::tcp_stream> for TLS (the two
/// instantiations in stream_session.cpp).
template <class Stream>
class stream_session final : public session {
public:
  /// `stream` is connected (TLS: not yet handshaken); `tls` is the context
  /// a TLS stream was made with, kept alive with it (null for TCP).
  stream_session(Stream stream, std::shared_ptr<void> tls,
                 const session_options& opts, dispatcher dispatch,
                 http_metrics* metrics, std::function<void()> on_close);

  ~stream_session() override;

  void start() override;

  void drain() override;

  // -- for exchanges (any thread) -------------------------------------------

  void post_response(exchange* ex, response res) override;
  void post_stream_head(exchange* ex, response head) override;
  bool post_stream_data(exchange* ex, std::string chunk) override;
  void post_stream_end(exchange* ex) override;

private:
  using parser_type
    = boost::beast::http::request_parser<boost::beast::http::string_body>;

  std::shared_ptr<stream_session> shared_self() {
    return std::static_pointer_cast<stream_session>(shared_from_this());
  }

  /// The TCP layer: timeouts, the socket.
  boost::beast::tcp_stream& tcp() noexcept {
    return boost::beast::get_lowest_layer(stream_);
  }

  void handshake();
  void await_request();
  void read_header();
  void on_header(boost::beast::error_code ec);
  void read_body();
  void on_body(boost::beast::error_code ec);
  void arm_read_timer();
  bool request_timed_out(boost::beast::error_code ec);
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

  Stream stream_;
  std::shared_ptr<void> tls_;
  /// The peer's address, read once at accept.
  boost::asio::ip::address client_;
  /// The CN of the client certificate the handshake verified (tls_peer).
  std::string client_certificate_name_;
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
  // -- the request's read deadline ------------------------------------------
  // Our own timer, not the stream's: the stream's timeout closes the
  // socket, and a 408 must still be written.
  boost::asio::steady_timer read_timer_;
  bool reading_request_ = false;
  bool read_timed_out_ = false;
};

} // namespace bsm::http
