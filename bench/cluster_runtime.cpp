#include "bench/cluster_runtime.hpp"

#include <signal.h>
#include <stdlib.h>

#include <deque>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <nlohmann/json.hpp>

#include "actors/cluster_ingress.hpp"
#include "agents/mcp/child_process.hpp"
#include "node/bsmd_runner.hpp"
#include "node/node.hpp"
#include "runtime/error.hpp"

namespace bsm::bench {

namespace {

using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* sink_path = "bench_sink";
constexpr const char* peer_name = "bench-b";
// Durable sends in flight at once (like many concurrent senders).
constexpr size_t durable_in_flight = 4096;

throughput_result rate(uint64_t n, double elapsed_s) {
  return {n, elapsed_s, static_cast<double>(n) / elapsed_s};
}

// Counts the PingRequests it gets; a PingRequest with payload "count" is
// answered with the count and not counted.
caf::behavior counting_sink(caf::event_based_actor*) {
  auto count = std::make_shared<uint64_t>(0);
  return {
    [count](const v1::PingRequest& req) {
      if (req.payload() != "count")
        ++*count;
      v1::PingResponse resp;
      resp.set_sequence(*count);
      return resp;
    },
  };
}

v1::PingRequest ping(size_t payload_bytes) {
  v1::PingRequest req;
  req.set_payload(std::string(payload_bytes, 'x'));
  return req;
}

v1::PingRequest count_request() {
  v1::PingRequest req;
  req.set_payload("count");
  return req;
}

/// --set lines (or fields) for mutual TLS with `name`'s files in `dir`.
std::vector<std::pair<std::string, std::string>>
tls_settings(const std::string& dir, const std::string& name) {
  if (dir.empty())
    return {};
  return {{"cluster.tls_certificate", dir + "/" + name + ".pem"},
          {"cluster.tls_key", dir + "/" + name + ".key"},
          {"cluster.tls_ca", dir + "/ca.pem"}};
}

caf::expected<peer_node> start_peer_node(const std::string& exe,
                                         const std::string& config,
                                         const std::filesystem::path& data,
                                         const std::string& tls_dir,
                                         const std::vector<std::string>& sets) {
  mcp::spawn_options so;
  so.command = exe;
  so.args = {"node",
             "--config",
             config,
             "--set",
             std::string{"node.name="} + peer_name,
             "--set",
             "node.data_dir=" + data.string(),
             "--set",
             "http.listen=127.0.0.1:0",
             "--set",
             "cluster.listen=127.0.0.1:0",
             "--set",
             "agents.paths=[]",
             "--set",
             "mailbox.max_depth=10000000",
             "--set",
             "logging.level=warn"};
  for (const auto& [key, value] : tls_settings(tls_dir, peer_name)) {
    so.args.push_back("--set");
    so.args.push_back(key + "=" + value);
  }
  for (const auto& set : sets) {
    so.args.push_back("--set");
    so.args.push_back(set);
  }
  so.on_stderr = [](std::string_view line) {
    std::cerr << "node b: " << line << '\n';
  };
  auto child = mcp::child_process::spawn(std::move(so));
  if (!child)
    return child.error();
  peer_node peer;
  peer.child = std::move(*child);
  for (int i = 0; i < 300; ++i) {
    std::ifstream in{data / "ports.json"};
    auto doc = nlohmann::json::parse(in, nullptr, false);
    if (!doc.is_discarded() && doc.contains("cluster")) {
      peer.cluster_address = doc["cluster"].get<std::string>();
      peer.http_address = doc.value("http", "");
      return peer;
    }
    if (peer.child->try_wait())
      return make_error(errc::unavailable,
                        "node b exited: " + peer.child->stderr_tail());
    std::this_thread::sleep_for(50ms);
  }
  peer.child->terminate(2s);
  return make_error(errc::deadline_exceeded, "node b did not listen");
}

node_config node_a_config(const std::filesystem::path& data,
                          const std::string& seed, const raw_options& opts) {
  node_config cfg;
  cfg.node.name = "bench-a";
  cfg.node.data_dir = data;
  cfg.http.listen = listen_address{"127.0.0.1", 0};
  cfg.cluster.listen = listen_address{"127.0.0.1", 0};
  cfg.cluster.seeds = {seed};
  cfg.agents.paths.clear();
  cfg.logging.level = "warn";
  cfg.mailbox.max_depth = 10'000'000;
  cfg.scheduler = opts.scheduler;
  if (!opts.tls_dir.empty()) {
    cfg.cluster.tls_certificate = opts.tls_dir + "/bench-a.pem";
    cfg.cluster.tls_key = opts.tls_dir + "/bench-a.key";
    cfg.cluster.tls_ca = opts.tls_dir + "/ca.pem";
  }
  return cfg;
}

caf::error await_route(node& a, std::chrono::milliseconds timeout) {
  auto until = clock_type::now() + timeout;
  while (clock_type::now() < until) {
    auto route = route_call(a.call_env(), sink_path);
    if (route && route->remote)
      return caf::none;
    std::this_thread::sleep_for(50ms);
  }
  return make_error(errc::deadline_exceeded, "node a never saw node b's sink");
}

/// The sink's count, asked through the runtime.
caf::expected<uint64_t> sink_count(caf::scoped_actor& self, node& a) {
  auto env = a.call_env();
  auto route = route_call(env, sink_path);
  if (!route)
    return route.error();
  auto req
    = make_remote_ask(env, sink_path, caf::make_message(count_request()), 30s);
  if (!req)
    return req.error();
  caf::expected<uint64_t> result{uint64_t{0}};
  self
    ->request(caf::actor_cast<cluster_ingress_actor>(route->remote), 30s,
              std::move(*req))
    .receive(
      [&](v1::RemoteAskResponse& resp) {
        auto msg = decode_remote_reply(env, resp);
        if (!msg)
          result = msg.error();
        else
          result = msg->get_as<v1::PingResponse>(0).sequence();
      },
      [&](caf::error& err) { result = std::move(err); });
  return result;
}

caf::expected<uint64_t> await_count(caf::scoped_actor& self, node& a,
                                    uint64_t want,
                                    std::chrono::seconds timeout) {
  auto until = clock_type::now() + timeout;
  for (;;) {
    auto n = sink_count(self, a);
    if (!n || *n >= want || clock_type::now() > until)
      return n;
    std::this_thread::sleep_for(1ms);
  }
}

/// Tells in windows; after each window an ask (answered after the window's
/// tells, which go the same way), at most `windows_in_flight` open.
caf::expected<throughput_result> non_durable(caf::scoped_actor& self, node& a,
                                             const raw_options& opts,
                                             uint64_t base) {
  auto env = a.call_env();
  auto msg = caf::make_message(ping(opts.payload_bytes));
  auto window = std::max<uint64_t>(opts.window, 1);
  auto t0 = clock_type::now();
  uint64_t sent = 0;
  uint64_t open = 0;
  while (sent < opts.messages) {
    auto n = std::min(window, opts.messages - sent);
    for (uint64_t i = 0; i < n; ++i)
      if (auto err = tell_anywhere(env, sink_path, msg))
        return err;
    sent += n;
    ++open;
    if (open >= std::max<uint64_t>(opts.windows_in_flight, 1)) {
      // Waiting for the count to reach an older window bounds what is
      // queued, like the raw sender's window acks.
      auto got
        = await_count(self, a, base + sent - (open - 1) * window, opts.timeout);
      if (!got)
        return got.error();
      open -= 1;
    }
  }
  auto got = await_count(self, a, base + opts.messages, opts.timeout);
  if (!got)
    return got.error();
  if (*got < base + opts.messages)
    return make_error(errc::deadline_exceeded, "non-durable tells lost");
  return rate(opts.messages, seconds_since(t0));
}

struct durable_times {
  throughput_result accepted;
  throughput_result delivered;
};

caf::expected<durable_times> durable(caf::scoped_actor& self, node& a,
                                     const raw_options& opts, uint64_t base) {
  auto router = a.names().get(mailbox_router_path);
  if (!router)
    return router.error();
  auto handle = caf::actor_cast<mailbox_router_actor>(*router);
  auto payload = ping(opts.payload_bytes).SerializeAsString();
  auto t0 = clock_type::now();
  uint64_t acked = 0;
  caf::error failed;
  size_t open = 0;
  auto receive_one = [&] {
    self->receive(
      [&](v1::SendResponse&) {
        ++acked;
        --open;
      },
      [&](caf::error& err) {
        failed = err;
        --open;
      });
  };
  for (uint64_t i = 0; i < opts.messages && !failed; ++i) {
    v1::SendRequest req;
    auto& envelope = *req.mutable_envelope();
    envelope.set_target(sink_path);
    envelope.set_type_name("bsm.v1.PingRequest");
    envelope.set_payload(payload);
    self->send(handle, std::move(req));
    ++open;
    while (open >= durable_in_flight)
      receive_one();
  }
  while (open > 0)
    receive_one();
  if (failed)
    return failed;
  durable_times result;
  result.accepted = rate(acked, seconds_since(t0));
  auto got = await_count(self, a, base + opts.messages, opts.timeout);
  if (!got)
    return got.error();
  if (*got < base + opts.messages)
    return make_error(errc::deadline_exceeded, "durable sends not delivered");
  result.delivered = rate(opts.messages, seconds_since(t0));
  return result;
}

caf::expected<latency_result> asks(caf::scoped_actor& self, node& a,
                                   uint64_t round_trips) {
  std::vector<double> samples;
  samples.reserve(round_trips);
  for (uint64_t i = 0; i < round_trips; ++i) {
    auto t0 = clock_type::now();
    auto n = sink_count(self, a);
    if (!n)
      return n.error();
    samples.push_back(
      std::chrono::duration<double, std::micro>(clock_type::now() - t0)
        .count());
  }
  return summarize_latency(std::move(samples));
}

double detection(node& a, peer_node& b) {
  ::kill(b.child->pid(), SIGKILL);
  auto t0 = clock_type::now();
  while (seconds_since(t0) < 30) {
    auto m = a.directory().member(peer_name);
    if (m && m->state == v1::MEMBER_STATE_DOWN)
      break;
    std::this_thread::sleep_for(5ms);
  }
  b.child->wait_for(5s);
  return seconds_since(t0) * 1000;
}

caf::expected<runtime_result> measure(node& a, peer_node& b,
                                      const raw_options& opts) {
  runtime_result result;
  caf::scoped_actor self{a.system()};
  // Warm-up: connections, caches, the outbox and mailbox on both sides.
  raw_options warm = opts;
  warm.messages = std::max<uint64_t>(opts.warmup_messages, 1);
  auto w1 = non_durable(self, a, warm, 0);
  if (!w1)
    return w1.error();
  auto w2 = durable(self, a, warm, warm.messages);
  if (!w2)
    return w2.error();
  uint64_t base = 2 * warm.messages;
  std::cerr << "runtime: non-durable tells...\n";
  auto nd = non_durable(self, a, opts, base);
  if (!nd)
    return nd.error();
  result.non_durable = *nd;
  base += opts.messages;
  std::cerr << "runtime: durable sends...\n";
  auto d = durable(self, a, opts, base);
  if (!d)
    return d.error();
  result.durable_accepted = d->accepted;
  result.durable_delivered = d->delivered;
  std::cerr << "runtime: asks...\n";
  auto rt = asks(self, a, opts.round_trips);
  if (!rt)
    return rt.error();
  result.ask = *rt;
  std::cerr << "runtime: failure detection...\n";
  result.detection_ms = detection(a, b);
  return result;
}

std::string json_of(const throughput_result& x) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << R"({"messages":)" << x.messages
      << R"(,"elapsed_s":)" << std::setprecision(4) << x.elapsed_s
      << R"(,"msgs_per_s":)" << std::setprecision(1) << x.msgs_per_s << '}';
  return out.str();
}

} // namespace

int run_bench_node(int argc, char** argv) {
  child_spec sink;
  sink.name = sink_path;
  sink.start = [](caf::actor_system& sys,
                  const std::string&) -> caf::expected<caf::actor> {
    return sys.spawn(counting_sink);
  };
  // run_bsmd reads the arguments after the program name: drop "node".
  std::vector<char*> args{argv[0]};
  for (int i = 2; i < argc; ++i)
    args.push_back(argv[i]);
  return run_bsmd(static_cast<int>(args.size()), args.data(), {sink});
}

caf::error
with_two_nodes(const std::string& exe, const std::string& config,
               const raw_options& opts, const std::vector<std::string>& sets,
               const std::function<caf::error(node&, peer_node&)>& measure) {
  char tmpl[] = "/tmp/bsm-cluster-bench-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr)
    return make_error(errc::unavailable, "cannot make a temp dir");
  std::filesystem::path dir{tmpl};
  auto b = start_peer_node(exe, config, dir / "b", opts.tls_dir, sets);
  if (!b)
    return b.error();
  caf::error result;
  {
    auto a = node::make(node_a_config(dir / "a", b->cluster_address, opts));
    if (!a)
      result = a.error();
    else if (auto err = (*a)->start())
      result = err;
    else {
      result = await_route(**a, 15s);
      if (!result)
        result = measure(**a, *b);
      (*a)->stop();
    }
  }
  b->child->terminate(2s);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return result;
}

caf::expected<cluster_ingress_actor> peer_ingress(node& a) {
  auto route = route_call(a.call_env(), sink_path);
  if (!route)
    return route.error();
  if (!route->remote)
    return make_error(errc::internal, "node b's sink is local to node a");
  return caf::actor_cast<cluster_ingress_actor>(route->remote);
}

caf::expected<runtime_result> run_runtime(const std::string& exe,
                                          const std::string& config,
                                          const raw_options& opts) {
  runtime_result result;
  auto err = with_two_nodes(exe, config, opts, {},
                            [&](node& a, peer_node& b) -> caf::error {
                              auto r = measure(a, b, opts);
                              if (!r)
                                return r.error();
                              result = *r;
                              return caf::none;
                            });
  if (err)
    return err;
  return result;
}

std::string to_json(const runtime_result& x) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << R"({"non_durable":)"
      << json_of(x.non_durable) << R"(,"durable_accepted":)"
      << json_of(x.durable_accepted) << R"(,"durable_delivered":)"
      << json_of(x.durable_delivered) << R"(,"ask_rtt_us":{"p50":)"
      << x.ask.p50_us << R"(,"p90":)" << x.ask.p90_us << R"(,"p99":)"
      << x.ask.p99_us << R"(,"max":)" << x.ask.max_us << R"(},"detection_ms":)"
      << x.detection_ms << '}';
  return out.str();
}

void print_table(std::ostream& out, const runtime_result& x) {
  out << std::fixed << std::setprecision(0) << "runtime non-durable tell   "
      << x.non_durable.msgs_per_s << " msg/s\n"
      << "runtime durable (accepted) " << x.durable_accepted.msgs_per_s
      << " msg/s\n"
      << "runtime durable (delivered)" << x.durable_delivered.msgs_per_s
      << " msg/s\n"
      << std::setprecision(1) << "runtime ask rtt            p50 "
      << x.ask.p50_us << " us, p99 " << x.ask.p99_us << " us\n"
      << "failure detection          " << x.detection_ms << " ms\n";
}

} // namespace bsm::bench
