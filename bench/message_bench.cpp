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

constexpr int scheduler_threads = 2;
const std::string payload(64, 'x');

// -- raw CAF ------------------------------------------------------------------

class raw_config : public caf::actor_system_config {
public:
  raw_config() {
    add_message_type<plain_ping>("plain_ping");
    add_message_type<plain_pong>("plain_pong");
    set("scheduler.max-threads", scheduler_threads);
  }
};

caf::behavior raw_receiver(caf::event_based_actor* self, caf::actor client,
                           uint64_t expected) {
  auto seen = std::make_shared<uint64_t>(0);
  return {[=](const plain_ping& ping) {
    if (++*seen == expected)
      self->send(client, done_atom::value, ping.sequence);
  }};
}

caf::behavior raw_sender(caf::event_based_actor* self, caf::actor receiver) {
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
                               caf::actor client, uint64_t expected) {
  return {[=](const bsm::v1::PingRequest& ping) {
    if (++self->state.seen == expected)
      self->send(client, done_atom::value, ping.sequence());
  }};
}

struct sender_state {
  static constexpr const char* name = "bench_sender";
};

caf::behavior runtime_sender(bsm::stateful_actor<sender_state>* self,
                             caf::actor receiver) {
  return {[=](run_atom, uint64_t n) {
    for (uint64_t i = 1; i <= n; ++i) {
      bsm::v1::PingRequest ping;
      ping.set_sequence(i);
      ping.set_payload(payload);
      self->send(receiver, std::move(ping));
    }
  }};
}

/// A node's actor system: bsm types, error category, per-actor statistics.
struct runtime_env {
  bsm::metrics::registry registry;
  bsm::metrics::actor_stats_collector collector{registry};
  bsm::system_config cfg{bsm::scheduler_options{scheduler_threads},
                         &collector};
};

// -- benchmarks ---------------------------------------------------------------

constexpr uint64_t batch = 100'000;

template <class Sys, class Spawn>
void run_throughput(benchmark::State& state, Sys& sys, Spawn spawn_pair) {
  caf::scoped_actor client{sys};
  for (auto _ : state) {
    auto sender = spawn_pair(caf::actor{client});
    caf::anon_send(sender, run_atom::value, batch);
    client->receive([](done_atom, uint64_t) {});
    caf::anon_send_exit(sender, caf::exit_reason::user_shutdown);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch));
}

void BM_RawCafThroughput(benchmark::State& state) {
  raw_config cfg;
  caf::actor_system sys{cfg};
  run_throughput(state, sys, [&](caf::actor client) {
    auto receiver = sys.spawn(raw_receiver, client, batch);
    return sys.spawn(raw_sender, receiver);
  });
}

void BM_RuntimeTypedThroughput(benchmark::State& state) {
  runtime_env env;
  caf::actor_system sys{env.cfg};
  run_throughput(state, sys, [&](caf::actor client) {
    auto receiver = sys.spawn(runtime_receiver, client, batch);
    return sys.spawn(runtime_sender, receiver);
  });
}

void BM_RawCafRoundTrip(benchmark::State& state) {
  raw_config cfg;
  caf::actor_system sys{cfg};
  auto echo = sys.spawn(raw_echo);
  caf::scoped_actor self{sys};
  uint64_t seq = 0;
  for (auto _ : state)
    self->request(echo, caf::infinite, plain_ping{++seq, payload})
      .receive([](plain_pong& pong) { benchmark::DoNotOptimize(pong); },
               [&](caf::error&) { state.SkipWithError("request failed"); });
  caf::anon_send_exit(echo, caf::exit_reason::user_shutdown);
}

void BM_RuntimeTypedRoundTrip(benchmark::State& state) {
  runtime_env env;
  caf::actor_system sys{env.cfg};
  auto echo = sys.spawn(bsm::node_info, bsm::node_info_options{"node-a", {}});
  caf::scoped_actor self{sys};
  uint64_t seq = 0;
  for (auto _ : state) {
    bsm::v1::PingRequest ping;
    ping.set_sequence(++seq);
    ping.set_payload(payload);
    self->request(echo, caf::infinite, std::move(ping))
      .receive([](bsm::v1::PingResponse& pong) { benchmark::DoNotOptimize(pong); },
               [&](caf::error&) { state.SkipWithError("request failed"); });
  }
  caf::anon_send_exit(echo, caf::exit_reason::user_shutdown);
}

} // namespace

BENCHMARK(BM_RawCafThroughput)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_RuntimeTypedThroughput)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_RawCafRoundTrip)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_RuntimeTypedRoundTrip)->Unit(benchmark::kMicrosecond)->UseRealTime();

BENCHMARK_MAIN();
