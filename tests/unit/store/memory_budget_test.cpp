#include "runtime/store/memory_budget.hpp"

#include <gtest/gtest.h>

namespace {

constexpr uint64_t mib = uint64_t{1} << 20;

// A budget of 256 MiB with 64 MiB of headroom: the node may hold 320 MiB.
const bsm::memory_limits limits{256 * mib, 64 * mib};

bsm::memory_use use(uint64_t pinned, uint64_t memtables, uint64_t resident) {
  bsm::memory_use x;
  x.cache_capacity = 256 * mib;
  x.cache_usage = 200 * mib;
  x.cache_pinned = pinned;
  x.memtables = memtables;
  x.resident = resident;
  return x;
}

TEST(MemoryBudget, StoreHeldCountsMemtablesChargedAsPinnedOnce) {
  EXPECT_EQ(bsm::store_held(use(100 * mib, 80 * mib, 0)), 100 * mib);
  // The cache's reservation for the memtables may lag behind them.
  EXPECT_EQ(bsm::store_held(use(10 * mib, 80 * mib, 0)), 80 * mib);
}

TEST(MemoryBudget, AFullCacheOfEvictableBlocksIsNotExhausted) {
  auto x = use(20 * mib, 16 * mib, 300 * mib);
  x.cache_usage = 256 * mib;
  EXPECT_EQ(bsm::exhausted(limits, x), "");
}

TEST(MemoryBudget, ExhaustedWhenTheStoreHoldsTheWholeBudget) {
  EXPECT_EQ(bsm::exhausted(limits, use(255 * mib, 100 * mib, 200 * mib)), "");
  EXPECT_EQ(bsm::exhausted(limits, use(256 * mib, 100 * mib, 200 * mib)),
            "the store holds 256 MiB that cannot be evicted, the whole "
            "store.memory_budget of 256 MiB");
  EXPECT_NE(bsm::exhausted(limits, use(0, 300 * mib, 200 * mib)), "");
}

TEST(MemoryBudget, ExhaustedWhenResidentPassesBudgetPlusHeadroom) {
  EXPECT_EQ(bsm::exhausted(limits, use(0, 0, 320 * mib)), "");
  EXPECT_EQ(bsm::exhausted(limits, use(0, 0, 320 * mib + 1)),
            "the process holds 320 MiB, more than store.memory_budget + "
            "store.memory_headroom (320 MiB)");
}

TEST(MemoryBudget, UnknownResidentSetDecidesOnTheStoreAlone) {
  EXPECT_EQ(bsm::exhausted(limits, use(10 * mib, 10 * mib, 0)), "");
}

} // namespace
