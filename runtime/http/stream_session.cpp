#include "runtime/http/stream_session.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <limits>
#include <type_traits>

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "runtime/http/error_response.hpp"
#include "runtime/http/tls_peer.hpp"
#include "runtime/mailbox/message_id.hpp"

namespace bsm::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

template <class Stream>
constexpr bool is_tls = !std::is_same_v<Stream, beast::tcp_stream>;

// The client went away: a TCP end, or a TLS one without close_notify.
bool client_gone(const beast::error_code& ec) {
  return ec == net::error::eof || ec == net::error::connection_reset
         || ec == net::ssl::error::stream_truncated;
}

// A client's X-Request-Id is echoed only if it is short and printable, so
// it cannot smuggle anything into logs or headers.
bool usable_request_id(beast::string_view id) {
  if (id.empty() || id.size() > 128)
    return false;
  for (char c : id)
    if (c <= 0x20 || c >= 0x7f)
      return false;
  return true;
}

// After a refusal the client may still be sending its request: what it
// sends meanwhile is read and thrown away, up to these bounds.
constexpr uint64_t linger_max_bytes = 1ull << 20;
constexpr std::chrono::milliseconds linger_max_time{2'000};

std::string chunk_of(const std::string& data) {
  char size[32];
  auto n = std::snprintf(size, sizeof(size), "%zx\r\n", data.size());
  std::string out;
  out.reserve(static_cast<size_t>(n) + data.size() + 2);
  out.append(size, static_cast<size_t>(n));
  out.append(data);
  out.append("\r\n");
  return out;
}

} // namespace

template <class Stream>
stream_session<Stream>::stream_session(Stream stream, std::shared_ptr<void> tls,
                                       const session_options& opts,
                                       dispatcher dispatch,
                                       http_metrics* metrics,
                                       std::function<void()> on_close)
  : stream_(std::move(stream)), tls_(std::move(tls)), opts_(opts),
    dispatch_(std::move(dispatch)), metrics_(metrics),
    on_close_(std::move(on_close)),
    buffer_(static_cast<size_t>(read_buffer_bytes(opts.limits))),
    heartbeat_(stream_.get_executor()), handler_timer_(stream_.get_executor()),
    read_timer_(stream_.get_executor()) {
  boost::system::error_code ec;
  auto peer = tcp().socket().remote_endpoint(ec);
  if (!ec)
    client_ = peer.address();
}

template <class Stream>
stream_session<Stream>::~stream_session() {
  if (on_close_)
    on_close_();
}

template <class Stream>
void stream_session<Stream>::start() {
  net::dispatch(stream_.get_executor(), [self = shared_self()] {
    if constexpr (is_tls<Stream>)
      self->handshake();
    else
      self->await_request();
  });
}

// A client that cannot complete a handshake in read_timeout (plain HTTP
// sent to the TLS port, a wrong certificate, a stalled peer) is closed.
template <class Stream>
void stream_session<Stream>::handshake() {
  if constexpr (is_tls<Stream>) {
    tcp().expires_after(opts_.read_timeout);
    stream_.async_handshake(net::ssl::stream_base::server,
                            [self = shared_self()](beast::error_code ec) {
                              if (ec)
                                return self->close();
                              self->client_certificate_name_
                                = verified_peer_name(
                                  self->stream_.native_handle());
                              self->await_request();
                            });
  }
}

template <class Stream>
void stream_session<Stream>::drain() {
  net::post(stream_.get_executor(), [self = shared_self()] {
    self->draining_ = true;
    if (self->streaming_)
      self->end_stream();
    else if (!self->current_ && !self->writing_)
      self->close();
  });
}

// -- reading ----------------------------------------------------------------

template <class Stream>
void stream_session<Stream>::await_request() {
  if (closed_)
    return;
  if (draining_)
    return close();
  parser_.emplace();
  // The parser's own limit is a backstop; check_header() tells 414 from 431.
  parser_->header_limit(static_cast<uint32_t>(read_buffer_bytes(opts_.limits)));
  // No body limit until check_header() ran: a Content-Length over it would
  // fail the header's parse, and the 413 would lose the request's id. (Not
  // boost::none: Beast 1.74 compares a Content-Length with it as "greater".)
  parser_->body_limit(std::numeric_limits<uint64_t>::max());
  if (buffer_.size() > 0)
    return read_header();
  tcp().expires_after(opts_.idle_timeout);
  stream_.async_read_some(
    buffer_.prepare(4096),
    [self = shared_self()](beast::error_code ec, size_t n) {
      if (ec)
        return self->close();
      self->buffer_.commit(n);
      self->read_header();
    });
}

// The request began (its first bytes are here): from now on it must be
// whole by deadline_, else the read is cancelled and answered with a 408.
template <class Stream>
void stream_session<Stream>::arm_read_timer() {
  reading_request_ = true;
  read_timed_out_ = false;
  read_timer_.expires_at(deadline_);
  read_timer_.async_wait([self = shared_self()](beast::error_code ec) {
    if (ec || self->closed_ || !self->reading_request_)
      return;
    self->read_timed_out_ = true;
    beast::error_code ignored;
    self->tcp().socket().cancel(ignored);
  });
}

template <class Stream>
bool stream_session<Stream>::request_timed_out(beast::error_code ec) {
  return read_timed_out_ && ec == net::error::operation_aborted;
}

template <class Stream>
void stream_session<Stream>::read_header() {
  deadline_ = std::chrono::steady_clock::now() + opts_.read_timeout;
  tcp().expires_never();
  arm_read_timer();
  bhttp::async_read_header(
    stream_, buffer_, *parser_,
    [self = shared_self()](beast::error_code ec, size_t) {
      self->on_header(ec);
    });
}

template <class Stream>
void stream_session<Stream>::on_header(beast::error_code ec) {
  if (request_timed_out(ec))
    return reject(request_timeout_rejection(opts_.read_timeout));
  if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout
      || client_gone(ec))
    return close();
  if (ec)
    return reject(refusal_for(ec,
                              parser_->get().target().empty()
                                ? read_stage::request_line
                                : read_stage::headers,
                              unparsed(), opts_.limits));
  auto& header = parser_->get().base();
  auto length = parser_->content_length();
  if (auto why = check_header(
        header, length ? std::optional<uint64_t>{*length} : std::nullopt,
        opts_.limits))
    return reject(*why);
  // Still bounds a chunked body.
  parser_->body_limit(opts_.limits.max_body_bytes);
  if (parser_->chunked())
    header_section_ = header;
  else
    header_section_.reset();
  if (parser_->is_done())
    return dispatch_request();
  auto expect = header[bhttp::field::expect];
  if (beast::iequals(expect, "100-continue")) {
    // curl waits for this before it sends a larger body.
    auto interim
      = std::make_shared<std::string>("HTTP/1.1 100 Continue\r\n\r\n");
    return net::async_write(
      stream_, net::buffer(*interim),
      [self = shared_self(), interim](beast::error_code wec, size_t) {
        if (wec)
          return self->close();
        self->read_body();
      });
  }
  read_body();
}

template <class Stream>
void stream_session<Stream>::read_body() {
  tcp().expires_never();
  bhttp::async_read(stream_, buffer_, *parser_,
                    [self = shared_self()](beast::error_code ec, size_t) {
                      self->on_body(ec);
                    });
}

template <class Stream>
void stream_session<Stream>::on_body(beast::error_code ec) {
  if (request_timed_out(ec))
    return reject(request_timeout_rejection(opts_.read_timeout));
  if (ec == beast::error::timeout || ec == bhttp::error::partial_message
      || client_gone(ec))
    return close();
  if (ec)
    return reject(refusal_for(ec, read_stage::body, unparsed(), opts_.limits));
  if (header_section_) {
    auto why
      = drop_trailers(parser_->get().base(), *header_section_, opts_.limits);
    header_section_.reset();
    if (why)
      return reject(*why);
  }
  dispatch_request();
}

template <class Stream>
std::string_view stream_session<Stream>::unparsed() const {
  auto data = buffer_.data();
  return {static_cast<const char*>(data.data()), data.size()};
}

template <class Stream>
void stream_session<Stream>::dispatch_request() {
  reading_request_ = false;
  read_timer_.cancel();
  auto req = parser_->release();
  parser_.reset();
  if (auto origin = origin_form(req.target()))
    req.target(*origin);
  keep_alive_ = req.keep_alive();
  auto given = req["X-Request-Id"];
  auto id = usable_request_id(given) ? std::string{given} : new_message_id();
  current_ = std::make_shared<exchange>(std::move(req), std::move(id),
                                        weak_from_this(), metrics_);
  current_->set_client(client_);
  current_->set_client_certificate_name(client_certificate_name_);
  // Handlers have their own deadlines (an ask's timeout); this is the
  // backstop.
  tcp().expires_never();
  auto ex = current_;
  dispatch_(ex);
  // Answers from memory are on their way already: no watch, no timer.
  if (ex->responded())
    return;
  arm_handler_timer();
  watch_client();
}

template <class Stream>
void stream_session<Stream>::arm_handler_timer() {
  handler_timer_.expires_after(opts_.handler_timeout);
  handler_timer_.async_wait(
    [self = shared_self(), ex = current_](beast::error_code ec) {
      if (ec || !self->is_current(ex.get()) || ex->responded())
        return;
      respond_error(*ex, bhttp::status::gateway_timeout, "deadline_exceeded",
                    "the request was not answered in time");
    });
}

// A handler may take long (an ask); if the client hangs up meanwhile, its
// exchange is cancelled. Pipelined bytes of the next request stay unread.
template <class Stream>
void stream_session<Stream>::watch_client() {
  if (watching_ || closed_)
    return;
  watching_ = true;
  tcp().socket().async_wait(
    net::ip::tcp::socket::wait_read,
    net::bind_executor(stream_.get_executor(),
                       [self = shared_self()](beast::error_code ec) {
                         self->watching_ = false;
                         self->on_client_readable(ec);
                       }));
}

template <class Stream>
void stream_session<Stream>::on_client_readable(beast::error_code ec) {
  if (closed_ || !current_)
    return;
  if (ec)
    return close();
  char probe[512];
  auto fd = tcp().socket().native_handle();
  auto n = ::recv(fd, probe, streaming_ ? sizeof(probe) : 1,
                  streaming_ ? MSG_DONTWAIT : (MSG_PEEK | MSG_DONTWAIT));
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
    return close();
  // A stream's client has nothing to say: discard and keep watching (over
  // TLS these are records never decrypted; the connection ends with the
  // stream). Bytes of a pipelined request wait for their turn.
  if (streaming_ || n < 0)
    watch_client();
}

// -- writing ----------------------------------------------------------------

template <class Stream>
void stream_session<Stream>::post_response(exchange* ex, response res) {
  net::post(stream_.get_executor(),
            [self = shared_self(), ex, res = std::move(res)]() mutable {
              if (self->is_current(ex) && !self->closed_)
                self->send(std::move(res));
            });
}

template <class Stream>
void stream_session<Stream>::finish_headers(response& res, bool keep_alive) {
  res.version(11);
  res.set("X-Request-Id", current_->request_id());
  for (auto& [name, value] : current_->take_response_headers())
    res.set(name, value);
  res.keep_alive(keep_alive);
}

template <class Stream>
void stream_session<Stream>::send(response res) {
  handler_timer_.cancel();
  bool keep_alive = keep_alive_ && !draining_;
  finish_headers(res, keep_alive);
  res.prepare_payload();
  if (current_->req().method() == bhttp::verb::head) {
    // The GET's headers, Content-Length included, and no body.
    auto length = res.body().size();
    res.body().clear();
    res.content_length(length);
  }
  current_->record(res.result_int());
  auto msg = std::make_shared<response>(std::move(res));
  tcp().expires_after(opts_.read_timeout);
  writing_ = true;
  bhttp::async_write(
    stream_, *msg,
    [self = shared_self(), msg, keep_alive](beast::error_code ec, size_t) {
      self->writing_ = false;
      self->current_.reset();
      if (!ec && self->linger_after_write_)
        return self->linger_close();
      if (ec || !keep_alive)
        return self->close();
      self->await_request();
    });
}

// Refusals before the body is read close the connection: where the next
// request would start is unknown.
template <class Stream>
void stream_session<Stream>::reject(const rejection& why) {
  reading_request_ = false;
  read_timer_.cancel();
  bhttp::request<bhttp::string_body> req;
  std::string id;
  if (parser_ && parser_->is_header_done())
    req.method(parser_->get().method());
  if (parser_) {
    // The fields read before the refusal are whole: a usable X-Request-Id
    // among them is echoed like on any other answer.
    auto given = parser_->get()["X-Request-Id"];
    if (usable_request_id(given))
      id = std::string{given};
  }
  parser_.reset();
  keep_alive_ = false;
  linger_after_write_ = true;
  current_ = std::make_shared<exchange>(
    std::move(req), id.empty() ? new_message_id() : std::move(id),
    weak_from_this(), metrics_);
  send(make_error_response(why.status, why.code, why.message,
                           current_->request_id()));
}

template <class Stream>
void stream_session<Stream>::post_stream_head(exchange* ex, response head) {
  // Chunks written right after this call are posted after the head, so
  // they may be accepted already.
  stream_open_ = true;
  net::post(stream_.get_executor(),
            [self = shared_self(), ex, head = std::move(head)]() mutable {
              if (self->is_current(ex) && !self->closed_)
                self->start_stream(std::move(head));
            });
}

template <class Stream>
void stream_session<Stream>::start_stream(response head) {
  handler_timer_.cancel();
  streaming_ = true;
  finish_headers(head, false);
  head.chunked(true);
  current_->record(head.result_int());
  std::string text;
  text.reserve(256);
  for (const auto& field : head.base())
    text.append(field.name_string().data(), field.name_string().size())
      .append(": ")
      .append(field.value().data(), field.value().size())
      .append("\r\n");
  auto status_line = "HTTP/1.1 " + std::to_string(head.result_int()) + " "
                     + std::string{bhttp::obsolete_reason(head.result())}
                     + "\r\n";
  enqueue(status_line + text + "\r\n");
  if (current_->req().method() == bhttp::verb::head) {
    // The head only: closing cancels the exchange, which stops its source.
    stream_open_ = false;
    close_after_write_ = true;
    return;
  }
  schedule_heartbeat();
  // A stream ends when its client goes away.
  watch_client();
}

template <class Stream>
bool stream_session<Stream>::post_stream_data(exchange* ex, std::string chunk) {
  if (!stream_open_.load())
    return false;
  auto size = chunk.size();
  if (queued_bytes_.fetch_add(size) + size > opts_.sse_max_queued_bytes) {
    // The client reads slower than events come: it loses the stream rather
    // than the node its memory.
    post_stream_end(ex);
    return false;
  }
  net::post(stream_.get_executor(),
            [self = shared_self(), ex, chunk = std::move(chunk)]() mutable {
              if (!self->is_current(ex) || self->closed_ || !self->streaming_
                  || self->close_after_write_)
                return;
              self->wrote_since_heartbeat_ = true;
              self->enqueue(chunk_of(chunk));
            });
  return true;
}

template <class Stream>
void stream_session<Stream>::post_stream_end(exchange* ex) {
  net::post(stream_.get_executor(), [self = shared_self(), ex] {
    if (self->is_current(ex) && self->streaming_)
      self->end_stream();
  });
}

template <class Stream>
void stream_session<Stream>::end_stream() {
  if (!streaming_ || close_after_write_)
    return;
  stream_open_ = false;
  heartbeat_.cancel();
  close_after_write_ = true;
  enqueue("0\r\n\r\n");
}

template <class Stream>
void stream_session<Stream>::schedule_heartbeat() {
  heartbeat_.expires_after(opts_.sse_heartbeat);
  heartbeat_.async_wait([self = shared_self()](beast::error_code ec) {
    if (ec || self->closed_ || !self->stream_open_)
      return;
    if (!self->wrote_since_heartbeat_)
      self->enqueue(chunk_of(": keep-alive\n\n"));
    self->wrote_since_heartbeat_ = false;
    self->schedule_heartbeat();
  });
}

template <class Stream>
void stream_session<Stream>::enqueue(std::string bytes) {
  out_.push_back(std::move(bytes));
  if (!writing_)
    write_next();
}

template <class Stream>
void stream_session<Stream>::write_next() {
  if (closed_)
    return;
  if (out_.empty()) {
    if (close_after_write_)
      close();
    return;
  }
  writing_ = true;
  tcp().expires_after(opts_.read_timeout);
  net::async_write(stream_, net::buffer(out_.front()),
                   [self = shared_self()](beast::error_code ec, size_t n) {
                     self->writing_ = false;
                     if (ec)
                       return self->close();
                     self->out_.pop_front();
                     // Only chunk payloads were counted; framing bytes make
                     // this inexact by a few bytes per chunk, which the limit
                     // tolerates.
                     auto queued = self->queued_bytes_.load();
                     self->queued_bytes_.fetch_sub(
                       std::min<uint64_t>(queued, n));
                     self->write_next();
                   });
}

// Closing a socket with unread bytes sends a reset, which can destroy the
// refusal before the client reads it (RFC 9112 §9.6): stop sending, read
// and discard for a bounded while, then close. Over TLS the discarded
// bytes are read below the TLS layer: they are never decrypted.
template <class Stream>
void stream_session<Stream>::linger_close() {
  beast::error_code ignored;
  tcp().socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
  buffer_.consume(buffer_.size());
  linger_left_ = linger_max_bytes;
  tcp().expires_after(std::min(opts_.read_timeout, linger_max_time));
  discard_until_closed();
}

template <class Stream>
void stream_session<Stream>::discard_until_closed() {
  auto room = std::min<size_t>(4096, buffer_.max_size());
  tcp().async_read_some(buffer_.prepare(room),
                        [self = shared_self()](beast::error_code ec, size_t n) {
                          self->buffer_.consume(n);
                          if (ec || n >= self->linger_left_)
                            return self->close();
                          self->linger_left_ -= n;
                          self->discard_until_closed();
                        });
}

template <class Stream>
void stream_session<Stream>::close() {
  if (closed_)
    return;
  closed_ = true;
  stream_open_ = false;
  heartbeat_.cancel();
  handler_timer_.cancel();
  read_timer_.cancel();
  if (current_ && (!current_->responded() || streaming_))
    current_->cancel();
  beast::error_code ignored;
  tcp().socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  tcp().socket().close(ignored);
}

template class stream_session<beast::tcp_stream>;
template class stream_session<beast::ssl_stream<beast::tcp_stream>>;

} // namespace bsm::http
