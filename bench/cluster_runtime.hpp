#pragma once

// The runtime's half of the cluster benchmark, measured in the same run as
// the raw CAF baseline (cluster_raw.hpp): node A runs in the measuring
// process (a real bsm::node with seeds), node B is a real bsmd process (this
// binary's `node` role: run_bsmd plus a counting sink at "bench_sink"). A
// sends to the name "bench_sink", which only B has, so every message takes
// the runtime's path: the directory resolves the name to B, then
// - non-durable: a RemoteTell through B's cluster port (tell_anywhere);
// - durable: a SendRequest to A's router, appended to A's outbox to B
//   (group commit), sent as LinkBatches, appended to B's mailbox, delivered
//   to the sink, acknowledged both ways;
// - ask: a RemoteAskRequest answered by the sink (ask_anywhere).
// Last, B is killed (SIGKILL) and the time until A marks it down is taken.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "agents/mcp/child_process.hpp"
#include "bench/cluster_raw.hpp"
#include "node/node.hpp"

namespace bsm::bench {

/// Seconds on the steady clock since `t0`.
inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
    .count();
}

/// Node B: a real bsmd process (this binary's `node` role), on ports the
/// OS picks.
struct peer_node {
  std::unique_ptr<mcp::child_process> child;
  std::string cluster_address;
  /// Its HTTP API, "127.0.0.1:<port>".
  std::string http_address;
};

/// Starts B from `exe` on `config` with `sets` ("key=value", on top of the
/// bench's own overrides), runs node A here with B as its seed, waits
/// until A routes to B's sink and runs `measure`; then stops both and
/// removes their data. Errors: those of the start, or of `measure`.
caf::error
with_two_nodes(const std::string& exe, const std::string& config,
               const raw_options& opts, const std::vector<std::string>& sets,
               const std::function<caf::error(node&, peer_node&)>& measure);

/// B's cluster ingress as A sees it (the node that has B's sink).
caf::expected<cluster_ingress_actor> peer_ingress(node& a);

struct runtime_result {
  throughput_result non_durable;
  /// Until A's router acknowledged every send (durable in A's outbox).
  throughput_result durable_accepted;
  /// Until B's sink counted every durable send.
  throughput_result durable_delivered;
  latency_result ask;
  /// From SIGKILL of B to A's view saying down.
  double detection_ms = 0;
};

/// The `node` role: bsmd with the counting sink as an extra child.
int run_bench_node(int argc, char** argv);

/// Starts B from `exe`, runs node A here, measures, stops both.
[[nodiscard]] caf::expected<runtime_result>
run_runtime(const std::string& exe, const std::string& config,
            const raw_options& opts);

std::string to_json(const runtime_result& x);

void print_table(std::ostream& out, const runtime_result& x);

} // namespace bsm::bench
