#pragma once

// The raw CAF baseline of the cluster benchmark (bench/cluster_bench.sh):
// remote messaging between two processes through CAF's middleman (BASP over
// TCP on 127.0.0.1) with no runtime code on the path, so that the runtime's
// cross-node send can be set against it in the same run.
//
// The peer process publishes a sink actor (`run_peer`). The measuring
// process starts that peer (`start_peer`), connects to its sink with
// `middleman().remote_actor` and measures one-way throughput
// (`measure_one_way`) and request/response round trips
// (`measure_round_trip`); `run_raw` does all of it. Both processes run a
// `bsm::system_config` with the middleman loaded, so bsm.v1 protobuf messages
// cross the wire as their protobuf bytes, as they would between two nodes.

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "agents/mcp/child_process.hpp"
#include "runtime/scheduler_options.hpp"

namespace bsm::bench {

/// Settings of one raw measurement; `validate` checks them.
struct raw_options {
  /// One-way messages measured. Default: 200000.
  uint64_t messages = 200'000;
  /// Bytes in each Envelope's payload field. Default: 100.
  size_t payload_bytes = 100;
  /// Sequential request/response pairs measured. Default: 5000.
  uint64_t round_trips = 5'000;
  /// Flow control of the one-way run: the sink acknowledges every `window`
  /// messages and the sender keeps at most `windows_in_flight` windows
  /// unacknowledged; 0 sends every message at once (no flow control: the
  /// backlog waits in the middleman's queues). Windows are the default
  /// because CAF 0.17's BASP has no flow control of its own: without them
  /// the sending process grew to 182 MB for 200000 messages of 100 B (20 MB
  /// with windows) and was not faster; four windows in flight keep the pipe
  /// full across an ack's round trip. Default: 1000.
  uint64_t window = 1'000;
  /// Default: 4.
  uint64_t windows_in_flight = 4;
  /// Unrecorded one-way messages before the measured run. Default: 10000.
  uint64_t warmup_messages = 10'000;
  /// Unrecorded round trips before the measured ones. Default: 200.
  uint64_t warmup_round_trips = 200;
  /// The CAF scheduler of both processes. `threads` 0 is CAF's default (one
  /// per core). Default: 0 threads, sharing (bsmd's default policy).
  scheduler_options scheduler;
  /// Longest wait for the peer to start and for each measurement.
  /// Default: 120 s.
  std::chrono::seconds timeout{120};
  /// The runtime part only: a directory with ca.pem and bench-a/bench-b
  /// .pem/.key (deploy/make-certs.sh DIR bench-a bench-b); both nodes then
  /// speak mutual TLS (cluster.tls_*). Empty: plain BASP. Default: empty.
  std::string tls_dir;
};

/// Errors: `invalid_argument` for zero messages or round trips, or a zero
/// `windows_in_flight` with a window.
[[nodiscard]] caf::error validate(const raw_options& opts);

struct throughput_result {
  uint64_t messages = 0;
  /// From the first send to the sink's answer that it counted them all.
  double elapsed_s = 0;
  double msgs_per_s = 0;
};

struct latency_result {
  uint64_t round_trips = 0;
  double p50_us = 0;
  double p90_us = 0;
  double p99_us = 0;
  double max_us = 0;
  double mean_us = 0;
};

struct raw_result {
  raw_options opts;
  throughput_result one_way;
  latency_result round_trip;
};

// -- the peer process ---------------------------------------------------------

/// The peer role: publishes a sink actor on 127.0.0.1:`port` (0: the OS
/// picks one), prints "PORT <n>" on stdout, then blocks until stdin reaches
/// EOF (SIGTERM ends it at once). Returns the process exit code.
int run_peer(uint16_t port, const scheduler_options& scheduler);

/// A running peer; `child` stops it when destroyed.
struct peer_process {
  std::unique_ptr<mcp::child_process> child;
  uint16_t port = 0;
};

/// Starts `exe peer --port 0 --threads T --policy P` and reads its
/// "PORT <n>" line.
/// `exe` is the path of bsm_cluster_bench itself. The peer's stderr is
/// copied to ours. Errors: those of `mcp::child_process::spawn`;
/// `deadline_exceeded` if no PORT line came within `timeout`; `unavailable`
/// if the peer exited first.
[[nodiscard]] caf::expected<peer_process>
start_peer(const std::string& exe, const scheduler_options& scheduler,
           std::chrono::milliseconds timeout);

/// Closes the peer's stdin, SIGTERMs it, SIGKILLs it after 5 s; reaps it.
/// Returns how it ended (code 0 when it shut down on its stdin's EOF).
mcp::exit_status stop_peer(peer_process& peer);

// -- measurements (in the measuring process) ----------------------------------

/// Sends `opts.messages` Envelopes from one actor to `sink` (a remote sink
/// of `run_peer`), with the window flow control of `opts`, then asks the
/// sink, which answers once it has counted them all. Blocks the calling
/// thread, which must not be a CAF scheduler thread.
/// Errors: the sink's or the transport's; `deadline_exceeded` after
/// `opts.timeout`.
[[nodiscard]] caf::expected<throughput_result>
measure_one_way(caf::actor_system& sys, const caf::actor& sink,
                const raw_options& opts, uint64_t messages);

/// `round_trips` sequential requests (an Envelope) to `sink`, each answered
/// with a PingResponse, timed one by one inside an event-based actor.
/// Blocks the calling thread, as `measure_one_way` does.
[[nodiscard]] caf::expected<latency_result>
measure_round_trip(caf::actor_system& sys, const caf::actor& sink,
                   const raw_options& opts, uint64_t round_trips);

/// The whole raw baseline: starts a peer from `exe`, connects, warms up,
/// measures both, stops the peer. Progress goes to stderr.
[[nodiscard]] caf::expected<raw_result> run_raw(const std::string& exe,
                                                const raw_options& opts);

/// Percentiles, max and mean of round-trip samples (microseconds).
latency_result summarize_latency(std::vector<double> samples_us);

/// "sharing" or "stealing", as `bsm_cluster_bench --policy` takes it.
const char* policy_name(scheduler_policy x);

// -- output -------------------------------------------------------------------

/// The JSON object of `x`: {"messages":..,"msgs_per_s":..,"rtt_us":{..},..}.
std::string to_json(const raw_result& x);

/// A small table of `x` for people.
void print_table(std::ostream& out, const raw_result& x);

} // namespace bsm::bench
