#include "raw_flood.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>

#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "runtime/ascii.hpp"
#include "tests/common/poll.hpp"

namespace bsm::test {

namespace bhttp = boost::beast::http;
using clock_type = std::chrono::steady_clock;

namespace {

int connect_loopback(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends what it can of `bytes` from `offset` without blocking; false once
// the peer is gone.
bool send_some(int fd, const std::string& bytes, size_t& offset,
               uint64_t& sent) {
  auto n = ::send(fd, bytes.data() + offset, bytes.size() - offset,
                  MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n < 0)
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  offset += static_cast<size_t>(n);
  sent += static_cast<uint64_t>(n);
  return true;
}

// Reads what is there; false once the peer closed.
bool read_some(int fd, flood_result& result) {
  char buf[16384];
  auto n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
  if (n > 0) {
    result.reply.append(buf, static_cast<size_t>(n));
    return true;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return true;
  result.closed = true;
  return false;
}

// Reads until the peer closes or the deadline passes.
void read_to_close(int fd, flood_result& result) {
  auto until = clock_type::now() + generous_deadline;
  while (!result.closed && clock_type::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) > 0 && !read_some(fd, result))
      return;
  }
}

} // namespace

flood_result flood(uint16_t port, const std::string& start,
                   const std::string& filler, uint64_t max_bytes) {
  flood_result result;
  int fd = connect_loopback(port);
  if (fd < 0)
    return result;
  const std::string* current = &start;
  size_t offset = 0;
  auto until = clock_type::now() + generous_deadline;
  // Answers are read while sending, so a pipelined answer does not stop
  // the flood; it stops when the server closes.
  while (result.sent < max_bytes && clock_type::now() < until) {
    if (offset == current->size()) {
      current = &filler;
      offset = 0;
    }
    pollfd p{fd, POLLIN | POLLOUT, 0};
    if (::poll(&p, 1, 100) <= 0)
      continue;
    if ((p.revents & (POLLIN | POLLHUP | POLLERR)) && !read_some(fd, result))
      break;
    if ((p.revents & POLLOUT) && !send_some(fd, *current, offset, result.sent))
      break;
  }
  ::shutdown(fd, SHUT_WR);
  read_to_close(fd, result);
  ::close(fd);
  result.responses = parse_responses(result.reply);
  return result;
}

namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;

// A TLS flood: one read and one write in flight at once, on one thread,
// until the server closes or the deadline passes.
class tls_flooder {
public:
  tls_flooder(const std::string& start, const std::string& filler,
              uint64_t max_bytes)
    : ctx_(ssl::context::tls_client), stream_(ioc_, ctx_), start_(start),
      filler_(filler), max_bytes_(max_bytes) {}

  flood_result run(uint16_t port, const std::string& ca_file) {
    boost::system::error_code ec;
    ctx_.load_verify_file(ca_file, ec);
    stream_.set_verify_mode(ssl::verify_peer);
    stream_.set_verify_callback(ssl::host_name_verification("localhost"));
    // SSL_set_tlsext_host_name, without the macro's C cast.
    char host[] = "localhost";
    SSL_ctrl(stream_.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME,
             TLSEXT_NAMETYPE_host_name, host);
    net::ip::tcp::endpoint at{net::ip::make_address("127.0.0.1"), port};
    stream_.lowest_layer().connect(at, ec);
    if (!ec)
      stream_.handshake(ssl::stream_base::client, ec);
    if (ec) {
      result_.reply = "TLS set-up failed: " + ec.message();
      return result_;
    }
    read_more();
    write(start_);
    ioc_.run_for(generous_deadline);
    result_.responses = parse_responses(result_.reply);
    return result_;
  }

private:
  void read_more() {
    stream_.async_read_some(net::buffer(buf_),
                            [this](boost::system::error_code ec, size_t n) {
                              result_.reply.append(buf_, n);
                              if (!ec)
                                return read_more();
                              result_.closed = true;
                              boost::system::error_code ignored;
                              stream_.lowest_layer().close(ignored);
                            });
  }

  void write(const std::string& bytes) {
    if (result_.closed || result_.sent >= max_bytes_) {
      // Done sending: half-close, and read until the server closes.
      boost::system::error_code ignored;
      stream_.lowest_layer().shutdown(net::socket_base::shutdown_send, ignored);
      return;
    }
    net::async_write(stream_, net::buffer(bytes),
                     [this](boost::system::error_code ec, size_t n) {
                       result_.sent += n;
                       if (!ec)
                         write(filler_);
                     });
  }

  net::io_context ioc_;
  ssl::context ctx_;
  ssl::stream<net::ip::tcp::socket> stream_;
  const std::string& start_;
  const std::string& filler_;
  uint64_t max_bytes_;
  char buf_[16384];
  flood_result result_;
};

} // namespace

flood_result tls_flood(uint16_t port, const std::string& ca_file,
                       const std::string& start, const std::string& filler,
                       uint64_t max_bytes) {
  tls_flooder flooder{start, filler, max_bytes};
  return flooder.run(port, ca_file);
}

std::vector<http_response> parse_responses(const std::string& bytes) {
  std::vector<http_response> out;
  auto rest = boost::asio::buffer(bytes);
  while (rest.size() > 0) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.eager(true);
    boost::beast::error_code ec;
    auto used = parser.put(rest, ec);
    if (ec || !parser.is_done())
      break;
    rest += used;
    const auto& msg = parser.get();
    http_response res;
    res.status = static_cast<int>(msg.result_int());
    for (const auto& field : msg.base())
      res.headers[ascii_lower(std::string{field.name_string()})]
        = std::string{field.value()};
    res.close = !msg.keep_alive();
    res.body = msg.body();
    out.push_back(std::move(res));
  }
  return out;
}

uint64_t resident_bytes(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      uint64_t kib = 0;
      in >> kib;
      return kib * 1024;
    }
    std::string line;
    std::getline(in, line);
  }
  return 0;
}

} // namespace bsm::test
