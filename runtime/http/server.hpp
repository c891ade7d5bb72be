#pragma once

// The HTTP listener: an Asio io_context on its own threads (never CAF's
// scheduler threads), an acceptor that refuses connections beyond
// max_connections, and the sessions, over plain TCP or, with TLS files,
// over TLS only. Requests go to the dispatcher; the server knows nothing
// about routes or actors.

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <caf/expected.hpp>
#include <spdlog/logger.h>

#include "runtime/http/http_metrics.hpp"
#include "runtime/http/http_options.hpp"
#include "runtime/http/session.hpp"
#include "runtime/http/tls_context.hpp"

namespace bsm::http {

struct server_options {
  listen_address listen;
  uint32_t io_threads = 1;
  uint64_t max_connections = 1024;
  session_options session;
  /// Set: HTTPS only.
  tls_files tls;

  /// The server options of a node's http section.
  static server_options from(const http_options& opts);
};

class server {
public:
  /// Binds `opts.listen` and starts serving on `opts.io_threads` threads.
  /// Errors: `unavailable` if the address cannot be bound;
  /// `invalid_argument` if the TLS files make no context (naming the key).
  [[nodiscard]] static caf::expected<std::unique_ptr<server>>
  start(server_options opts, dispatcher dispatch, http_metrics* metrics,
        std::shared_ptr<spdlog::logger> log);

  /// Drains (if not done yet) and joins the threads.
  ~server();

  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// "host:port" actually bound.
  const std::string& address() const noexcept {
    return address_;
  }

  /// "https://host:port" with TLS, else address().
  std::string published_address() const {
    return opts_.tls.enabled() ? "https://" + address_ : address_;
  }

  /// Reads the TLS files again; new connections use the new context. On
  /// an error the current one stays (`invalid_argument`, naming the key).
  /// Without TLS, nothing to do. Thread-safe.
  [[nodiscard]] caf::error reload_tls();

  /// Stops accepting, lets in-flight requests finish for up to `timeout`,
  /// then closes every connection and stops the threads. Blocks the
  /// calling thread (call it from main, not from an actor).
  void drain(std::chrono::milliseconds timeout);

  /// True once drain() began.
  bool draining() const noexcept {
    return draining_.load();
  }

  size_t open_connections() const noexcept {
    return open_.load();
  }

private:
  server(server_options opts, dispatcher dispatch, http_metrics* metrics,
         std::shared_ptr<spdlog::logger> log);

  caf::error load_tls();
  tls_context_ptr current_tls();
  caf::error bind();
  void accept();
  void on_accept(boost::asio::ip::tcp::socket socket);
  void forget_closed_sessions();

  server_options opts_;
  dispatcher dispatch_;
  http_metrics* metrics_;
  std::shared_ptr<spdlog::logger> log_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
  std::string address_;
  std::atomic<bool> draining_{false};
  bool stopped_ = false;
  // Shared with the sessions' close callbacks, which may outlive a drain.
  std::shared_ptr<std::atomic<size_t>> open_count_;
  std::atomic<size_t>& open_;
  std::mutex mtx_;
  // Guarded by mtx_; replaced on reload, kept by each session that uses it.
  tls_context_ptr tls_;
  std::vector<std::weak_ptr<session>> sessions_;
  size_t sweep_at_ = 64;
};

} // namespace bsm::http
