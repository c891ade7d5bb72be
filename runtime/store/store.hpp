#pragma once

// The node's one RocksDB, under <data_dir>/store, with one column family per
// concern. Opening and every call here block on disk: call them at start-up
// or from a store writer thread, never from a CAF scheduler thread.
//
// What each durability level survives (store.durability):
//   none   nothing after a crash: the write-ahead log is off and acknowledged
//          writes live in memory until RocksDB flushes them;
//   os     a process crash (kill -9), not a power loss: the log is written to
//          the kernel's page cache before a write returns;
//   fsync  a power loss: the log is fsync'ed before a write returns (one
//          fsync per group commit, see store_writer).

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/status.h>

#include "runtime/store/memory_budget.hpp"
#include "runtime/store/store_options.hpp"

namespace bsm {

/// Column families; later issues append (tasks, workflows, audit, ...).
/// Values in `idempotency` are expiring values (expiring_value.hpp):
/// compaction drops them once expired. `credentials` holds users and API
/// keys (security/credential_store.hpp); `tasks` the task queue's records
/// and indexes (tasks/task_keys.hpp); `workflows` definitions and runs
/// (workflows/workflow_keys.hpp). A store made before a family existed
/// opens fine: RocksDB creates missing families.
enum class column {
  mailbox,
  memory,
  idempotency,
  dead_letter,
  meta,
  credentials,
  tasks,
  workflows,
};

inline constexpr column all_columns[]
  = {column::mailbox,     column::memory,   column::idempotency,
     column::dead_letter, column::meta,     column::credentials,
     column::tasks,       column::workflows};

const char* to_string(column x);

/// Converts a RocksDB status into a bsm error, `what` saying what failed.
/// I/O errors, a full disk and busy locks are `unavailable` (retry later);
/// corruption is `failed_precondition` (an operator must look);
/// everything else is `internal`.
[[nodiscard]] caf::error from_rocksdb(const rocksdb::Status& st,
                                      const std::string& what);

class store {
public:
  /// Opens (creating if needed) the store in `dir`.
  /// `env` is a test hook to inject failing file systems; null means the
  /// default environment.
  /// Errors:
  /// - `failed_precondition` if another process holds `dir` ("held by
  ///   another bsmd (pid N)"), or if the write-ahead log is damaged and
  ///   `opts.wal_recovery` is strict (the message names the log file);
  /// - `unavailable` if the directory cannot be created or read.
  [[nodiscard]] static caf::expected<std::unique_ptr<store>>
  open(const std::filesystem::path& dir, const store_options& opts,
       rocksdb::Env* env = nullptr);

  ~store();

  store(const store&) = delete;
  store& operator=(const store&) = delete;

  /// Applies `batch` atomically with the configured durability.
  /// Errors: `unavailable` (nothing of the batch is acknowledged).
  [[nodiscard]] caf::error write(rocksdb::WriteBatch& batch);

  /// Writes one key (a batch of one). Errors: as for `write`.
  [[nodiscard]] caf::error put(column cf, std::string_view key,
                               std::string_view value);

  /// Deletes one key (a batch of one). Errors: as for `write`.
  [[nodiscard]] caf::error erase(column cf, std::string_view key);

  /// Reads one key. Errors: `unavailable`, `failed_precondition`.
  [[nodiscard]] caf::expected<std::optional<std::string>>
  get(column cf, std::string_view key) const;

  rocksdb::ColumnFamilyHandle* handle(column cf) const;

  /// The store's part of memory in use (all but `resident`): the shared
  /// block cache and the memtables and table readers of every family.
  /// Reads in-memory counters only; safe from any thread.
  memory_use memory_in_use() const;

  /// The block cache every column family shares (store.memory_budget).
  const rocksdb::Cache& cache() const noexcept {
    return *cache_;
  }

  rocksdb::DB& db() const noexcept {
    return *db_;
  }

  const rocksdb::WriteOptions& write_options() const noexcept {
    return write_opts_;
  }

  const std::filesystem::path& dir() const noexcept {
    return dir_;
  }

private:
  store() = default;

  std::filesystem::path dir_;
  rocksdb::WriteOptions write_opts_;
  std::shared_ptr<rocksdb::Cache> cache_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<rocksdb::DB> db_;
};

} // namespace bsm
