// Typed message throughput and request/response latency: the runtime's send
// path (bsm.v1 protobuf messages between instrumented actors of a node's
// actor system) against raw CAF with an equivalent plain struct between
// plain actors, side by side in one binary and one run.

#include <benchmark/benchmark.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "actors/node_info_actor.hpp"
#include "protocols/caf_types.hpp"
#include "runtime/metrics/actor_stats.hpp"
#include "runtime/metrics/instrumented.hpp"
#include "runtime/system_config.hpp"

namespace {

/// The raw baseline's message: the same fields as bsm.v1.PingRequest.
struct plain_ping {
  uint64_t sequence = 0;
  std::string payload;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, plain_ping& x) {
  return f(caf::meta::type_name("plain_ping"), x.sequence, x.payload);
}

struct plain_pong {
  uint64_t sequence = 0;
  std::string payload;
  std::string node;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, plain_pong& x) {
  return f(caf::meta::type_name("plain_pong"), x.sequence, x.payload, x.node);
}

using run_atom = caf::atom_constant<caf::atom("run")>;
using done_atom = caf::atom_constant<caf::atom("done")>;

/// Messages per benchmark iteration (small enough to stay in cache, so the
/// figure is the send path, not the allocator).
constexpr uint64_t batch = 1'000;

// -- raw CAF ------------------------------------------------------------------

class raw_config : public caf::actor_system_config {
public:
  explicit raw_config(size_t threads) {
    add_message_type<plain_ping>("plain_ping");
    add_message_type<plain_pong>("plain_pong");
    set("scheduler.max-threads", threads);
  }
};

caf::behavior raw_receiver(caf::event_based_actor* self, caf::actor client) {
  auto seen = std::make_shared<uint64_t>(0);
  return {[=](const plain_ping& ping) {
    if (++*seen % batch == 0)
      self->send(client, done_atom::value, ping.sequence);
  }};
}

caf::behavior raw_sender(caf::event_based_actor* self, caf::actor receiver,
                         std::string payload) {
  return {[=](run_atom, uint64_t n) {
    for (uint64_t i = 1; i <= n; ++i)
      self->send(receiver, plain_ping{i, payload});
  }};
}

caf::behavior raw_echo(caf::event_based_actor*) {
  return {[](const plain_ping& ping) {
    return plain_pong{ping.sequence, ping.payload, "node-a"};
  }};
}

// -- runtime ------------------------------------------------------------------

struct receiver_state {
  static constexpr const char* name = "bench_receiver";
  uint64_t seen = 0;
};

caf::behavior runtime_receiver(bsm::stateful_actor<receiver_state>* self,
                               caf::actor client) {
  return {[=](const bsm::v1::PingRequest& ping) {
    if (++self->state.seen % batch == 0)
      self->send(client, done_atom::value, ping.sequence());
  }};
}

struct sender_state {
  static constexpr const char* name = "bench_sender";
};

caf::behavior runtime_sender(bsm::stateful_actor<sender_state>* self,
                             caf::actor receiver, std::string payload) {
  return {[=](run_atom, uint64_t n) {
    for (uint64_t i = 1; i <= n; ++i) {
      bsm::v1::PingRequest ping;
      ping.set_sequence(i);
      // proto3: an empty field is the default; setting it would allocate.
      if (!payload.empty())
        ping.set_payload(payload);
      self->send(receiver, std::move(ping));
    }
  }};
}

/// A node's actor system: bsm types, error category, per-actor statistics.
struct runtime_env {
  explicit runtime_env(uint32_t threads)
    : cfg(bsm::scheduler_options{threads}, &collector) {}
  bsm::metrics::registry registry;
  bsm::metrics::actor_stats_collector collector{registry};
  bsm::system_config cfg;
};

// -- benchmarks ---------------------------------------------------------------
// Arguments: scheduler threads (1: sender and receiver share a core, so the
// figure is the cost of the send path itself; 2: across cores) and payload
// bytes (0: a message of one integer; 64: plus a string, which protobuf
// keeps behind one more heap allocation than std::string does).

template <class Sys, class Receiver, class Sender>
void run_throughput(benchmark::State& state, Sys& sys, Receiver receiver_fun,
                    Sender sender_fun) {
  caf::scoped_actor client{sys};
  std::string payload(static_cast<size_t>(state.range(1)), 'x');
  auto receiver = sys.spawn(receiver_fun, caf::actor{client});
  auto sender = sys.spawn(sender_fun, receiver, payload);
  for (auto _ : state) {
    caf::anon_send(sender, run_atom::value, batch);
    client->receive([](done_atom, uint64_t) {});
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch));
  caf::anon_send_exit(sender, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(receiver, caf::exit_reason::user_shutdown);
}

void BM_RawCafThroughput(benchmark::State& state) {
  raw_config cfg{static_cast<size_t>(state.range(0))};
  caf::actor_system sys{cfg};
  run_throughput(state, sys, raw_receiver, raw_sender);
}

void BM_RuntimeTypedThroughput(benchmark::State& state) {
  runtime_env env{static_cast<uint32_t>(state.range(0))};
  caf::actor_system sys{env.cfg};
  run_throughput(state, sys, runtime_receiver, runtime_sender);
}

void BM_RawCafRoundTrip(benchmark::State& state) {
  raw_config cfg{static_cast<size_t>(state.range(0))};
  caf::actor_system sys{cfg};
  auto echo = sys.spawn(raw_echo);
  caf::scoped_actor self{sys};
  std::string payload(static_cast<size_t>(state.range(1)), 'x');
  uint64_t seq = 0;
  for (auto _ : state)
    self->request(echo, caf::infinite, plain_ping{++seq, payload})
      .receive([](plain_pong& pong) { benchmark::DoNotOptimize(pong); },
               [&](caf::error&) { state.SkipWithError("request failed"); });
  caf::anon_send_exit(echo, caf::exit_reason::user_shutdown);
}

void BM_RuntimeTypedRoundTrip(benchmark::State& state) {
  runtime_env env{static_cast<uint32_t>(state.range(0))};
  caf::actor_system sys{env.cfg};
  auto echo = sys.spawn(bsm::node_info, bsm::node_info_options{"node-a", {}});
  caf::scoped_actor self{sys};
  std::string payload(static_cast<size_t>(state.range(1)), 'x');
  uint64_t seq = 0;
  for (auto _ : state) {
    bsm::v1::PingRequest ping;
    ping.set_sequence(++seq);
    ping.set_payload(payload);
    self->request(echo, caf::infinite, std::move(ping))
      .receive(
        [](bsm::v1::PingResponse& pong) { benchmark::DoNotOptimize(pong); },
        [&](caf::error&) { state.SkipWithError("request failed"); });
  }
  caf::anon_send_exit(echo, caf::exit_reason::user_shutdown);
}

void bench_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"threads", "payload"})->ArgsProduct({{1, 2}, {0, 64}});
  b->UseRealTime();
}

} // namespace

BENCHMARK(BM_RawCafThroughput)
  ->Apply(bench_args)
  ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RuntimeTypedThroughput)
  ->Apply(bench_args)
  ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RawCafRoundTrip)->Apply(bench_args)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RuntimeTypedRoundTrip)
  ->Apply(bench_args)
  ->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
