// The raw baseline of the HTTP benchmark (bench/http_bench.sh): the least a
// Boost.Beast HTTP/1.1 server does, so that bsmd's HTTP bridge can be read
// as a ratio of it. Every request gets 200 with a fixed small JSON body;
// connections stay open while the client keeps them alive.
//
// Usage: bsm_http_baseline_server [--port P] [--threads N]
//   --port P     port on 127.0.0.1; 0 (the default) picks a free one.
//   --threads N  threads running the io_context; default 1.
// The first line on standard output is "port=NNNN", flushed once the
// socket listens. SIGINT or SIGTERM stops the server.
//
// Structure as in Beast's http_server_async example: one strand per
// connection, asynchronous accept, read and write, a 30 s idle timeout.

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::string_view fixed_body = R"({"status":"ok"})";
constexpr auto idle_timeout = std::chrono::seconds{30};

struct server_options {
  unsigned short port = 0;
  int threads = 1;
};

/// One keep-alive connection: read a request, answer it, repeat.
class session : public std::enable_shared_from_this<session> {
public:
  explicit session(tcp::socket&& socket) : stream_{std::move(socket)} {}

  void start() {
    // Run on the connection's strand, as every later handler does.
    asio::dispatch(stream_.get_executor(),
                   [self = shared_from_this()] { self->read(); });
  }

private:
  void read() {
    req_ = {};
    stream_.expires_after(idle_timeout);
    http::async_read(
      stream_, buffer_, req_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) {
        self->on_read(ec);
      });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream)
      return shutdown();
    if (ec)
      return; // Timeout or a broken connection: the socket closes with us.
    write();
  }

  void write() {
    res_ = {};
    res_.version(req_.version());
    res_.result(http::status::ok);
    res_.set(http::field::server, BOOST_BEAST_VERSION_STRING);
    res_.set(http::field::content_type, "application/json");
    res_.keep_alive(req_.keep_alive());
    res_.body() = fixed_body;
    res_.prepare_payload();
    http::async_write(
      stream_, res_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) {
        self->on_write(ec);
      });
  }

  void on_write(beast::error_code ec) {
    if (ec)
      return;
    if (!res_.keep_alive())
      return shutdown();
    read();
  }

  void shutdown() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
};

/// Accepts connections and starts a session on its own strand for each.
class listener : public std::enable_shared_from_this<listener> {
public:
  listener(asio::io_context& ioc, tcp::acceptor&& acceptor)
    : ioc_{ioc}, acceptor_{std::move(acceptor)} {}

  void accept() {
    acceptor_.async_accept(
      asio::make_strand(ioc_),
      [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
        self->on_accept(ec, std::move(socket));
      });
  }

private:
  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted)
      return;
    if (!ec) {
      socket.set_option(tcp::no_delay{true}, ec);
      std::make_shared<session>(std::move(socket))->start();
    }
    // Other accept errors (e.g. out of descriptors) skip one connection.
    accept();
  }

  asio::io_context& ioc_;
  tcp::acceptor acceptor_;
};

[[noreturn]] void usage_error(const std::string& what) {
  std::cerr << "bsm_http_baseline_server: " << what
            << "\nusage: bsm_http_baseline_server [--port P] [--threads N]\n";
  std::exit(2);
}

std::optional<long> parse_number(const std::string& text) {
  try {
    std::size_t used = 0;
    auto value = std::stol(text, &used);
    if (used != text.size())
      return std::nullopt;
    return value;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

server_options parse_args(int argc, char** argv) {
  server_options opts;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc)
      usage_error("missing value after " + arg);
    auto value = parse_number(argv[++i]);
    if (arg == "--port" && value && *value >= 0 && *value <= 65535)
      opts.port = static_cast<unsigned short>(*value);
    else if (arg == "--threads" && value && *value >= 1 && *value <= 256)
      opts.threads = static_cast<int>(*value);
    else
      usage_error("bad option " + arg + " " + argv[i]);
  }
  return opts;
}

tcp::acceptor open_acceptor(asio::io_context& ioc, unsigned short port) {
  tcp::endpoint endpoint{asio::ip::make_address("127.0.0.1"), port};
  tcp::acceptor acceptor{ioc};
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address{true});
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  return acceptor;
}

} // namespace

int main(int argc, char** argv) {
  auto opts = parse_args(argc, argv);
  asio::io_context ioc{opts.threads};
  try {
    auto acceptor = open_acceptor(ioc, opts.port);
    std::cout << "port=" << acceptor.local_endpoint().port() << std::endl;
    std::make_shared<listener>(ioc, std::move(acceptor))->accept();
  } catch (const boost::system::system_error& e) {
    std::cerr << "bsm_http_baseline_server: cannot listen on 127.0.0.1:"
              << opts.port << ": " << e.what() << '\n';
    return 1;
  }
  asio::signal_set signals{ioc, SIGINT, SIGTERM};
  signals.async_wait([&ioc](beast::error_code, int) { ioc.stop(); });
  std::vector<std::thread> extra;
  for (int i = 1; i < opts.threads; ++i)
    extra.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : extra)
    t.join();
  return 0;
}
