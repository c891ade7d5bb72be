#pragma once

// One request on its way through the node and the way back to its client.
// The session creates it once the request is read; whoever handles it
// answers through respond() (or streams through open_stream()), from any
// thread: the session applies both on its own strand. The exchange never
// blocks and never waits for an actor.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace bsm::security {
struct principal;
} // namespace bsm::security

namespace bsm::http {

using request = boost::beast::http::request<boost::beast::http::string_body>;
using response = boost::beast::http::response<boost::beast::http::string_body>;

class session;
struct http_metrics;

class exchange {
public:
  exchange(request req, std::string request_id, std::weak_ptr<session> owner,
           http_metrics* metrics);

  exchange(const exchange&) = delete;
  exchange& operator=(const exchange&) = delete;

  const request& req() const noexcept {
    return req_;
  }

  /// The client's X-Request-Id if it sent a usable one, else a new id.
  const std::string& request_id() const noexcept {
    return request_id_;
  }

  /// The target without the query.
  std::string_view path() const noexcept;

  /// The peer's address as the socket saw it (never from headers).
  const boost::asio::ip::address& client() const noexcept {
    return client_;
  }

  /// 127.0.0.1 or ::1 (also IPv4-mapped); 127.0.0.2 is another address.
  bool client_is_loopback() const noexcept;

  /// Set by the session before dispatch.
  void set_client(boost::asio::ip::address address) {
    client_ = std::move(address);
  }

  /// The subject CN of the client certificate the connection's TLS
  /// handshake verified (read once per connection); empty: none.
  const std::string& client_certificate_name() const noexcept {
    return client_certificate_name_;
  }

  /// Set by the session before dispatch.
  void set_client_certificate_name(std::string cn) {
    client_certificate_name_ = std::move(cn);
  }

  /// Who the request acts for; null until the front admitted it.
  const std::shared_ptr<const security::principal>& principal() const noexcept {
    return principal_;
  }

  void set_principal(std::shared_ptr<const security::principal> who) {
    principal_ = std::move(who);
  }

  /// Holds `x` (a limiter's slot) as long as the exchange lives.
  void keep(std::shared_ptr<void> x) {
    kept_.push_back(std::move(x));
  }

  /// The percent-decoded value of query parameter `name`, if present.
  std::optional<std::string> query_param(std::string_view name) const;

  /// Set by the dispatcher: the matched route's position in its table (so
  /// a handler elsewhere need not match again), its pattern (a
  /// low-cardinality metrics label) and its path parameters.
  void set_route(size_t index, std::string pattern,
                 std::vector<std::pair<std::string, std::string>> params);

  /// The matched route's position in its table; SIZE_MAX before set_route.
  size_t route_index() const noexcept {
    return route_index_;
  }

  const std::string& route() const noexcept {
    return route_;
  }

  /// Every decoded path parameter, in pattern order.
  const std::vector<std::pair<std::string, std::string>>&
  params() const noexcept {
    return params_;
  }

  /// The decoded path parameter `{name}`; empty if the route has none.
  const std::string& param(std::string_view name) const;

  /// Headers added to whatever response goes out (CORS, security).
  void add_response_header(std::string name, std::string value);

  /// Sends `res` (status, body, Content-Type); the session adds
  /// X-Request-Id, Content-Length, connection handling and the headers of
  /// add_response_header(). Only the first call counts.
  void respond(response res);

  /// True once respond() or open_stream() was called.
  bool responded() const noexcept {
    return responded_.load();
  }

  /// Starts a chunked response that stays open (Server-Sent Events): sends
  /// the head of `head` now; write() appends chunks. Only the first of
  /// respond()/open_stream() counts.
  void open_stream(response head);

  /// Appends to an open stream. False if the stream is gone (client away,
  /// node draining) or the client fell behind by more than the session's
  /// queue limit, in which case the session closes it.
  bool write(std::string chunk);

  /// Ends an open stream and closes the connection.
  void end_stream();

  /// True once the client went away (or the node closed the connection)
  /// before the exchange finished.
  bool cancelled() const noexcept {
    return cancelled_.load();
  }

  /// Runs `f` once when the exchange is cancelled (at once if it already
  /// is). Used to stop work nobody waits for, such as a stream's source.
  void on_cancel(std::function<void()> f);

  // -- for the session ------------------------------------------------------

  void cancel();

  std::chrono::steady_clock::time_point started() const noexcept {
    return started_;
  }

  std::vector<std::pair<std::string, std::string>> take_response_headers();

  /// Counts a finished exchange in the metrics.
  void record(unsigned status) const;

private:
  request req_;
  std::string request_id_;
  std::weak_ptr<session> owner_;
  http_metrics* metrics_;
  std::chrono::steady_clock::time_point started_;
  size_t route_index_ = SIZE_MAX;
  std::string route_ = "unmatched";
  boost::asio::ip::address client_;
  std::string client_certificate_name_;
  std::shared_ptr<const security::principal> principal_;
  std::vector<std::shared_ptr<void>> kept_;
  std::vector<std::pair<std::string, std::string>> params_;
  std::atomic<bool> responded_{false};
  std::atomic<bool> cancelled_{false};
  std::mutex mtx_;
  std::vector<std::pair<std::string, std::string>> extra_headers_;
  std::function<void()> on_cancel_;
};

using exchange_ptr = std::shared_ptr<exchange>;

/// Decodes %XX escapes (and '+' as space when `plus_is_space`). Nothing for
/// a malformed escape.
std::optional<std::string> percent_decode(std::string_view in,
                                          bool plus_is_space = false);

} // namespace bsm::http
