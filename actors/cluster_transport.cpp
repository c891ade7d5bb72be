#include "actors/cluster_transport.hpp"

#include <sys/socket.h>

#include <exception>
#include <mutex>
#include <type_traits>
#include <utility>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/io/basp_broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor_impl.hpp>
#include <caf/io/network/default_multiplexer.hpp>
#include <caf/io/network/doorman_impl.hpp>
#include <caf/io/network/stream_impl.hpp>
#include <caf/io/scribe.hpp>
#include <caf/openssl/session.hpp>
#include <caf/policy/tcp.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <openssl/err.h>

#include "runtime/error.hpp"

namespace bsm {

namespace {

using caf::io::network::default_multiplexer;
using caf::io::network::native_socket;
using caf::io::network::rw_state;
using cluster::basp_side;
using steady = std::chrono::steady_clock;

// Reads and writes through a caf_openssl session: the TLS handshake (with
// the peer's certificate checked against the cluster CA) comes first.
//
// Every call starts with an empty OpenSSL error queue. All sessions share
// the multiplexer's thread, and SSL_get_error() reads that thread's queue:
// caf_openssl drains it only where it logs, so without CAF's logging an
// error one connection left behind (a peer that hung up mid-record) turned
// the next "want read" of another connection into a failure and closed it.
// Two TLS nodes lost each other every time one dialled the other back.
struct tls_policy {
  explicit tls_policy(caf::openssl::session_ptr s) : session(std::move(s)) {}

  rw_state read_some(size_t& result, native_socket fd, void* buf, size_t len) {
    ERR_clear_error();
    return session->read_some(result, fd, buf, len);
  }

  rw_state write_some(size_t& result, native_socket fd, const void* buf,
                      size_t len) {
    ERR_clear_error();
    return session->write_some(result, fd, buf, len);
  }

  bool must_read_more(native_socket fd, size_t threshold) {
    return session->must_read_more(fd, threshold);
  }

  caf::openssl::session_ptr session;
};

class handshake_watch;

// A scribe whose every read passes a basp_guard before the broker sees it.
class guarded_scribe : public caf::io::scribe {
public:
  guarded_scribe(native_socket fd, cluster::basp_guard guard,
                 std::weak_ptr<handshake_watch> watch)
    : scribe(caf::io::network::conn_hdl_from_socket(fd)), guard_(guard),
      watch_(std::move(watch)) {}

  bool handshaken() const noexcept {
    return guard_.handshaken();
  }

  bool launched() const noexcept {
    return launched_;
  }

  bool consume(caf::execution_unit* ctx, const void* buf,
               size_t num_bytes) override;

  /// "peer host:port", as it was when the connection started.
  const std::string& peer() const noexcept {
    return peer_;
  }

  /// Closes the connection at once; the broker hears of it as of a lost
  /// one. Runs on the multiplexer's thread.
  void refuse(caf::execution_unit* ctx) {
    accounted_ = true;
    ::shutdown(socket(), SHUT_RDWR);
    io_failure(ctx, caf::io::network::operation::read);
  }

protected:
  virtual native_socket socket() const = 0;

  // A connection that ends before its handshake, not closed by us: a TLS
  // handshake that failed (no certificate, another CA, not TLS at all) or
  // a peer that left. Called by the most derived destructor.
  void note_end();

  bool launched_ = false;
  // Counted already (refused by the guard or the deadline).
  bool accounted_ = false;
  std::string peer_;

private:
  cluster::basp_guard guard_;
  // Weak: the watch holds the scribes that wait for their handshake.
  std::weak_ptr<handshake_watch> watch_;
};

using guarded_scribe_ptr = caf::intrusive_ptr<guarded_scribe>;

// The socket side of a guarded scribe: plain TCP or TLS.
template <class Policy>
class guarded_stream_scribe final : public guarded_scribe {
public:
  template <class... Ts>
  guarded_stream_scribe(default_multiplexer& mpx, native_socket fd,
                        cluster::basp_guard guard,
                        std::weak_ptr<handshake_watch> watch, Ts&&... xs)
    : guarded_scribe(fd, guard, std::move(watch)),
      stream_(mpx, fd, std::forward<Ts>(xs)...) {}

  void configure_read(caf::io::receive_policy::config config) override {
    stream_.configure_read(config);
    if (!launched_)
      launch();
  }

  void ack_writes(bool enable) override {
    stream_.ack_writes(enable);
  }

  std::vector<char>& wr_buf() override {
    return stream_.wr_buf();
  }

  std::vector<char>& rd_buf() override {
    return stream_.rd_buf();
  }

  void graceful_shutdown() override {
    stream_.graceful_shutdown();
    detach(&stream_.backend(), false);
  }

  void flush() override {
    stream_.flush(this);
  }

  std::string addr() const override {
    auto x = caf::io::network::remote_addr_of_fd(stream_.fd());
    return x ? *x : std::string{};
  }

  uint16_t port() const override {
    auto x = caf::io::network::remote_port_of_fd(stream_.fd());
    return x ? *x : uint16_t{0};
  }

  void add_to_loop() override {
    stream_.activate(this);
  }

  void remove_from_loop() override {
    stream_.passivate();
  }

protected:
  native_socket socket() const override {
    return stream_.fd();
  }

private:
  void launch() {
    launched_ = true;
    peer_ = "peer " + addr() + ":" + std::to_string(port());
    stream_.start(this);
    // TLS: wake the socket for writing so the handshake starts even before
    // there is anything to write.
    if constexpr (std::is_same_v<Policy, tls_policy>)
      stream_.force_empty_write(this);
  }

  caf::io::network::stream_impl<Policy> stream_;

public:
  ~guarded_stream_scribe() override {
    note_end();
  }
};

// Connections that have not completed their handshake yet, with their
// deadlines. Shared by the transport actor (connect), the doorman (accept)
// and the sweeper; sweep() and the scribes run on the multiplexer's thread.
class handshake_watch : public std::enable_shared_from_this<handshake_watch> {
public:
  handshake_watch(cluster_transport_options opts,
                  std::shared_ptr<spdlog::logger> log,
                  std::shared_ptr<cluster_transport_counters> counters)
    : opts_(opts), log_(std::move(log)), counters_(std::move(counters)) {}

  const cluster_transport_options& opts() const noexcept {
    return opts_;
  }

  /// A scribe for `fd` (owned from here on); null (fd closed) if no TLS
  /// session could be made.
  guarded_scribe_ptr make_scribe(caf::actor_system& sys,
                                 default_multiplexer& mpx, native_socket fd,
                                 basp_side side) {
    cluster::basp_guard guard{side, opts_.limits};
    if (!opts_.tls)
      return caf::make_counted<guarded_stream_scribe<caf::policy::tcp>>(
        mpx, fd, guard, weak_from_this());
    caf::io::network::nonblocking(fd, true);
    caf::openssl::session_ptr session;
    ERR_clear_error();
    try {
      session
        = caf::openssl::make_session(sys, fd, side == basp_side::accepted);
    } catch (const std::exception& e) {
      // caf_openssl raises when the certificate files cannot be read.
      log_->error("cluster: cannot start a TLS session: {}", e.what());
    }
    if (!session) {
      caf::io::network::close_socket(fd);
      return nullptr;
    }
    return caf::make_counted<guarded_stream_scribe<tls_policy>>(
      mpx, fd, guard, weak_from_this(), std::move(session));
  }

  /// False (and counted) when max_pending_handshakes accepted connections
  /// already wait for theirs. Multiplexer thread.
  bool room_for_accepted() {
    std::lock_guard<std::mutex> guard{mtx_};
    size_t waiting = 0;
    for (const auto& e : pending_)
      waiting += e.accepted && !e.scribe->handshaken() ? 1 : 0;
    if (waiting < opts_.max_pending_handshakes)
      return true;
    counters_->over_pending_limit++;
    note("cluster: refused a connection: "
         + std::to_string(opts_.max_pending_handshakes)
         + " connections already wait for their handshake");
    return false;
  }

  void watch(guarded_scribe_ptr scribe, bool accepted) {
    std::lock_guard<std::mutex> guard{mtx_};
    pending_.push_back(
      {std::move(scribe), steady::now() + opts_.handshake_timeout, accepted});
  }

  /// Closes connections past their deadline, forgets finished ones.
  /// Multiplexer thread.
  void sweep(caf::execution_unit* ctx) {
    std::vector<guarded_scribe_ptr> expired;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      auto now = steady::now();
      auto keep = pending_.begin();
      for (auto& e : pending_) {
        bool gone = e.scribe->launched() && e.scribe->detached();
        if (e.scribe->handshaken() || gone)
          continue;
        if (now >= e.deadline) {
          // Never launched: the broker never took it; its owner drops it.
          if (e.scribe->launched())
            expired.push_back(std::move(e.scribe));
          continue;
        }
        *keep++ = std::move(e);
      }
      pending_.erase(keep, pending_.end());
    }
    for (auto& scribe : expired) {
      counters_->handshake_timeouts++;
      note("cluster: closed " + scribe->peer() + ": no handshake within "
           + std::to_string(opts_.handshake_timeout.count()) + "ms");
      scribe->refuse(ctx);
    }
  }

  void refused(const guarded_scribe& scribe, const std::string& why) {
    counters_->refused_frames++;
    note("cluster: refused " + scribe.peer() + ": " + why);
  }

  void handshake_failed(const guarded_scribe& scribe) {
    counters_->handshake_failures++;
    note("cluster: " + scribe.peer() + " left before completing "
         + (opts_.tls ? "the TLS and BASP handshakes" : "the BASP handshake")
         + " (with TLS: no certificate from the cluster CA, or not TLS)");
  }

private:
  struct entry {
    guarded_scribe_ptr scribe;
    steady::time_point deadline;
    bool accepted;
  };

  // At most one line a second: a peer must not be able to flood the log.
  void note(const std::string& line) {
    auto now = steady::now();
    std::lock_guard<std::mutex> guard{log_mtx_};
    if (now < next_note_) {
      ++suppressed_;
      return;
    }
    next_note_ = now + std::chrono::seconds{1};
    if (suppressed_ > 0)
      log_->warn("{} ({} more refusals since the last line)", line,
                 suppressed_);
    else
      log_->warn("{}", line);
    suppressed_ = 0;
  }

  cluster_transport_options opts_;
  std::shared_ptr<spdlog::logger> log_;
  std::shared_ptr<cluster_transport_counters> counters_;
  std::mutex mtx_;
  std::vector<entry> pending_;
  std::mutex log_mtx_;
  steady::time_point next_note_;
  uint64_t suppressed_ = 0;
};

bool guarded_scribe::consume(caf::execution_unit* ctx, const void* buf,
                             size_t num_bytes) {
  auto problem = guard_.check(static_cast<const char*>(buf), num_bytes);
  if (problem.empty())
    return scribe::consume(ctx, buf, num_bytes);
  if (auto watch = watch_.lock())
    watch->refused(*this, problem);
  refuse(ctx);
  return false;
}

void guarded_scribe::note_end() {
  if (!launched_ || accounted_ || guard_.handshaken())
    return;
  if (auto watch = watch_.lock())
    watch->handshake_failed(*this);
}

// Accepts connections as guarded scribes.
class guarded_doorman final : public caf::io::network::doorman_impl {
public:
  guarded_doorman(default_multiplexer& mpx, native_socket fd,
                  std::shared_ptr<handshake_watch> watch)
    : doorman_impl(mpx, fd), watch_(std::move(watch)) {}

  bool new_connection() override {
    if (detached())
      return false;
    auto& mpx = acceptor_.backend();
    auto fd = acceptor_.accepted_socket();
    if (!watch_->room_for_accepted()) {
      caf::io::network::close_socket(fd);
      return false;
    }
    auto scribe
      = watch_->make_scribe(parent()->system(), mpx, fd, basp_side::accepted);
    if (!scribe)
      return false;
    watch_->watch(scribe, true);
    auto hdl = scribe->hdl();
    parent()->add_scribe(std::move(scribe));
    return doorman::new_connection(&mpx, hdl);
  }

private:
  std::shared_ptr<handshake_watch> watch_;
};

// CAF's middleman actor with our scribes and doormen.
class transport_actor final : public caf::io::middleman_actor_impl {
public:
  transport_actor(caf::actor_config& cfg, caf::actor broker,
                  std::shared_ptr<handshake_watch> watch)
    : middleman_actor_impl(cfg, std::move(broker)), watch_(std::move(watch)) {}

  const char* name() const override {
    return "cluster_transport";
  }

protected:
  caf::expected<caf::io::scribe_ptr> connect(const std::string& host,
                                             uint16_t port) override {
    auto fd = caf::io::network::new_tcp_connection(host, port);
    if (!fd)
      return std::move(fd.error());
    auto scribe
      = watch_->make_scribe(system(), mpx(), *fd, basp_side::connected);
    if (!scribe)
      return caf::make_error(caf::sec::cannot_connect_to_node,
                             "no TLS session");
    watch_->watch(scribe, false);
    return caf::io::scribe_ptr{std::move(scribe)};
  }

  caf::expected<caf::io::doorman_ptr> open(uint16_t port, const char* addr,
                                           bool reuse) override {
    auto fd = caf::io::network::new_tcp_acceptor_impl(port, addr, reuse);
    if (!fd)
      return std::move(fd.error());
    return caf::io::doorman_ptr{
      caf::make_counted<guarded_doorman>(mpx(), *fd, watch_)};
  }

private:
  default_multiplexer& mpx() {
    return static_cast<default_multiplexer&>(system().middleman().backend());
  }

  std::shared_ptr<handshake_watch> watch_;
};

// Ticks the sweep on the multiplexer's thread, a few times per timeout.
caf::behavior handshake_sweeper(caf::event_based_actor* self,
                                std::shared_ptr<handshake_watch> watch) {
  auto period = std::max(std::chrono::milliseconds{10},
                         watch->opts().handshake_timeout / 4);
  self->delayed_send(self, period, caf::tick_atom::value);
  return {[self, watch, period](caf::tick_atom) {
    auto* mpx = &self->home_system().middleman().backend();
    mpx->post([watch, mpx] { watch->sweep(mpx); });
    self->delayed_send(self, period, caf::tick_atom::value);
  }};
}

} // namespace

caf::io::middleman_actor
spawn_cluster_transport(caf::actor_system& sys, cluster_transport_options opts,
                        std::shared_ptr<spdlog::logger> log,
                        std::shared_ptr<cluster_transport_counters> counters) {
  auto watch = std::make_shared<handshake_watch>(opts, std::move(log),
                                                 std::move(counters));
  auto broker
    = sys.middleman().named_broker<caf::io::basp_broker>(caf::atom("BASP"));
  auto transport = sys.spawn<transport_actor, caf::detached + caf::hidden>(
    std::move(broker), watch);
  auto sweeper = sys.spawn<caf::hidden>(handshake_sweeper, watch);
  // The sweeper goes with the transport.
  transport->attach_functor(
    [sweeper] { caf::anon_send_exit(sweeper, caf::exit_reason::kill); });
  return caf::actor_cast<caf::io::middleman_actor>(transport);
}

caf::expected<uint16_t> publish_on_cluster_port(
  caf::actor_system& sys, const caf::io::middleman_actor& transport,
  const caf::actor& whom, const std::set<std::string>& interface,
  const listen_address& address) {
  caf::expected<uint16_t> result{caf::sec::runtime_error};
  caf::scoped_actor self{sys};
  // reuse_addr: a node restarted at once takes its port back from the
  // connections of its previous run that linger in TIME_WAIT.
  self
    ->request(transport, caf::infinite, caf::publish_atom::value, address.port,
              caf::actor_cast<caf::strong_actor_ptr>(whom), interface,
              address.host, true)
    .receive([&](uint16_t port) { result = port; },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

} // namespace bsm
