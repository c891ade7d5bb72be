// The raw baseline of the HTTP benchmark (bench/http_bench.sh): the least a
// Boost.Beast HTTP/1.1 server does, so that bsmd's HTTP bridge can be read
// as a ratio of it. Every request gets 200 with a fixed small JSON body;
// connections stay open while the client keeps them alive.
//
// Usage: bsm_http_baseline_server [--port P] [--threads N]
//                                 [--tls-cert F --tls-key F]
//   --port P     port on 127.0.0.1; 0 (the default) picks a free one.
//   --threads N  threads running the io_context; default 1.
//   --tls-cert F, --tls-key F  PEM certificate chain and key: HTTPS (a
//                Beast ssl_stream over the same handler), configured as
//                bsmd's runtime/http/tls_context.cpp does (TLS 1.2 at
//                least, OpenSSL's default ciphers, no compression), so
//                that the HTTPS pair compares the bridge, not the TLS
//                settings.
// The first line on standard output is "port=NNNN", flushed once the
// socket listens. SIGINT or SIGTERM stops the server.
//
// Structure as in Beast's http_server_async(_ssl) examples: one strand per
// connection, asynchronous accept, (handshake,) read and write, a 30 s
// idle timeout. A connection ends as bsmd's do: a TCP shutdown, no TLS
// close_notify.

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
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
#include <type_traits>
#include <utility>
#include <vector>

#include <openssl/ssl.h>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

constexpr std::string_view fixed_body = R"({"status":"ok"})";
constexpr auto idle_timeout = std::chrono::seconds{30};

struct server_options {
  unsigned short port = 0;
  int threads = 1;
  /// Both empty: plain HTTP.
  std::string tls_cert;
  std::string tls_key;
};

/// One keep-alive connection: (TLS handshake,) read a request, answer it,
/// repeat. Stream: beast::tcp_stream or tls_stream.
template <class Stream>
class session : public std::enable_shared_from_this<session<Stream>> {
public:
  static constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

  template <class... Args>
  explicit session(Args&&... args) : stream_{std::forward<Args>(args)...} {}

  void start() {
    // Run on the connection's strand, as every later handler does.
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (is_tls)
        self->handshake();
      else
        self->read();
    });
  }

private:
  beast::tcp_stream& tcp() {
    return beast::get_lowest_layer(stream_);
  }

  void handshake() {
    tcp().expires_after(idle_timeout);
    stream_.async_handshake(
      ssl::stream_base::server,
      [self = this->shared_from_this()](beast::error_code ec) {
        if (!ec)
          self->read();
      });
  }

  void read() {
    req_ = {};
    tcp().expires_after(idle_timeout);
    http::async_read(
      stream_, buffer_, req_,
      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
        self->on_read(ec);
      });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream)
      return shutdown();
    if (ec)
      return; // Timeout, a broken connection, or a TLS client's close
              // without close_notify: the socket closes with us.
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
      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
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
    tcp().socket().shutdown(asio::socket_base::shutdown_send, ignored);
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
};

/// Accepts connections and starts a session on its own strand for each.
class listener : public std::enable_shared_from_this<listener> {
public:
  /// `tls`: null for plain HTTP.
  listener(asio::io_context& ioc, tcp::acceptor&& acceptor,
           std::shared_ptr<ssl::context> tls)
    : ioc_{ioc}, acceptor_{std::move(acceptor)}, tls_{std::move(tls)} {}

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
      if (tls_)
        std::make_shared<session<tls_stream>>(std::move(socket), *tls_)
          ->start();
      else
        std::make_shared<session<beast::tcp_stream>>(std::move(socket))
          ->start();
    }
    // Other accept errors (e.g. out of descriptors) skip one connection.
    accept();
  }

  asio::io_context& ioc_;
  tcp::acceptor acceptor_;
  std::shared_ptr<ssl::context> tls_;
};

[[noreturn]] void usage_error(const std::string& what) {
  std::cerr << "bsm_http_baseline_server: " << what
            << "\nusage: bsm_http_baseline_server [--port P] [--threads N] "
               "[--tls-cert F --tls-key F]\n";
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
    std::string text = argv[++i];
    auto value = parse_number(text);
    if (arg == "--tls-cert" && !text.empty())
      opts.tls_cert = text;
    else if (arg == "--tls-key" && !text.empty())
      opts.tls_key = text;
    else if (arg == "--port" && value && *value >= 0 && *value <= 65535)
      opts.port = static_cast<unsigned short>(*value);
    else if (arg == "--threads" && value && *value >= 1 && *value <= 256)
      opts.threads = static_cast<int>(*value);
    else
      usage_error("bad option " + arg + " " + text);
  }
  if (opts.tls_cert.empty() != opts.tls_key.empty())
    usage_error("--tls-cert and --tls-key go together");
  return opts;
}

/// The settings of bsmd's make_server_tls_context (without client
/// certificates); throws boost::system::system_error for a bad file.
std::shared_ptr<ssl::context> make_tls_context(const server_options& opts) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_options(ssl::context::default_workarounds
                   | ssl::context::no_compression);
  ctx->use_certificate_chain_file(opts.tls_cert);
  ctx->use_private_key_file(opts.tls_key, ssl::context::pem);
  return ctx;
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
  std::shared_ptr<ssl::context> tls;
  if (!opts.tls_cert.empty()) {
    try {
      tls = make_tls_context(opts);
    } catch (const boost::system::system_error& e) {
      std::cerr << "bsm_http_baseline_server: cannot use --tls-cert "
                << opts.tls_cert << " and --tls-key " << opts.tls_key << ": "
                << e.what() << '\n';
      return 1;
    }
  }
  try {
    auto acceptor = open_acceptor(ioc, opts.port);
    std::cout << "port=" << acceptor.local_endpoint().port() << std::endl;
    std::make_shared<listener>(ioc, std::move(acceptor), std::move(tls))
      ->accept();
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
