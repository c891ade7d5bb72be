#pragma once

// What a workflow run does next (ARCHITECTURE, "Workflows"): a plain
// class over one run's records, with the clock as a parameter. Each event
// (advance, a step's task ended, a signal, a timer, a child run ended, a
// cancel) changes the records in memory and returns what changed: the
// records to write, and the orders to carry out once they are on disk
// (submit a step's task, cancel one, start or cancel a child run, arm a
// timer). The actor writes first and acts after, so every transition is in
// the store before it is acted on; after a crash the same records give the
// same orders again, which the tasks' idempotency keys
// ("wf:<run>:<step>") and the child runs' ids ("<run>.<step>") make
// harmless. A submit alone goes out with its write, not after it: the
// task's own write (its labels name the run and the step) stores the
// step's start before the task runs, and a step found not started after a
// crash submits again and finds that task by its key.
//
// Steps: agent, tool and message steps are tasks (tasks/), told back
// through TaskSpec.notify and matched by their labels `run` and `step`;
// the task queue does their retries, backoff and timeout. Sleeps and
// approvals wait here (a wake time, a signal); a workflow step is a child
// run; a map runs its inline step once per item as steps "<id>[<n>]",
// at most `parallelism` at once.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "bsm/v1/tasks.pb.h"
#include "bsm/v1/workflows.pb.h"
#include "workflows/workflow_definition.hpp"
#include "workflows/workflow_graph.hpp"

namespace bsm::workflows {

/// Something the actor does once the change's records are on disk.
struct run_order {
  enum class kind {
    /// Submit `task` (the step's task; idempotent by its key).
    submit_task,
    /// Cancel the task `id`.
    cancel_task,
    /// Start the child run `child_run_id` of `workflow` with `input`.
    start_child,
    /// Cancel the child run `child_run_id`.
    cancel_child,
    /// Call on_timer at `at` (unix ms).
    wake_at,
  };
  kind what = kind::wake_at;
  std::string step_id;
  v1::TaskSubmitRequest task;
  std::string id;
  std::string workflow;
  nlohmann::json input;
  int64_t at = 0;
};

/// What an event changed.
struct run_change {
  /// Step records to write (with the run, in one batch) before acting.
  std::vector<v1::StepRecord> steps;
  /// Whether the run record changed (write engine.run()).
  bool run_changed = false;
  std::vector<run_order> orders;

  bool empty() const noexcept {
    return steps.empty() && !run_changed && orders.empty();
  }
};

/// Limits of the engine.
struct engine_limits {
  /// The most items a map runs over; a longer list fails the step.
  size_t max_map_items = 10'000;
  /// The most bytes of a step's output kept in its record; a longer one
  /// fails the step.
  size_t max_output_bytes = 1 << 20;
};

class run_engine {
public:
  /// The actor TaskSpec.notify names.
  static constexpr const char* notify_path = "workflows";

  /// REQUIRES: `def` is the run's version and made `graph`; `steps` are
  /// the run's step records (missing ones are pending).
  run_engine(std::shared_ptr<const workflow_definition> def,
             workflow_graph graph, v1::RunRecord run,
             const std::vector<v1::StepRecord>& steps,
             engine_limits limits = {});

  /// Starts every step that may start and ends the run when nothing more
  /// can run. Also the first call after a load: it gives the orders of the
  /// steps already running again (submits are idempotent) and the timers.
  run_change advance(int64_t now);

  /// A step's task ended (TaskFinished). Tasks of other runs, or of steps
  /// that moved on, change nothing.
  run_change on_task(const v1::TaskRecord& task, int64_t now);

  /// The task of `step_id` could not be submitted and never will be (an
  /// unknown agent, a permission the run's starter lacks, a payload that
  /// does not parse): the step fails with `error`.
  run_change on_submit_failed(const std::string& step_id,
                              const std::string& error, int64_t now);

  /// The task of `step_id` was submitted as `task_id` (kept in memory, in
  /// the step's record from its next move on: no change to write).
  run_change on_submitted(const std::string& step_id,
                          const std::string& task_id, int64_t now);

  /// The signal `name` for the approval step of that id (a map's item:
  /// "<id>[<n>]"), its payload's `decision` "approve" or "reject". The
  /// same signal again changes nothing and `existed` says so. Errors:
  /// invalid_argument (no decision), not_found (no such approval),
  /// failed_precondition (answered otherwise before, or not waiting).
  caf::expected<run_change> on_signal(const std::string& name,
                                      const nlohmann::json& payload,
                                      int64_t now, bool& existed);

  /// Sleeps that are due end; approvals past their timeout take their
  /// default (or fail).
  run_change on_timer(int64_t now);

  /// The child run of a workflow step ended.
  run_change on_child(const v1::RunRecord& child, int64_t now);

  /// Cancels the run: running steps are cancelled (their tasks and child
  /// runs), pending ones never start. A finished run changes nothing.
  run_change cancel(int64_t now);

  const v1::RunRecord& run() const noexcept {
    return run_;
  }

  const std::map<std::string, v1::StepRecord>& steps() const noexcept {
    return steps_;
  }

  /// The run's steps as a reader is shown them (GET /v1/runs/{id}): every
  /// record, and a pending one for each step of the definition that has no
  /// record yet, by step id.
  std::vector<v1::StepRecord> shown_steps() const;

  bool finished() const noexcept;

  /// The earliest wake time of a waiting step, if any.
  std::optional<int64_t> next_wake() const;

private:
  /// Where a running map is: its items, the next to start, how many run.
  struct map_cursor {
    nlohmann::json items;
    size_t next = 0;
    size_t active = 0;
    /// The first item that failed (or was cancelled); empty if none.
    std::string failed;
  };

  v1::StepRecord& record(const std::string& id);
  void touch(const std::string& id);
  void touch_run(int64_t now);
  run_change collect();

  nlohmann::json context(const nlohmann::json* item = nullptr) const;
  step_states top_states() const;
  const step_definition* step_def(const std::string& id) const;

  caf::expected<run_order> work_order(const std::string& id,
                                      const step_definition& def,
                                      const nlohmann::json& ctx) const;
  void start(const std::string& id, const step_definition& def,
             const nlohmann::json* item, int64_t now);
  void start_map(const std::string& id, const map_step& m, int64_t now);
  map_cursor& cursor(const std::string& id);
  void pump_map(const std::string& id, int64_t now);
  void finish(const std::string& id, v1::StepState state, nlohmann::json output,
              std::string error, int64_t now);
  void halt_siblings(const std::string& failed, int64_t now);
  void end_run(int64_t now);
  void cancel_step(v1::StepRecord& rec, const std::string& why, int64_t now);
  // Orders a timer for the waiting step `id` at its wake time.
  void order_wake(const v1::StepRecord& rec);
  void reissue(const std::string& id, const v1::StepRecord& rec);
  const map_step* map_of(const std::string& id) const;

  std::shared_ptr<const workflow_definition> def_;
  workflow_graph graph_;
  v1::RunRecord run_;
  std::map<std::string, v1::StepRecord> steps_;
  engine_limits limits_;
  std::set<std::string> dirty_;
  bool run_dirty_ = false;
  std::vector<run_order> orders_;
  std::map<std::string, map_cursor> maps_;
  /// Inside pump_map: an item that ends at once is counted there.
  bool pumping_ = false;
  /// The orders of steps running at load were given again (advance).
  bool reissued_ = false;
};

/// A step's output from its task's result: an agent's answer as JSON when
/// it is a JSON object or array, else as text; a tool's content likewise;
/// a message's reply as its JSON mapping.
nlohmann::json output_of_task(const v1::TaskRecord& task);

/// Whether a start of `workflow` (as a child of `parent_run_id`, "" for
/// none) under the id of the run `existing` is that run again: the same id
/// again is the same run only for the same workflow and parent, so an id
/// is never taken for a run of another workflow. Error: already_exists,
/// naming what the id is.
[[nodiscard]] caf::error same_run(const v1::RunRecord& existing,
                                  const std::string& workflow,
                                  const std::string& parent_run_id);

/// "running", "succeeded", ... as the API names a run's state.
const char* run_state_name(v1::RunState x);
/// "pending", "running", "waiting", ... as the API names a step's state.
const char* step_state_name(v1::StepState x);

} // namespace bsm::workflows
