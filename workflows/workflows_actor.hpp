#pragma once

// The workflow engine of a node (path "workflows", ARCHITECTURE
// "Workflows"): a thin adapter over the plain classes of this folder. It
// keeps definitions and runs in the store's `workflows` family
// (workflow_keys.hpp), holds one run_engine per running run, writes each
// change of a run through the node's store writer and carries out the
// engine's orders only once it is on disk: a step's task goes to the node's
// `tasks` actor (which tells TaskFinished back), a child run starts here,
// a timer is armed. At start it loads every running run and gives their
// orders again (idempotent by the tasks' keys and the children's ids).
// Spawn detached: its reads block its own thread only.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <spdlog/logger.h>

#include "actors/remote_call.hpp"
#include "actors/write_completions.hpp"
#include "protocols/caf_types.hpp"
#include "runtime/events/topic_interest.hpp"
#include "runtime/store/store.hpp"
#include "runtime/store/store_writer.hpp"
#include "runtime/supervision/child_spec.hpp"
#include "workflows/run_engine.hpp"
#include "workflows/workflow_metrics.hpp"
#include "workflows/workflow_validation.hpp"

namespace bsm {

/// Where the workflow engine is registered.
inline constexpr const char* workflows_path = "workflows";

/// The workflow engine (workflows.proto for each request and its errors).
using workflows_actor = caf::typed_actor<
  /// Stores a definition as a new version (or finds the same one).
  caf::replies_to<v1::WorkflowPutRequest>::with<v1::WorkflowPutResponse>,
  caf::replies_to<v1::WorkflowGetRequest>::with<v1::WorkflowGetResponse>,
  caf::replies_to<v1::WorkflowListRequest>::with<v1::WorkflowListResponse>,
  /// Answered once the run and its first steps are on disk.
  caf::replies_to<v1::RunStartRequest>::with<v1::RunStartResponse>,
  caf::replies_to<v1::RunGetRequest>::with<v1::RunGetResponse>,
  caf::replies_to<v1::RunListRequest>::with<v1::RunListResponse>,
  caf::replies_to<v1::RunCancelRequest>::with<v1::RunCancelResponse>,
  caf::replies_to<v1::RunSignalRequest>::with<v1::RunSignalResponse>,
  /// From the tasks actor: a step's task ended.
  caf::reacts_to<v1::TaskFinished>,
  /// Internal, from the store writer: the write with this token is on disk
  /// (or failed).
  caf::reacts_to<atom::applied, uint64_t, caf::error>,
  /// Internal timer: sleeps, approval timeouts, submits to try again.
  caf::reacts_to<atom::tick>>;

namespace workflows {

struct workflows_env {
  store* db = nullptr;
  store_writer* writer = nullptr;
  remote_call_env calls;
  std::string node_name;
  /// The node's agents and tools, for definitions' names. Unset members
  /// are not checked. has_workflow is the actor's own.
  workflow_catalog catalog;
  engine_limits limits;
  /// Most runs running at once on this node; more starts are refused (429).
  size_t max_running = 10'000;
  /// The longest definition body and run input accepted, in bytes.
  size_t max_body_bytes = 1 << 20;
  std::shared_ptr<spdlog::logger> log;
  /// Null: no metrics.
  std::shared_ptr<const workflow_metrics> metrics;
  /// The topics someone subscribed to: `workflow.*` events nobody would
  /// get are not built. Null: every event is published.
  std::shared_ptr<const events::topic_interest> topics;
  /// Definitions read from files at start (workflows.paths), stored as
  /// versions unless stored already.
  std::vector<workflow_definition> initial;
  /// Random bits for run ids; empty: a default source.
  std::function<uint32_t()> random;
};

struct workflows_state {
  static constexpr const char* name = "workflows";

  /// A parsed version, shared by its runs.
  struct version_entry {
    std::shared_ptr<const workflow_definition> def;
    std::shared_ptr<const workflow_graph> graph;
  };

  workflows_env env;
  /// The running runs of this node.
  std::map<std::string, std::unique_ptr<run_engine>> runs;
  /// Parsed versions by "<name>/<version>": those of running runs, and
  /// others up to cached_versions.
  std::unordered_map<std::string, version_entry> versions;
  static constexpr size_t cached_versions = 256;
  /// Runs whose first write is in flight: their changes' submits wait
  /// for their writes, so that no task runs for a run never stored.
  std::set<std::string> unstored;
  /// When each run wants on_timer, earliest first.
  std::multimap<int64_t, std::string> wakes;
  /// Submits refused for a while (the queue full, restarting), to try
  /// again at the next tick: run id and order.
  std::vector<std::pair<std::string, run_order>> retries;
  /// When the armed tick fires (unix ms), if one is armed.
  std::optional<int64_t> tick_at;
  /// What to do once each write is done.
  write_completions writes;
};

workflows_actor::behavior_type
workflows_service(workflows_actor::stateful_pointer<workflows_state> self,
                  workflows_env env);

/// The `workflows` child of the root (detached, permanent).
child_spec workflows_child(workflows_env env,
                           std::chrono::milliseconds shutdown_timeout);

} // namespace workflows

} // namespace bsm
