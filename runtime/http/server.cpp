#include "runtime/http/server.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "runtime/error.hpp"
#include "runtime/http/stream_session.hpp"
#include "runtime/listen_socket.hpp"

namespace bsm::http {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

server_options server_options::from(const http_options& opts) {
  server_options result;
  result.listen = opts.listen;
  result.io_threads = opts.io_threads;
  result.max_connections = opts.max_connections;
  result.session.limits.max_header_bytes = opts.max_header_bytes;
  result.session.limits.max_uri_bytes = opts.max_uri_bytes;
  result.session.limits.max_body_bytes = opts.max_body_bytes;
  result.session.read_timeout = opts.read_timeout;
  result.session.idle_timeout = opts.idle_timeout;
  result.session.sse_heartbeat = opts.sse_heartbeat;
  result.session.sse_max_queued_bytes = opts.sse_max_queued_bytes;
  result.session.handler_timeout
    = opts.max_ask_timeout + std::chrono::seconds{10};
  result.tls = tls_files_of(opts);
  return result;
}

server::server(server_options opts, dispatcher dispatch, http_metrics* metrics,
               std::shared_ptr<spdlog::logger> log)
  : opts_(std::move(opts)), dispatch_(std::move(dispatch)), metrics_(metrics),
    log_(std::move(log)), ioc_(static_cast<int>(opts_.io_threads)),
    acceptor_(net::make_strand(ioc_)),
    open_count_(std::make_shared<std::atomic<size_t>>(0)), open_(*open_count_) {
}

caf::expected<std::unique_ptr<server>>
server::start(server_options opts, dispatcher dispatch, http_metrics* metrics,
              std::shared_ptr<spdlog::logger> log) {
  std::unique_ptr<server> result{
    new server(std::move(opts), std::move(dispatch), metrics, std::move(log))};
  if (auto err = result->load_tls())
    return err;
  if (auto err = result->bind())
    return err;
  result->accept();
  for (uint32_t i = 0; i < result->opts_.io_threads; ++i)
    result->threads_.emplace_back([s = result.get()] { s->ioc_.run(); });
  return result;
}

caf::error server::load_tls() {
  if (!opts_.tls.enabled())
    return caf::none;
  auto loaded = make_server_tls_context(opts_.tls);
  if (!loaded)
    return make_error(errc::invalid_argument,
                      loaded.failed_key + ": " + loaded.message);
  std::lock_guard<std::mutex> guard{mtx_};
  tls_ = std::move(loaded.context);
  return caf::none;
}

caf::error server::reload_tls() {
  return load_tls();
}

tls_context_ptr server::current_tls() {
  std::lock_guard<std::mutex> guard{mtx_};
  return tls_;
}

caf::error server::bind() {
  if (auto ec = open_listener(acceptor_, opts_.listen))
    return make_error(errc::unavailable, "cannot listen on HTTP address "
                                           + to_string(opts_.listen)
                                           + " (http.listen): " + ec.message());
  boost::system::error_code ec;
  auto bound = acceptor_.local_endpoint(ec);
  address_ = to_string(listen_address{opts_.listen.host, bound.port()});
  return caf::none;
}

void server::accept() {
  acceptor_.async_accept(
    net::make_strand(ioc_),
    [this](boost::system::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || draining_)
        return;
      if (!ec)
        on_accept(std::move(socket));
      accept();
    });
}

void server::on_accept(tcp::socket socket) {
  if (open_.load() >= opts_.max_connections) {
    // Closing at once is the cheapest answer a flood can get.
    metrics_->refused_connections.inc();
    boost::system::error_code ignored;
    socket.close(ignored);
    return;
  }
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay{true}, ignored);
  ++open_;
  metrics_->open_connections.add(1);
  auto on_close = [count = open_count_, metrics = metrics_] {
    --*count;
    metrics->open_connections.add(-1);
  };
  std::shared_ptr<session> s;
  if (auto tls = current_tls())
    s = std::make_shared<stream_session<tls_stream>>(
      tls_stream{std::move(socket), *tls}, tls, opts_.session, dispatch_,
      metrics_, std::move(on_close));
  else
    s = std::make_shared<stream_session<beast::tcp_stream>>(
      beast::tcp_stream{std::move(socket)}, nullptr, opts_.session, dispatch_,
      metrics_, std::move(on_close));
  {
    std::lock_guard<std::mutex> guard{mtx_};
    forget_closed_sessions();
    sessions_.push_back(s);
  }
  s->start();
}

void server::forget_closed_sessions() {
  // Amortised: only when the list doubled since the last sweep.
  if (sessions_.size() < sweep_at_)
    return;
  sessions_.erase(std::remove_if(sessions_.begin(), sessions_.end(),
                                 [](const auto& w) { return w.expired(); }),
                  sessions_.end());
  sweep_at_ = std::max<size_t>(64, sessions_.size() * 2);
}

void server::drain(std::chrono::milliseconds timeout) {
  if (stopped_)
    return;
  if (!draining_.exchange(true)) {
    net::post(acceptor_.get_executor(), [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
    });
    std::vector<std::shared_ptr<session>> live;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      for (auto& w : sessions_)
        if (auto s = w.lock())
          live.push_back(std::move(s));
    }
    for (auto& s : live)
      s->drain();
    live.clear();
    auto until = std::chrono::steady_clock::now() + timeout;
    while (open_.load() > 0 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
    if (open_.load() > 0 && log_)
      log_->warn("http: {} connection(s) still open after the drain timeout",
                 open_.load());
  }
  stopped_ = true;
  ioc_.stop();
  for (auto& t : threads_)
    if (t.joinable())
      t.join();
  threads_.clear();
}

server::~server() {
  drain(std::chrono::milliseconds{0});
}

} // namespace bsm::http
