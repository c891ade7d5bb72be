#pragma once

// Workflows' layout in the store's `workflows` column family, and its
// blocking reads (call them from a detached actor, never from a scheduler
// thread):
//   d/<name>/<version>     -> WorkflowVersion bytes (every version kept)
//   l/<name>               -> the newest version's id
//   r/<run_id>             -> RunRecord bytes
//   s/<run_id>/<step_id>   -> StepRecord bytes (a step's move writes its
//                             record only)
//   a/<run_id>             -> "" while the run is running: what a start
//                             resumes, without reading finished runs
// Generated run ids ("w-" + 12 hex digits of unix ms + "-" + 8 random
// hex) sort by creation time; a child run's id is "<parent>.<step>".

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <rocksdb/write_batch.h>

#include "bsm/v1/workflows.pb.h"
#include "runtime/store/store.hpp"

namespace bsm::workflows {

/// A new run id for `now_ms` with `random` bits.
std::string make_run_id(int64_t now_ms, uint32_t random);

/// True for a run id a client may give: [A-Za-z0-9._-], 1..128, not
/// starting with '.'.
bool valid_run_id(const std::string& id);

/// Adds a version and makes it the newest of its name.
rocksdb::Status put_version(rocksdb::WriteBatch& batch, const store& db,
                            const v1::WorkflowVersion& v);

/// Adds the run's record, keeping the index of running runs.
rocksdb::Status put_run(rocksdb::WriteBatch& batch, const store& db,
                        const v1::RunRecord& run);

rocksdb::Status put_step(rocksdb::WriteBatch& batch, const store& db,
                         const v1::StepRecord& step);

/// `version` of `name`, or its newest with an empty `version`.
/// Errors: the store's; a record that does not parse is internal.
[[nodiscard]] caf::expected<std::optional<v1::WorkflowVersion>>
read_version(const store& db, const std::string& name,
             const std::string& version = {});

/// Every version of `name`, oldest first.
[[nodiscard]] caf::expected<std::vector<v1::WorkflowVersion>>
read_versions(const store& db, const std::string& name);

/// The newest version of every definition, by name.
[[nodiscard]] caf::expected<std::vector<v1::WorkflowVersion>>
read_newest(const store& db);

[[nodiscard]] caf::expected<std::optional<v1::RunRecord>>
read_run(const store& db, const std::string& run_id);

/// Every step record of a run, by step id.
[[nodiscard]] caf::expected<std::vector<v1::StepRecord>>
read_steps(const store& db, const std::string& run_id);

/// The ids of the runs that are running.
[[nodiscard]] caf::expected<std::vector<std::string>>
read_running(const store& db);

struct run_query {
  /// Non-empty: only runs of this workflow.
  std::string workflow;
  /// UNSPECIFIED: every state.
  v1::RunState state = v1::RUN_STATE_UNSPECIFIED;
  /// Most runs answered. REQUIRES: > 0.
  uint32_t limit = 100;
  /// Ids after this one only.
  std::string after;
  /// Most records looked at in one call (the page may come back short with
  /// `next` set).
  uint32_t max_scanned = 10'000;
};

/// One page of runs by id. `next` is set while more may follow.
[[nodiscard]] caf::expected<v1::RunListResponse> list_runs(const store& db,
                                                           const run_query& q);

} // namespace bsm::workflows
