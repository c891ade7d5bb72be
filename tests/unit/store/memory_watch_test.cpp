#include "runtime/store/memory_watch.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>

#include "tests/common/poll.hpp"

namespace {

using namespace std::chrono_literals;

constexpr uint64_t mib = uint64_t{1} << 20;

TEST(MemoryWatch, FirstSampleIsTakenAtConstruction) {
  bsm::memory_watch watch{{8 * mib, 0},
                          [] {
                            bsm::memory_use x;
                            x.resident = 9 * mib;
                            return x;
                          },
                          1h};
  EXPECT_TRUE(watch.exhausted());
  auto now = watch.latest();
  EXPECT_EQ(now.use.resident, 9 * mib);
  EXPECT_NE(now.exhausted, "");
}

TEST(MemoryWatch, FollowsTheSamplesBothWays) {
  auto resident = std::make_shared<std::atomic<uint64_t>>(1 * mib);
  bsm::memory_watch watch{{8 * mib, 1 * mib},
                          [resident] {
                            bsm::memory_use x;
                            x.resident = resident->load();
                            return x;
                          },
                          10ms};
  EXPECT_FALSE(watch.exhausted());
  resident->store(10 * mib);
  EXPECT_TRUE(bsm::test::poll_until([&] { return watch.exhausted(); }));
  EXPECT_EQ(watch.latest().use.resident, 10 * mib);
  resident->store(2 * mib);
  EXPECT_TRUE(bsm::test::poll_until([&] { return !watch.exhausted(); }));
  EXPECT_EQ(watch.latest().exhausted, "");
}

} // namespace
