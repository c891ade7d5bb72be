#include "runtime/store/memory_budget.hpp"

#include <gtest/gtest.h>

namespace {

constexpr uint64_t mib = uint64_t{1} << 20;

// A budget of 250 MiB with 64 MiB of headroom: the node may hold
// 250 + 25 + 64 = 339 MiB.
const bsm::memory_limits limits{250 * mib, 64 * mib};

bsm::memory_use use(uint64_t pinned, uint64_t memtables, uint64_t resident) {
  bsm::memory_use x;
  x.cache_capacity = 250 * mib;
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
  x.cache_usage = 250 * mib;
  EXPECT_EQ(bsm::exhausted(limits, x), "");
}

TEST(MemoryBudget, ExhaustedWhenTheStoreHoldsTheWholeBudget) {
  EXPECT_EQ(bsm::exhausted(limits, use(249 * mib, 100 * mib, 200 * mib)), "");
  EXPECT_EQ(bsm::exhausted(limits, use(250 * mib, 100 * mib, 200 * mib)),
            "the store holds 250 MiB that cannot be evicted, the whole "
            "store.memory_budget of 250 MiB");
  EXPECT_NE(bsm::exhausted(limits, use(0, 300 * mib, 200 * mib)), "");
}

TEST(MemoryBudget, ResidentLimitIsBudgetPlusATenthPlusHeadroom) {
  EXPECT_EQ(bsm::resident_limit(limits), 339 * mib);
  EXPECT_EQ(bsm::resident_limit({4 * mib, 0}), 4 * mib + 4 * mib / 10);
}

TEST(MemoryBudget, ExhaustedWhenResidentPassesItsLimit) {
  EXPECT_EQ(bsm::exhausted(limits, use(0, 0, 339 * mib)), "");
  EXPECT_EQ(bsm::exhausted(limits, use(0, 0, 339 * mib + 1)),
            "the process holds 339 MiB, more than store.memory_budget + 10% + "
            "store.memory_headroom (339 MiB)");
}

TEST(MemoryBudget, UnknownResidentSetDecidesOnTheStoreAlone) {
  EXPECT_EQ(bsm::exhausted(limits, use(10 * mib, 10 * mib, 0)), "");
}

} // namespace
