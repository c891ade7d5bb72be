#pragma once

// The task queue over the cluster port (`bsm_cluster_bench tasks`, part
// "cluster" of make bench-tasks): node A runs in this process, joined to
// node B, a real bsmd (cluster_runtime.hpp's pair), and a scoped actor of A
// keeps K requests in flight at B's cluster ingress for a fixed time:
// - send: a SendRequest of a PingRequest for B's node_info, answered once
//   it is in node_info's durable mailbox (the durable mailbox send, as
//   POST /v1/actors/node_info/messages in mode tell); applied: until that
//   mailbox is empty again (B's GET /v1/actors);
// - task: a RemoteAskRequest carrying a TaskSubmitRequest to B's "tasks",
//   a message task with the same PingRequest for node_info, due at once,
//   answered once the task is on disk; applied: tasks that succeeded
//   (bsm_tasks_finished_total in B's /metrics), during the run and until
//   every accepted one did.
// A fresh pair per durability; for each K the send, then the task run,
// each after an unrecorded warm-up.

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "bench/cluster_raw.hpp"

namespace bsm::bench {

struct tasks_options {
  /// The scheduler, TLS and per-wait timeout of both nodes.
  raw_options base;
  /// Requests in flight (concurrent submitters). Default: 1 and 64.
  std::vector<uint64_t> submitters{1, 64};
  /// B's store.durability, one pair each. Default: os.
  std::vector<std::string> durabilities{"os"};
  std::chrono::seconds duration{10};
  std::chrono::seconds warmup{2};
  /// B's tasks.concurrency (all tasks have one target). Default: 64.
  uint64_t target_concurrency = 64;
  /// Longest wait for a backlog to be worked off. Default: 300 s.
  std::chrono::seconds drain_limit{300};
};

/// One run of K requests in flight.
struct flow_result {
  uint64_t accepted = 0;
  uint64_t refused = 0;
  std::string first_refusal;
  /// From the first request to the last answer.
  double elapsed_s = 0;
  double accepted_per_s = 0;
  /// From each request to its answer.
  latency_result latency;
  /// Tasks only: succeeded while the requests ran.
  double applied_during_run_per_s = 0;
  /// Until everything accepted was applied (tail included); 0 when it was
  /// not within the drain limit.
  double applied_per_s = 0;
  double drain_s = 0;
  /// At the last answer: node_info's mailbox depth (send), or tasks
  /// queued + running (task).
  double backlog_at_end = 0;
};

/// Per durability, per K: "send_c<K>" and "task_c<K>".
using tasks_result = std::map<std::string, std::map<std::string, flow_result>>;

[[nodiscard]] caf::expected<tasks_result> run_tasks(const std::string& exe,
                                                    const std::string& config,
                                                    const tasks_options& opts);

nlohmann::json to_json(const tasks_result& x, const tasks_options& opts);

void print_table(std::ostream& out, const tasks_result& x);

} // namespace bsm::bench
