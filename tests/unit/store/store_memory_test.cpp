// The store's one memory budget: a block cache all column families share,
// holding index blocks and charged with the memtables (issue 28).

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <rocksdb/cache.h>
#include <rocksdb/perf_context.h>
#include <rocksdb/table.h>
#include <rocksdb/write_buffer_manager.h>

#include "runtime/error.hpp"
#include "runtime/store/session_prefix.hpp"
#include "runtime/store/store.hpp"
#include "tests/common/poll.hpp"
#include "tests/common/temp_dir.hpp"

namespace {

constexpr uint64_t mib = uint64_t{1} << 20;

bsm::store_options small_budget() {
  bsm::store_options opts;
  opts.memory_budget = 32 * mib;
  opts.write_buffer_bytes = 4 * mib;
  return opts;
}

void fill(bsm::store& s, bsm::column cf, const std::string& prefix, int n) {
  std::string value(1024, 'v');
  for (int i = 0; i < n; ++i)
    ASSERT_FALSE(s.put(cf, prefix + std::to_string(i), value));
}

uint64_t wal_bytes(const std::filesystem::path& dir) {
  uint64_t result = 0;
  for (const auto& entry : std::filesystem::directory_iterator{dir})
    if (entry.path().extension() == ".log")
      result += entry.file_size();
  return result;
}

// Entries of the shared cache by role, counted fresh.
uint64_t cached_entries(bsm::store& s, rocksdb::CacheEntryRole role) {
  std::map<std::string, std::string> stats;
  EXPECT_TRUE(s.db().GetMapProperty(
    s.handle(bsm::column::mailbox),
    rocksdb::DB::Properties::kBlockCacheEntryStats, &stats));
  auto i = stats.find(rocksdb::BlockCacheEntryStatsMapKeys::EntryCount(role));
  return i == stats.end() ? 0 : std::stoull(i->second);
}

TEST(StoreMemory, EveryColumnFamilySharesTheBudgetCache) {
  bsm::test::temp_dir dir;
  auto s = bsm::store::open(dir.path(), small_budget());
  ASSERT_TRUE(s) << bsm::render(s.error());
  auto& db = (*s)->db();
  for (auto cf : bsm::all_columns) {
    auto opts = db.GetOptions((*s)->handle(cf));
    const auto* table
      = opts.table_factory->GetOptions<rocksdb::BlockBasedTableOptions>();
    ASSERT_NE(table, nullptr) << bsm::to_string(cf);
    EXPECT_EQ(table->block_cache.get(), &(*s)->cache()) << bsm::to_string(cf);
    EXPECT_TRUE(table->cache_index_and_filter_blocks);
    EXPECT_TRUE(table->cache_index_and_filter_blocks_with_high_priority);
    EXPECT_TRUE(table->pin_l0_filter_and_index_blocks_in_cache);
    EXPECT_EQ(table->index_type,
              rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch);
    EXPECT_TRUE(table->pin_top_level_index_and_filter);
    EXPECT_EQ(table->partition_filters, cf == bsm::column::memory);
    EXPECT_EQ(opts.write_buffer_size, 4 * mib);
    EXPECT_EQ(opts.memtable_insert_with_hint_prefix_extractor != nullptr,
              cf == bsm::column::tasks || cf == bsm::column::workflows)
      << bsm::to_string(cf);
  }
  auto wbm = db.GetDBOptions().write_buffer_manager;
  ASSERT_NE(wbm, nullptr);
  EXPECT_TRUE(wbm->cost_to_cache());
  EXPECT_EQ(wbm->buffer_size(), 16 * mib);
  EXPECT_EQ((*s)->memory_in_use().cache_capacity, 32 * mib);
  // Unset, the logs are limited to one write buffer: what a start after a
  // crash replays.
  EXPECT_EQ(db.GetDBOptions().max_total_wal_size, 4 * mib);
}

// A family written once keeps the first log alive; the limit makes RocksDB
// flush it, so the logs stay near the limit instead of piling up.
TEST(StoreMemory, TheLogsStayNearTheirLimit) {
  bsm::test::temp_dir dir;
  auto opts = small_budget();
  opts.max_wal_bytes = 4 * mib;
  auto s = bsm::store::open(dir.path(), opts);
  ASSERT_TRUE(s) << bsm::render(s.error());
  EXPECT_EQ((*s)->db().GetDBOptions().max_total_wal_size, 4 * mib);
  ASSERT_FALSE((*s)->put(bsm::column::meta, "once", "x"));
  for (int round = 0; round < 24; ++round)
    fill(**s, bsm::column::mailbox, "r" + std::to_string(round) + "/", 1000);
  // 24 MiB were written; without the limit every log would be kept (the
  // meta family never fills its memtable). Flushes run in the background.
  EXPECT_TRUE(
    bsm::test::poll_until([&] { return wal_bytes(dir.path()) < 12 * mib; }))
    << wal_bytes(dir.path()) << " bytes of logs";
}

TEST(StoreMemory, MemtablesAndIndexBlocksAreChargedToTheCache) {
  bsm::test::temp_dir dir;
  auto s = bsm::store::open(dir.path(), small_budget());
  ASSERT_TRUE(s) << bsm::render(s.error());
  auto& db = (*s)->db();
  for (auto cf : {bsm::column::mailbox, bsm::column::memory}) {
    fill(**s, cf, "flushed/", 1000);
    ASSERT_TRUE(db.Flush({}, (*s)->handle(cf)).ok());
  }
  fill(**s, bsm::column::memory, "unflushed/", 1000);
  auto use = (*s)->memory_in_use();
  EXPECT_GT(use.memtables, 1000u * 1024);
  // The memtables' reservation and the pinned level-0 index blocks.
  EXPECT_GE(use.cache_usage + mib, use.memtables);
  EXPECT_GT(use.cache_pinned, 0u);
  // RocksDB reuses a collection of the entry stats for 10 s, and its
  // periodic stats dump may have collected one at open, before any block
  // was cached: wait for a fresh one.
  EXPECT_TRUE(bsm::test::poll_until([&] {
    return cached_entries(**s, rocksdb::CacheEntryRole::kIndexBlock) >= 2
           && cached_entries(**s, rocksdb::CacheEntryRole::kWriteBuffer) > 0;
  }))
    << "index blocks "
    << cached_entries(**s, rocksdb::CacheEntryRole::kIndexBlock)
    << ", write buffer entries "
    << cached_entries(**s, rocksdb::CacheEntryRole::kWriteBuffer);
}

std::string turn_key(const std::string& session, uint64_t seq) {
  std::string result{"s\0runner\0", 9};
  result += session + '\0';
  for (int shift = 56; shift >= 0; shift -= 8)
    result.push_back(static_cast<char>((seq >> shift) & 0xff));
  return result;
}

// The last turn of `session` as the memory actor finds it.
std::optional<uint64_t> last_turn(bsm::store& s, const std::string& session) {
  rocksdb::ReadOptions opts;
  opts.prefix_same_as_start = true;
  std::unique_ptr<rocksdb::Iterator> it{
    s.db().NewIterator(opts, s.handle(bsm::column::memory))};
  auto prefix = turn_key(session, 0).substr(0, 9 + session.size() + 1);
  it->SeekForPrev(turn_key(session, UINT64_MAX));
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  if (!it->Valid() || !it->key().starts_with(prefix))
    return std::nullopt;
  return static_cast<uint64_t>(
    static_cast<unsigned char>(it->key()[it->key().size() - 1]));
}

TEST(StoreMemory, SessionLookupsSkipTableFilesWithoutTheSession) {
  bsm::test::temp_dir dir;
  auto s = bsm::store::open(dir.path(), small_budget());
  ASSERT_TRUE(s) << bsm::render(s.error());
  auto& db = (*s)->db();
  auto opts = db.GetOptions((*s)->handle(bsm::column::memory));
  ASSERT_NE(opts.prefix_extractor, nullptr);
  EXPECT_STREQ(opts.prefix_extractor->Name(),
               bsm::session_prefix_extractor()->Name());
  // Three table files, each with some sessions and a kv key after them.
  for (int file = 0; file < 3; ++file) {
    for (int i = 0; i < 50; ++i)
      for (uint64_t seq = 1; seq <= 3; ++seq)
        ASSERT_FALSE((*s)->put(
          bsm::column::memory,
          turn_key("f" + std::to_string(file) + "-" + std::to_string(i), seq),
          "turn"));
    ASSERT_FALSE(
      (*s)->put(bsm::column::memory,
                std::string{"kv\0runner\0k", 11} + std::to_string(file), "v"));
    ASSERT_TRUE(db.Flush({}, (*s)->handle(bsm::column::memory)).ok());
  }
  EXPECT_EQ(last_turn(**s, "f1-7"), 3u);
  EXPECT_EQ(last_turn(**s, "f2-49"), 3u);
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
  rocksdb::get_perf_context()->Reset();
  EXPECT_EQ(last_turn(**s, "new-session"), std::nullopt);
  // Every file's prefix filter said no (level 0 holds all three).
  EXPECT_GE(rocksdb::get_perf_context()->bloom_sst_miss_count, 3u);
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  // A total-order scan still sees keys outside the extractor's domain.
  rocksdb::ReadOptions all;
  all.total_order_seek = true;
  std::unique_ptr<rocksdb::Iterator> it{
    db.NewIterator(all, (*s)->handle(bsm::column::memory))};
  int kv = 0;
  for (it->Seek(std::string{"kv\0", 3});
       it->Valid() && it->key().starts_with(std::string{"kv\0", 3}); it->Next())
    ++kv;
  EXPECT_EQ(kv, 3);
}

// A scan of a session's turns seeks to the session's prefix without a
// number, with default read options (prefix mode): that key is outside the
// extractor's domain, so no filter turns it away. Session ids of 7 bytes
// are the trap: cutting 8 bytes off such a seek key leaves a whole
// "s\0<agent>\0" that ends like a prefix.
TEST(StoreMemory, ScansFromASessionsPrefixFindItsTurns) {
  bsm::test::temp_dir dir;
  auto s = bsm::store::open(dir.path(), small_budget());
  ASSERT_TRUE(s) << bsm::render(s.error());
  auto extractor = bsm::session_prefix_extractor();
  for (std::string session :
       {"journal", "journal0", "s", "a-longer-session-id"}) {
    for (uint64_t seq = 1; seq <= 3; ++seq)
      ASSERT_FALSE((*s)->put(bsm::column::memory, turn_key(session, seq), "t"));
    auto whole = turn_key(session, 1);
    EXPECT_TRUE(extractor->InDomain(whole)) << session;
    auto seek = whole.substr(0, whole.size() - bsm::session_turn_seq_bytes);
    EXPECT_FALSE(extractor->InDomain(seek)) << session;
  }
  ASSERT_TRUE((*s)->db().Flush({}, (*s)->handle(bsm::column::memory)).ok());
  for (std::string session :
       {"journal", "journal0", "s", "a-longer-session-id"}) {
    auto whole = turn_key(session, 1);
    auto seek = whole.substr(0, whole.size() - bsm::session_turn_seq_bytes);
    std::unique_ptr<rocksdb::Iterator> it{(*s)->db().NewIterator(
      rocksdb::ReadOptions{}, (*s)->handle(bsm::column::memory))};
    int turns = 0;
    for (it->Seek(seek); it->Valid() && it->key().starts_with(seek); it->Next())
      ++turns;
    EXPECT_EQ(turns, 3) << session;
  }
}

// A store written before the session filters (no prefix extractor, whole
// index blocks) opens, and its sessions are found: RocksDB uses a file's
// prefix filter only if the file was built with the same extractor.
TEST(StoreMemory, TablesFromBeforeTheSessionFiltersAreStillFound) {
  bsm::test::temp_dir dir;
  {
    rocksdb::Options plain;
    plain.create_if_missing = true;
    plain.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> families{
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions{}},
      {"memory", rocksdb::ColumnFamilyOptions{}}};
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(
      rocksdb::DB::Open(plain, dir.path().string(), families, &handles, &raw)
        .ok());
    std::unique_ptr<rocksdb::DB> old{raw};
    for (uint64_t seq = 1; seq <= 4; ++seq)
      ASSERT_TRUE(
        old->Put(rocksdb::WriteOptions{}, handles[1], turn_key("old", seq), "t")
          .ok());
    ASSERT_TRUE(old->Flush({}, handles[1]).ok());
    for (auto* h : handles)
      ASSERT_TRUE(old->DestroyColumnFamilyHandle(h).ok());
  }
  auto s = bsm::store::open(dir.path(), small_budget());
  ASSERT_TRUE(s) << bsm::render(s.error());
  EXPECT_EQ(last_turn(**s, "old"), 4u);
  EXPECT_EQ(last_turn(**s, "new"), std::nullopt);
}

} // namespace
