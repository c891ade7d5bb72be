// The store's one memory budget: a block cache all column families share,
// holding index blocks and charged with the memtables (issue 28).

#include <gtest/gtest.h>

#include <map>
#include <string>

#include <rocksdb/cache.h>
#include <rocksdb/table.h>
#include <rocksdb/write_buffer_manager.h>

#include "runtime/error.hpp"
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
    EXPECT_EQ(opts.write_buffer_size, 4 * mib);
  }
  auto wbm = db.GetDBOptions().write_buffer_manager;
  ASSERT_NE(wbm, nullptr);
  EXPECT_TRUE(wbm->cost_to_cache());
  EXPECT_EQ(wbm->buffer_size(), 16 * mib);
  EXPECT_EQ((*s)->memory_in_use().cache_capacity, 32 * mib);
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

} // namespace
