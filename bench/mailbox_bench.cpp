// Durable send throughput through the real components: senders (as an actor
// on a node sends durably, actors/durable_send.hpp: through the mailbox
// router until the target's mailbox is listed, then straight to it) ->
// durable mailbox (group commit through the store writer) -> delivery to a
// sink actor -> acknowledgement (delete). Side by side with raw
// RocksDB doing the store's share of the same work (one put and one delete
// per message, same WriteOptions, envelope-sized values) in the same run.
//
// Each sender waits for the SendResponse of a message (the append is
// durable) before it sends the next, as a client waiting for its ack does.
// An iteration ends when every message of it has been acknowledged by the
// mailbox, not merely appended. $BSM_BENCH_DELIVERY_WINDOW sets
// mailbox.delivery_window (default 32; 1 delivers one at a time).
// $BSM_BENCH_VIA_ROUTER (any value) sends every message through the router.
// $BSM_BENCH_THREADS sets scheduler.threads; by default the workers a node
// with the default config runs here (node/node.cpp scheduler_for: one CAF
// worker per core not taken by the HTTP I/O threads, of which there is one);
// 0 is CAF's own default, max(4, cores), which no node runs.

#include <benchmark/benchmark.h>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <rocksdb/write_batch.h>
#include <spdlog/sinks/null_sink.h>

#include "actors/durable_send.hpp"
#include "actors/mailbox_router.hpp"
#include "protocols/caf_types.hpp"
#include "runtime/error.hpp"
#include "runtime/mailbox/mailbox_metrics.hpp"
#include "runtime/mailbox/mailbox_store.hpp"
#include "runtime/messages/type_registry.hpp"
#include "runtime/metrics/actor_stats.hpp"
#include "runtime/metrics/registry.hpp"
#include "runtime/naming/name_registry.hpp"
#include "runtime/store/store.hpp"
#include "runtime/store/store_writer.hpp"
#include "runtime/system_config.hpp"

namespace {

namespace fs = std::filesystem;

const std::string sink_path = "bench/sink";

/// Bytes of the PingRequest payload: with it, a serialised envelope (id,
/// target, type name, payload) is about 140 bytes.
constexpr size_t ping_payload_bytes = 64;

/// Messages per iteration, spread over the senders.
constexpr uint64_t messages_per_iteration = 4096;

/// The message a sender sends.
bsm::v1::PingRequest ping(uint64_t sequence) {
  bsm::v1::PingRequest ping;
  ping.set_sequence(sequence);
  ping.set_payload(std::string(ping_payload_bytes, 'p'));
  return ping;
}

/// What the mailbox stores for one durable send (the router fills in the id).
std::string sample_envelope() {
  bsm::v1::Envelope e;
  e.set_id("01JD0000000000000000000000"); // ULID-sized
  e.set_target(sink_path);
  e.set_type_name("bsm.v1.PingRequest");
  e.set_payload(ping(123456).SerializeAsString());
  return e.SerializeAsString();
}

const std::string envelope = sample_envelope();

/// A fresh directory under BSM_BENCH_DIR (default: the system temp dir,
/// which must be a real disk for the fsync figures to mean anything).
class bench_dir {
public:
  bench_dir() {
    const char* base = std::getenv("BSM_BENCH_DIR");
    std::random_device rd;
    path_
      = fs::path{base != nullptr ? base : fs::temp_directory_path().string()}
        / ("bsm-mailbox-bench-" + std::to_string(getpid()) + "-"
           + std::to_string(rd()));
  }

  ~bench_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }

  bench_dir(const bench_dir&) = delete;
  bench_dir& operator=(const bench_dir&) = delete;

  const fs::path& path() const noexcept {
    return path_;
  }

private:
  fs::path path_;
};

bsm::durability level_of(const benchmark::State& state) {
  return state.range(0) == 0 ? bsm::durability::os : bsm::durability::fsync;
}

std::unique_ptr<bsm::store> open_store(const fs::path& dir,
                                       bsm::durability level) {
  bsm::store_options opts;
  opts.durability = level;
  auto s = bsm::store::open(dir, opts);
  if (!s)
    throw std::runtime_error(bsm::render(s.error()));
  return std::move(*s);
}

/// CPU time (user + system) of the whole process so far, in microseconds.
double process_cpu_us() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto us = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_usec);
  };
  return us(ru.ru_utime) + us(ru.ru_stime);
}

/// Measures the process's CPU time per message over a benchmark's loop: a
/// figure that, unlike the rate, hardly moves when other processes share
/// the cores.
class cpu_meter {
public:
  cpu_meter() : start_(process_cpu_us()) {}

  void report(benchmark::State& state, uint64_t messages) const {
    if (messages > 0)
      state.counters["cpu_us_per_msg"]
        = (process_cpu_us() - start_) / static_cast<double>(messages);
  }

private:
  double start_;
};

// -- raw RocksDB -----------------------------------------------------------

// One put and one delete per message, each its own write.
void BM_RawRocksPutDelete(benchmark::State& state) {
  bench_dir dir;
  auto s = open_store(dir.path(), level_of(state));
  auto& db = s->db();
  auto* cf = s->handle(bsm::column::mailbox);
  const auto& wo = s->write_options();
  uint64_t seq = 0;
  for (auto _ : state) {
    auto key = bsm::mailbox::envelope_key(sink_path, ++seq);
    if (!db.Put(wo, cf, key, envelope).ok() || !db.Delete(wo, cf, key).ok())
      state.SkipWithError("write failed");
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["value_bytes"] = static_cast<double>(envelope.size());
}

// The puts of 64 messages in one batch, then their deletes in another: what
// a perfect group commit of 64 senders would write.
void BM_RawRocksBatchedPutDelete(benchmark::State& state) {
  constexpr int group = 64;
  bench_dir dir;
  auto s = open_store(dir.path(), level_of(state));
  auto& db = s->db();
  auto* cf = s->handle(bsm::column::mailbox);
  const auto& wo = s->write_options();
  uint64_t seq = 0;
  cpu_meter cpu;
  for (auto _ : state) {
    rocksdb::WriteBatch appends;
    rocksdb::WriteBatch acks;
    for (int i = 0; i < group; ++i) {
      auto key = bsm::mailbox::envelope_key(sink_path, ++seq);
      appends.Put(cf, key, envelope);
      acks.Delete(cf, key);
    }
    if (!db.Write(wo, &appends).ok() || !db.Write(wo, &acks).ok())
      state.SkipWithError("write failed");
  }
  state.SetItemsProcessed(state.iterations() * group);
  cpu.report(state, state.iterations() * group);
  state.counters["value_bytes"] = static_cast<double>(envelope.size());
}

// -- durable send ------------------------------------------------------------

/// Shared by the benchmark thread, the sink and the senders.
struct progress {
  std::mutex mtx;
  std::condition_variable cv;
  /// PingRequests the sink has answered, over all iterations.
  std::atomic<uint64_t> handled{0};
  /// `handled` at which the current iteration's deliveries are complete.
  std::atomic<uint64_t> goal{0};
  /// SendResponses (appends durable) left in the current iteration, and
  /// when the last one arrived (steady clock, nanoseconds).
  std::atomic<uint64_t> responses_left{0};
  std::atomic<int64_t> appended_ns{0};
  std::atomic<bool> failed{false};
  std::string error; // guarded by mtx

  void notify() {
    std::lock_guard<std::mutex> guard{mtx};
    cv.notify_all();
  }

  void fail(std::string what) {
    {
      std::lock_guard<std::mutex> guard{mtx};
      if (error.empty())
        error = std::move(what);
    }
    failed = true;
    notify();
  }
};

caf::behavior sink(caf::event_based_actor*, std::shared_ptr<progress> p) {
  return {
    [p](const bsm::v1::PingRequest& ping) {
      bsm::v1::PingResponse resp;
      resp.set_sequence(ping.sequence());
      if (++p->handled == p->goal.load(std::memory_order_relaxed))
        p->notify();
      return resp;
    },
  };
}

using run_atom = caf::atom_constant<caf::atom("run")>;

struct sender_state {
  uint64_t left = 0;
  uint64_t sequence = 0;
};

/// The way an actor on a node sends durably (actors/durable_send.hpp):
/// straight to a running local mailbox, else through the router.
using route_ptr = std::shared_ptr<const bsm::durable_route>;

void send_next(caf::stateful_actor<sender_state>* self, const route_ptr& route,
               const std::shared_ptr<progress>& p) {
  auto& st = self->state;
  if (st.left == 0)
    return;
  --st.left;
  bsm::v1::SendRequest req;
  req.mutable_envelope()->set_target(sink_path);
  bsm::send_durable(
    self, *route, std::move(req), ping(++st.sequence),
    [self, route, p](bsm::v1::SendResponse&) {
      if (--p->responses_left == 0)
        p->appended_ns
          = std::chrono::steady_clock::now().time_since_epoch().count();
      send_next(self, route, p);
    },
    [p](caf::error& err) { p->fail("send failed: " + bsm::render(err)); });
}

caf::behavior sender(caf::stateful_actor<sender_state>* self, route_ptr route,
                     std::shared_ptr<progress> p) {
  return {
    [self, route, p](run_atom, uint64_t n) {
      self->state.left = n;
      send_next(self, route, p);
    },
  };
}

/// The runtime pieces of a node's durable mailboxes, built as node::make
/// and node::mailboxes_child build them.
class durable_env {
public:
  explicit durable_env(bsm::durability level) {
    db_ = open_store(dir_.path(), level);
    writer_ = std::make_unique<bsm::store_writer>(*db_);
    mm_ = std::make_unique<bsm::mailbox_metrics>(
      bsm::mailbox_metrics::make(registry_));
    stats_ = std::make_unique<bsm::metrics::actor_stats_collector>(registry_);
    bsm::scheduler_options sched;
    auto cores = std::max(1u, std::thread::hardware_concurrency());
    sched.threads = cores > 1 ? cores - 1 : 1;
    if (const char* threads = std::getenv("BSM_BENCH_THREADS"))
      sched.threads = static_cast<uint32_t>(std::strtoul(threads, nullptr, 10));
    cfg_ = std::make_unique<bsm::system_config>(sched, stats_.get());
    sys_ = std::make_unique<caf::actor_system>(*cfg_);
    bsm::mailbox_env env;
    env.db = db_.get();
    env.writer = writer_.get();
    env.types = &types_;
    env.names = names_;
    env.opts.max_depth = 100'000'000;
    if (const char* window = std::getenv("BSM_BENCH_DELIVERY_WINDOW"))
      env.opts.delivery_window = std::strtoull(window, nullptr, 10);
    env.log = std::make_shared<spdlog::logger>(
      "bench", std::make_shared<spdlog::sinks::null_sink_mt>());
    env.metrics = mm_.get();
    env.locals = locals_;
    router_ = sys_->spawn(bsm::mailbox_router, env);
    auto route = std::make_shared<bsm::durable_route>();
    route->router = router_;
    if (!std::getenv("BSM_BENCH_VIA_ROUTER"))
      route->mailboxes = locals_;
    route->types = &types_;
    route->max_envelope_bytes = env.opts.max_envelope_bytes;
    route_ = std::move(route);
    sink_ = sys_->spawn(sink, progress_);
    if (auto err = names_->put(sink_path, sink_))
      throw std::runtime_error(bsm::render(err));
  }

  ~durable_env() {
    for (auto& s : senders_)
      caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(router_, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(sink_, caf::exit_reason::user_shutdown);
    names_->erase(sink_path, sink_.address());
    senders_.clear();
    router_ = nullptr;
    route_ = nullptr;
    sink_ = nullptr;
    sys_->await_all_actors_done();
    // Its completions message actors: gone before the actor system.
    writer_.reset();
    sys_.reset();
    db_.reset();
  }

  void add_senders(size_t n) {
    while (senders_.size() < n)
      senders_.push_back(sys_->spawn(sender, route_, progress_));
  }

  /// Sends `per_sender` messages from each sender and blocks until the
  /// mailbox has acknowledged all of them. Returns false on a failure.
  bool run(uint64_t per_sender) {
    auto total = per_sender * senders_.size();
    auto start = std::chrono::steady_clock::now();
    progress_->responses_left = total;
    progress_->goal = progress_->handled.load() + total;
    auto acked_goal = mm_->acknowledged.value() + total;
    for (auto& s : senders_)
      caf::anon_send(s, run_atom::value, per_sender);
    {
      std::unique_lock<std::mutex> guard{progress_->mtx};
      progress_->cv.wait(guard, [&] {
        return progress_->failed
               || progress_->handled.load() >= progress_->goal.load();
      });
    }
    // The sink has answered the last one; the mailbox counts the
    // acknowledgement when it receives that answer, microseconds later (and
    // the last sender may still be on its way to see its SendResponse).
    while (!progress_->failed
           && (mm_->acknowledged.value() < acked_goal
               || progress_->responses_left.load() != 0))
      std::this_thread::yield();
    auto end = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point appended{
      std::chrono::steady_clock::duration{progress_->appended_ns.load()}};
    append_time_ += appended - start;
    total_time_ += end - start;
    return !progress_->failed;
  }

  /// Share of the run time until the last append was answered; the rest
  /// is deliveries catching up.
  double append_share() const {
    return total_time_.count() > 0
             ? static_cast<double>(append_time_.count())
                 / static_cast<double>(total_time_.count())
             : 0.0;
  }

  /// Appends answered per second, over the time until each run's last
  /// answer: the senders' view, deliveries aside.
  double appends_per_second(uint64_t messages) const {
    auto s = std::chrono::duration<double>(append_time_).count();
    return s > 0 ? static_cast<double>(messages) / s : 0.0;
  }

  void reset_clock() {
    append_time_ = total_time_ = {};
  }

  std::string error() {
    std::lock_guard<std::mutex> guard{progress_->mtx};
    return progress_->error;
  }

  const bsm::store_writer& writer() const {
    return *writer_;
  }

  const bsm::mailbox_metrics& metrics() const {
    return *mm_;
  }

private:
  bench_dir dir_;
  std::unique_ptr<bsm::store> db_;
  std::unique_ptr<bsm::store_writer> writer_;
  bsm::type_registry types_ = bsm::type_registry::with_bsm_v1_types();
  std::shared_ptr<bsm::name_registry> names_
    = std::make_shared<bsm::name_registry>();
  bsm::metrics::registry registry_;
  std::unique_ptr<bsm::mailbox_metrics> mm_;
  std::unique_ptr<bsm::metrics::actor_stats_collector> stats_;
  std::unique_ptr<bsm::system_config> cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  std::shared_ptr<progress> progress_ = std::make_shared<progress>();
  std::shared_ptr<bsm::local_mailboxes> locals_
    = std::make_shared<bsm::local_mailboxes>();
  bsm::mailbox_router_actor router_;
  route_ptr route_;
  caf::actor sink_;
  std::vector<caf::actor> senders_;
  std::chrono::steady_clock::duration append_time_{};
  std::chrono::steady_clock::duration total_time_{};
};

// Arguments: durability (0 = os, 1 = fsync), concurrent senders.
void BM_DurableSend(benchmark::State& state) {
  auto senders = static_cast<uint64_t>(state.range(1));
  auto per_sender = std::max<uint64_t>(1, messages_per_iteration / senders);
  durable_env env{level_of(state)};
  env.add_senders(senders);
  // The mailbox is spawned by the first send; keep that out of the figure.
  if (!env.run(1)) {
    state.SkipWithError(env.error().c_str());
    return;
  }
  env.reset_clock();
  auto writes0 = env.writer().writes();
  auto batches0 = env.writer().batches();
  cpu_meter cpu;
  for (auto _ : state) {
    if (!env.run(per_sender)) {
      state.SkipWithError(env.error().c_str());
      break;
    }
  }
  state.SetItemsProcessed(
    static_cast<int64_t>(state.iterations() * senders * per_sender));
  cpu.report(state, state.iterations() * senders * per_sender);
  auto writes = env.writer().writes() - writes0;
  auto batches = env.writer().batches() - batches0;
  if (writes > 0)
    state.counters["mean_group"]
      = static_cast<double>(batches) / static_cast<double>(writes);
  // Below 1: the senders had all their appends answered before the mailbox
  // had delivered and acknowledged everything (delivery is the bottleneck).
  state.counters["append_share"] = env.append_share();
  state.counters["appends_per_s"] = env.appends_per_second(
    static_cast<uint64_t>(state.iterations() * senders * per_sender));
  state.counters["redeliveries"]
    = static_cast<double>(env.metrics().redeliveries.value());
}

} // namespace

BENCHMARK(BM_RawRocksPutDelete)
  ->ArgNames({"fsync"})
  ->Arg(0)
  ->Arg(1)
  ->Unit(benchmark::kMicrosecond)
  ->UseRealTime();
BENCHMARK(BM_RawRocksBatchedPutDelete)
  ->ArgNames({"fsync"})
  ->Arg(0)
  ->Arg(1)
  ->Unit(benchmark::kMicrosecond)
  ->UseRealTime();
BENCHMARK(BM_DurableSend)
  ->ArgNames({"fsync", "senders"})
  ->ArgsProduct({{0, 1}, {1, 8, 64}})
  ->Unit(benchmark::kMillisecond)
  ->UseRealTime();

BENCHMARK_MAIN();
