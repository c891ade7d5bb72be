#include "http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "runtime/ascii.hpp"

namespace bsm::test {

namespace bhttp = boost::beast::http;
using clock_type = std::chrono::steady_clock;

namespace {

template <class Parser>
http_response to_response(Parser& parser) {
  const auto& msg = parser.get();
  http_response result;
  result.status = static_cast<int>(msg.result_int());
  for (const auto& field : msg.base())
    result.headers[ascii_lower(std::string{field.name_string()})]
      = std::string{field.value()};
  result.close = !msg.keep_alive();
  return result;
}

} // namespace

std::string http_response::header(std::string_view name) const {
  auto i = headers.find(ascii_lower(name));
  return i == headers.end() ? std::string{} : i->second;
}

bool http_response::has_header(std::string_view name) const {
  return headers.count(ascii_lower(name)) > 0;
}

http_connection::http_connection(uint16_t port,
                                 std::chrono::milliseconds timeout,
                                 const std::string& source) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) {
    error_ = std::string{"socket: "} + std::strerror(errno);
    return;
  }
  // Bounds blocking connects and sends; reads use poll() with deadlines.
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (!source.empty()) {
    sockaddr_in from{};
    from.sin_family = AF_INET;
    if (::inet_pton(AF_INET, source.c_str(), &from.sin_addr) != 1
        || ::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof(from)) != 0) {
      error_ = "bind " + source + ": " + std::strerror(errno);
      ::close(fd_);
      fd_ = -1;
      return;
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    error_ = std::string{"connect: "} + std::strerror(errno);
    ::close(fd_);
    fd_ = -1;
  }
}

http_connection::~http_connection() {
  if (fd_ >= 0)
    ::close(fd_);
}

bool http_connection::send(std::string_view bytes) {
  if (fd_ < 0) {
    error_ = "not connected";
    return false;
  }
  while (!bytes.empty()) {
    auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      error_ = std::string{"send: "} + std::strerror(errno);
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

http_connection::fill_result
http_connection::fill(clock_type::time_point deadline) {
  if (fd_ < 0 || eof_)
    return fill_result::closed;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - clock_type::now());
    pollfd pfd{fd_, POLLIN, 0};
    auto ready = ::poll(&pfd, 1,
                        static_cast<int>(std::max<int64_t>(
                          0, static_cast<int64_t>(left.count()))));
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready < 0) {
      error_ = std::string{"poll: "} + std::strerror(errno);
      return fill_result::failed;
    }
    if (ready == 0) {
      error_ = "timed out";
      return fill_result::timeout;
    }
    char chunk[65536];
    auto n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n > 0) {
      buffer_.append(chunk, static_cast<size_t>(n));
      return fill_result::data;
    }
    eof_ = true;
    error_ = n == 0 ? "closed by the server"
                    : std::string{"reset: "} + std::strerror(errno);
    return fill_result::closed;
  }
}

std::optional<http_response>
http_connection::read_response(std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.eager(true);
  parser.body_limit(64u << 20);
  for (;;) {
    boost::beast::error_code ec;
    if (!buffer_.empty()) {
      auto used
        = parser.put(boost::asio::buffer(buffer_.data(), buffer_.size()), ec);
      buffer_.erase(0, used);
      if (parser.is_done()) {
        auto result = to_response(parser);
        result.body = std::move(parser.get().body());
        return result;
      }
      if (ec && ec != bhttp::error::need_more) {
        error_ = "bad response: " + ec.message();
        return std::nullopt;
      }
      if (!ec && used > 0)
        continue;
    }
    auto got = fill(deadline);
    if (got == fill_result::data)
      continue;
    if (got == fill_result::closed && parser.got_some()) {
      // A body delimited by the end of the connection.
      boost::beast::error_code eof_ec;
      parser.put_eof(eof_ec);
      if (!eof_ec && parser.is_done()) {
        auto result = to_response(parser);
        result.body = std::move(parser.get().body());
        return result;
      }
    }
    return std::nullopt;
  }
}

std::optional<http_response>
http_connection::read_head(std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  bhttp::response_parser<bhttp::string_body> parser;
  for (;;) {
    boost::beast::error_code ec;
    if (!buffer_.empty()) {
      auto used
        = parser.put(boost::asio::buffer(buffer_.data(), buffer_.size()), ec);
      buffer_.erase(0, used);
      if (parser.is_header_done())
        return to_response(parser);
      if (ec && ec != bhttp::error::need_more) {
        error_ = "bad response head: " + ec.message();
        return std::nullopt;
      }
    }
    if (fill(deadline) != fill_result::data)
      return std::nullopt;
  }
}

bool http_connection::read_until(std::string_view needle,
                                 std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  while (buffer_.find(needle) == std::string::npos)
    if (fill(deadline) != fill_result::data)
      return false;
  return true;
}

bool http_connection::await_close(std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  for (;;) {
    switch (fill(deadline)) {
      case fill_result::data: continue;
      case fill_result::closed: return true;
      case fill_result::timeout:
      case fill_result::failed: return false;
    }
  }
}

bool http_connection::peer_closed() {
  return await_close(std::chrono::milliseconds{0});
}

std::string
make_request(std::string_view method, std::string_view target,
             const std::vector<std::pair<std::string, std::string>>& headers,
             std::string_view body) {
  std::string out;
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  auto names_host
    = std::any_of(headers.begin(), headers.end(), [](const auto& h) {
        return boost::beast::iequals(h.first, "Host");
      });
  if (!names_host)
    out.append("Host: 127.0.0.1\r\n");
  for (const auto& [name, value] : headers)
    out.append(name).append(": ").append(value).append("\r\n");
  if (!body.empty() || method == "POST" || method == "PUT")
    out.append("Content-Length: ")
      .append(std::to_string(body.size()))
      .append("\r\n");
  out.append("\r\n").append(body);
  return out;
}

std::optional<http_response> http_exchange(uint16_t port,
                                           const std::string& request_bytes,
                                           std::chrono::milliseconds timeout,
                                           const std::string& source) {
  http_connection conn{port, std::chrono::seconds{5}, source};
  if (!conn.connected() || !conn.send(request_bytes))
    return std::nullopt;
  return conn.read_response(timeout);
}

} // namespace bsm::test
