#include "runtime/store/store.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <rocksdb/write_buffer_manager.h>

#include "runtime/error.hpp"
#include "runtime/filesystem.hpp"
#include "runtime/store/expiring_value.hpp"
#include "runtime/store/session_prefix.hpp"

namespace bsm {

namespace {

constexpr const char* owner_file = "owner.pid";

// One LRU cache for every column family, sized by the budget. Index and
// filter blocks go to its high-priority pool, so data blocks are evicted
// first; they are what grows with the data (issue 28).
std::shared_ptr<rocksdb::Cache> budget_cache(const store_options& opts) {
  rocksdb::LRUCacheOptions cache;
  cache.capacity = opts.memory_budget;
  cache.high_pri_pool_ratio = 0.5;
  return rocksdb::NewLRUCache(cache);
}

// Index (and filter) blocks are cut into partitions of about a data
// block's size under a small top-level index that stays pinned: a 64 MiB
// table file has an index of 1.7 MiB and a filter of 1.1 MiB, more than a
// shard of a small cache (64 shards), which would then keep neither and
// read them again for every lookup; partitions are cached like data
// blocks, the ones in use (issue 28).
rocksdb::BlockBasedTableOptions
table_options(const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::BlockBasedTableOptions result;
  result.block_cache = cache;
  result.cache_index_and_filter_blocks = true;
  result.cache_index_and_filter_blocks_with_high_priority = true;
  result.pin_l0_filter_and_index_blocks_in_cache = true;
  result.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  result.pin_top_level_index_and_filter = true;
  result.metadata_block_size = 4096;
  return result;
}

// The memory family: a bloom filter of whole keys and of session prefixes
// per table file (session_prefix.hpp), partitioned like the index, so a
// session's last turn is looked up only in files that may hold the
// session.
void with_session_filters(rocksdb::ColumnFamilyOptions& cf,
                          const std::shared_ptr<rocksdb::Cache>& cache) {
  auto table = table_options(cache);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.partition_filters = true;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf.prefix_extractor = session_prefix_extractor();
}

// The tasks and workflows families: their keys ("r/t-<ms>-...",
// "s/<state>/t-...", "w/<ready_at>/...", "r/w-<ms>-...") mostly arrive in
// order within their first 4 bytes, so a memtable insert starts from where
// the last one with those bytes went instead of from the skip list's top.
// Inserts are most of a restart's log replay: a third less of it, and of
// every write of theirs.
void with_insert_hints(rocksdb::ColumnFamilyOptions& cf) {
  cf.memtable_insert_with_hint_prefix_extractor.reset(
    rocksdb::NewFixedPrefixTransform(4));
}

rocksdb::Options db_options(const store_options& opts, rocksdb::Env* env,
                            const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::Options result;
  result.create_if_missing = true;
  result.create_missing_column_families = true;
  // Strict still replays a log whose last record is cut short: kill -9
  // during a write() leaves one, and that write never returned, so it
  // was never acknowledged. Damage before the tail is refused.
  result.wal_recovery_mode
    = opts.wal_recovery == wal_recovery::strict
        ? rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords
        : rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  result.write_buffer_size = opts.write_buffer_bytes;
  // A family with few writes (meta, credentials) keeps every log since its
  // last flush; past this size RocksDB flushes it so the logs can go.
  result.max_total_wal_size = wal_limit(opts);
  // Group commit: concurrent writers share one log write (and one fsync).
  result.enable_pipelined_write = false;
  result.IncreaseParallelism(2);
  if (env != nullptr)
    result.env = env;
  // Memtables of all families are charged to the cache and flush together
  // at memtable_budget(); writes are not stalled, the HTTP front refuses
  // new work instead (memory_budget.hpp).
  result.write_buffer_manager = std::make_shared<rocksdb::WriteBufferManager>(
    memtable_budget(opts), cache);
  result.table_factory.reset(
    rocksdb::NewBlockBasedTableFactory(table_options(cache)));
  return result;
}

rocksdb::WriteOptions write_options_for(durability level) {
  rocksdb::WriteOptions result;
  result.disableWAL = level == durability::none;
  result.sync = level == durability::fsync;
  return result;
}

// One filter for the process: RocksDB keeps a raw pointer to it.
const rocksdb::CompactionFilter* expiry_filter() {
  static const auto filter = make_expiry_filter();
  return filter.get();
}

std::vector<rocksdb::ColumnFamilyDescriptor>
descriptors(const rocksdb::Options& opts,
            const std::shared_ptr<rocksdb::Cache>& cache) {
  std::vector<rocksdb::ColumnFamilyDescriptor> result;
  result.emplace_back(rocksdb::kDefaultColumnFamilyName,
                      rocksdb::ColumnFamilyOptions{opts});
  for (auto cf : all_columns) {
    rocksdb::ColumnFamilyOptions cf_opts{opts};
    if (cf == column::tasks || cf == column::workflows)
      with_insert_hints(cf_opts);
    if (cf == column::idempotency)
      cf_opts.compaction_filter = expiry_filter();
    if (cf == column::memory)
      with_session_filters(cf_opts, cache);
    result.emplace_back(to_string(cf), cf_opts);
  }
  return result;
}

std::string read_owner(const std::filesystem::path& dir) {
  std::ifstream in{dir / owner_file};
  std::string pid;
  in >> pid;
  return pid;
}

void write_owner(const std::filesystem::path& dir) {
  std::ofstream{dir / owner_file, std::ios::trunc} << getpid() << '\n';
}

bool is_lock_error(const rocksdb::Status& st) {
  return st.IsIOError() && st.ToString().find("lock") != std::string::npos;
}

// RocksDB's corruption messages do not always name the log; the newest
// log file is the one being replayed when replay fails.
std::string newest_wal(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> logs;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator{dir, ec})
    if (entry.path().extension() == ".log")
      logs.push_back(entry.path());
  if (logs.empty())
    return {};
  return std::max_element(logs.begin(), logs.end())->string();
}

caf::error open_error(const rocksdb::Status& st,
                      const std::filesystem::path& dir) {
  if (is_lock_error(st)) {
    auto pid = read_owner(dir);
    return make_error(errc::failed_precondition,
                      "data dir '" + dir.string() + "' is held by another bsmd"
                        + (pid.empty() ? "" : " (pid " + pid + ")"));
  }
  if (st.IsCorruption()) {
    auto wal = newest_wal(dir);
    return make_error(
      errc::failed_precondition,
      "store '" + dir.string() + "' has a damaged write-ahead log"
        + (wal.empty() ? "" : " '" + wal + "'") + ": " + st.ToString()
        + " (set store.wal_recovery: tolerant to recover up to "
          "the last consistent record)");
  }
  return from_rocksdb(st, "cannot open store '" + dir.string() + "'");
}

} // namespace

const char* to_string(column x) {
  switch (x) {
    case column::mailbox: return "mailbox";
    case column::memory: return "memory";
    case column::idempotency: return "idempotency";
    case column::dead_letter: return "dead_letter";
    case column::meta: return "meta";
    case column::credentials: return "credentials";
    case column::tasks: return "tasks";
    case column::workflows: return "workflows";
  }
  return "unknown";
}

caf::error from_rocksdb(const rocksdb::Status& st, const std::string& what) {
  if (st.ok())
    return caf::none;
  auto text = what + ": " + st.ToString();
  if (st.IsCorruption())
    return make_error(errc::failed_precondition, std::move(text));
  if (st.IsIOError() || st.IsNoSpace() || st.IsBusy() || st.IsTimedOut()
      || st.IsTryAgain() || st.IsIncomplete())
    return make_error(errc::unavailable, std::move(text));
  return make_error(errc::internal, std::move(text));
}

caf::expected<std::unique_ptr<store>>
store::open(const std::filesystem::path& dir, const store_options& opts,
            rocksdb::Env* env) {
  if (auto err = ensure_directory(dir, "store dir"))
    return err;
  std::unique_ptr<store> result{new store};
  result->cache_ = budget_cache(opts);
  auto options = db_options(opts, env, result->cache_);
  result->dir_ = dir;
  result->write_opts_ = write_options_for(opts.durability);
  rocksdb::DB* db = nullptr;
  auto st = rocksdb::DB::Open(options, dir.string(),
                              descriptors(options, result->cache_),
                              &result->handles_, &db);
  if (!st.ok())
    return open_error(st, dir);
  result->db_.reset(db);
  write_owner(dir);
  return result;
}

store::~store() {
  if (!db_)
    return;
  for (auto* h : handles_)
    db_->DestroyColumnFamilyHandle(h);
  db_->Close();
  std::error_code ec;
  std::filesystem::remove(dir_ / owner_file, ec);
}

caf::error store::write(rocksdb::WriteBatch& batch) {
  return from_rocksdb(db_->Write(write_opts_, &batch), "store write failed");
}

caf::error store::put(column cf, std::string_view key, std::string_view value) {
  rocksdb::WriteBatch batch;
  auto st = batch.Put(handle(cf), rocksdb::Slice{key.data(), key.size()},
                      rocksdb::Slice{value.data(), value.size()});
  if (!st.ok())
    return from_rocksdb(st, "store write failed");
  return write(batch);
}

caf::error store::erase(column cf, std::string_view key) {
  rocksdb::WriteBatch batch;
  auto st = batch.Delete(handle(cf), rocksdb::Slice{key.data(), key.size()});
  if (!st.ok())
    return from_rocksdb(st, "store write failed");
  return write(batch);
}

caf::expected<std::optional<std::string>>
store::get(column cf, std::string_view key) const {
  std::string value;
  auto st = db_->Get(rocksdb::ReadOptions{}, handle(cf),
                     rocksdb::Slice{key.data(), key.size()}, &value);
  if (st.IsNotFound())
    return std::optional<std::string>{};
  if (!st.ok())
    return from_rocksdb(st, std::string{"store read from "} + to_string(cf)
                              + " failed");
  return std::optional<std::string>{std::move(value)};
}

memory_use store::memory_in_use() const {
  memory_use result;
  result.cache_capacity = cache_->GetCapacity();
  result.cache_usage = cache_->GetUsage();
  result.cache_pinned = cache_->GetPinnedUsage();
  db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kSizeAllMemTables,
                                &result.memtables);
  db_->GetAggregatedIntProperty(
    rocksdb::DB::Properties::kEstimateTableReadersMem, &result.table_readers);
  return result;
}

rocksdb::ColumnFamilyHandle* store::handle(column cf) const {
  // handles_[0] is RocksDB's default family; ours follow in enum order.
  return handles_[static_cast<size_t>(cf) + 1];
}

} // namespace bsm
