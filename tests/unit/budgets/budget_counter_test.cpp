// Budget windows and counters: fixed windows aligned to the epoch,
// all-or-nothing reservations, settlement with the reported usage,
// expiry of reservations never settled, refill and retry-after, and the
// warning and spent levels once per window.

#include <gtest/gtest.h>

#include "runtime/budgets/budget_counter.hpp"

namespace {

using namespace bsm::budgets;
using namespace std::chrono_literals;

// 2026-12-06 00:00:00 UTC: a whole day, so a whole minute too.
constexpr int64_t day_start = 1'796'515'200'000;
constexpr int64_t minute = 60'000;
constexpr int64_t day = 86'400'000;

budget_amount requests(uint64_t n) {
  return {n, 0, 0};
}

TEST(BudgetWindow, AlignsToTheMinuteAndRefillsAtItsEnd) {
  budget_window w{limit_kind::requests_per_minute, 2};
  w.roll(day_start + 10'500);
  EXPECT_EQ(w.start_ms(), day_start);
  EXPECT_EQ(w.end_ms(), day_start + minute);
  w.add(2);
  EXPECT_FALSE(w.fits(1));
  w.roll(day_start + minute - 1);
  EXPECT_FALSE(w.fits(1));
  w.roll(day_start + minute);
  EXPECT_EQ(w.used(), 0u);
  EXPECT_TRUE(w.fits(2));
}

TEST(BudgetWindow, DayWindowsStartAtMidnightUtc) {
  budget_window w{limit_kind::tokens_per_day, 100};
  w.roll(day_start + 13 * 3'600'000 + 5);
  EXPECT_EQ(w.start_ms(), day_start);
  EXPECT_EQ(w.end_ms(), day_start + day);
}

TEST(BudgetWindow, AnAmountLargerThanTheLimitFitsOnlyAnEmptyWindow) {
  budget_window w{limit_kind::tokens_per_minute, 100};
  w.roll(day_start);
  EXPECT_TRUE(w.fits(500));
  w.add(1);
  EXPECT_FALSE(w.fits(500));
  EXPECT_TRUE(w.fits(99));
  EXPECT_FALSE(w.fits(100));
}

TEST(BudgetWindow, ReportsWarningAndSpentOncePerWindow) {
  budget_window w{limit_kind::requests_per_minute, 10};
  w.roll(day_start);
  w.add(7);
  EXPECT_FALSE(w.take_new_level());
  w.add(1);
  EXPECT_EQ(w.take_new_level(), budget_level::warning);
  w.add(1);
  EXPECT_FALSE(w.take_new_level());
  w.add(1);
  EXPECT_EQ(w.take_new_level(), budget_level::spent);
  EXPECT_FALSE(w.take_new_level());
  w.roll(day_start + minute);
  w.add(10);
  EXPECT_EQ(w.take_new_level(), budget_level::spent);
}

TEST(BudgetWindow, ARefusalCountsAsSpent) {
  budget_window w{limit_kind::tokens_per_minute, 100};
  w.roll(day_start);
  w.add(10);
  w.refused();
  EXPECT_EQ(w.take_new_level(), budget_level::spent);
}

TEST(BudgetCounter, RefusesTheRequestBeyondTheLimitWithTheTimeToRefill) {
  budget_counter c{{2, 0, 0, 0, 0}, {}};
  EXPECT_TRUE(c.acquire("a", requests(1), day_start + 1'000).granted);
  EXPECT_TRUE(c.acquire("b", requests(1), day_start + 2'000).granted);
  auto refused = c.acquire("c", requests(1), day_start + 15'000);
  EXPECT_FALSE(refused.granted);
  EXPECT_EQ(refused.refused_by, limit_kind::requests_per_minute);
  EXPECT_EQ(refused.retry_after, 45s);
  // It refills at the minute's end.
  EXPECT_TRUE(c.acquire("c", requests(1), day_start + minute).granted);
}

TEST(BudgetCounter, IsAllOrNothingAcrossItsLimits) {
  budget_limits limits;
  limits.requests_per_minute = 10;
  limits.tokens_per_minute = 100;
  budget_counter c{limits, {}};
  ASSERT_TRUE(c.acquire("a", {1, 90, 0}, day_start).granted);
  auto refused = c.acquire("b", {1, 20, 0}, day_start);
  EXPECT_FALSE(refused.granted);
  EXPECT_EQ(refused.refused_by, limit_kind::tokens_per_minute);
  // The refused call took no request either.
  for (const auto& u : c.use(day_start))
    if (u.kind == limit_kind::requests_per_minute) {
      EXPECT_EQ(u.used, 1u);
    }
}

TEST(BudgetCounter, NamesTheLimitThatRefillsLast) {
  budget_limits limits;
  limits.requests_per_minute = 1;
  limits.requests_per_day = 1;
  budget_counter c{limits, {}};
  ASSERT_TRUE(c.acquire("a", requests(1), day_start).granted);
  auto refused = c.acquire("b", requests(1), day_start + 1'000);
  EXPECT_FALSE(refused.granted);
  EXPECT_EQ(refused.refused_by, limit_kind::requests_per_day);
  EXPECT_EQ(refused.retry_after.count(), day - 1'000);
}

TEST(BudgetCounter, SettlingReleasesTheDifferenceAndKeepsTheRequest) {
  budget_limits limits;
  limits.requests_per_minute = 10;
  limits.tokens_per_minute = 1'000;
  limits.cost_per_day_micros = 5'000;
  budget_counter c{limits, {}};
  ASSERT_TRUE(c.acquire("a", {1, 900, 4'000}, day_start).granted);
  EXPECT_FALSE(c.acquire("b", {1, 200, 0}, day_start).granted);
  EXPECT_TRUE(c.settle("a", {0, 150, 700}, day_start + 10));
  EXPECT_EQ(c.reservations(), 0u);
  for (const auto& u : c.use(day_start + 20)) {
    if (u.kind == limit_kind::tokens_per_minute) {
      EXPECT_EQ(u.used, 150u);
    }
    if (u.kind == limit_kind::cost_per_day) {
      EXPECT_EQ(u.used, 700u);
    }
    if (u.kind == limit_kind::requests_per_minute) {
      EXPECT_EQ(u.used, 1u) << "the refused call counts no request";
    }
  }
  EXPECT_TRUE(c.acquire("b", {1, 200, 0}, day_start + 30).granted);
}

TEST(BudgetCounter, SettlingMoreThanTheEstimateCountsTheReportedUsage) {
  budget_counter c{{0, 0, 1'000, 0, 0}, {}};
  ASSERT_TRUE(c.acquire("a", {1, 100, 0}, day_start).granted);
  EXPECT_TRUE(c.settle("a", {0, 1'200, 0}, day_start));
  EXPECT_EQ(c.use(day_start)[0].used, 1'200u);
  auto refused = c.acquire("b", {1, 1, 0}, day_start);
  EXPECT_FALSE(refused.granted);
}

TEST(BudgetCounter, SettlingAfterTheWindowEndedChangesNoNewWindow) {
  budget_counter c{{0, 0, 1'000, 0, 0}, {}};
  ASSERT_TRUE(c.acquire("a", {1, 500, 0}, day_start + minute - 10).granted);
  EXPECT_TRUE(c.settle("a", {0, 900, 0}, day_start + minute + 10));
  EXPECT_EQ(c.use(day_start + minute + 10)[0].used, 0u);
}

TEST(BudgetCounter, SettlingAnUnknownOrSettledReservationIsRefused) {
  budget_counter c{{10, 0, 0, 0, 0}, {}};
  EXPECT_FALSE(c.settle("nope", {0, 1, 1}, day_start));
  ASSERT_TRUE(c.acquire("a", requests(1), day_start).granted);
  EXPECT_TRUE(c.settle("a", {}, day_start));
  EXPECT_FALSE(c.settle("a", {}, day_start));
}

TEST(BudgetCounter, TheSameReservationIdIsCountedOnce) {
  budget_counter c{{2, 0, 0, 0, 0}, {}};
  EXPECT_TRUE(c.acquire("a", requests(1), day_start).granted);
  EXPECT_TRUE(c.acquire("a", requests(1), day_start).granted);
  EXPECT_EQ(c.use(day_start)[0].used, 1u);
  EXPECT_TRUE(c.acquire("b", requests(1), day_start).granted);
}

TEST(BudgetCounter, ReservationsNeverSettledExpireWithTheirEstimateCounted) {
  counter_options opts;
  opts.reservation_timeout = 5s;
  budget_counter c{{0, 0, 0, 1'000, 0}, opts};
  ASSERT_TRUE(c.acquire("a", {1, 400, 0}, day_start).granted);
  EXPECT_EQ(c.reservations(), 1u);
  c.use(day_start + 4'999);
  EXPECT_EQ(c.reservations(), 1u);
  c.use(day_start + 5'000);
  EXPECT_EQ(c.reservations(), 0u);
  EXPECT_FALSE(c.settle("a", {0, 10, 0}, day_start + 5'001));
  EXPECT_EQ(c.use(day_start + 5'002)[0].used, 400u);
}

TEST(BudgetCounter, HoldsAtMostMaxReservations) {
  counter_options opts;
  opts.max_reservations = 3;
  budget_counter c{{0, 1'000'000, 0, 0, 0}, opts};
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(
      c.acquire("r" + std::to_string(i), requests(1), day_start + i).granted);
    EXPECT_LE(c.reservations(), 3u);
  }
  // The newest are held; the oldest expired early.
  EXPECT_TRUE(c.settle("r49", {}, day_start + 60));
  EXPECT_FALSE(c.settle("r0", {}, day_start + 60));
}

TEST(BudgetCounter, ReportsEachLevelOncePerWindow) {
  budget_counter c{{5, 0, 0, 0, 0}, {}};
  for (int i = 0; i < 4; ++i)
    c.acquire("r" + std::to_string(i), requests(1), day_start);
  auto events = c.take_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].level, budget_level::warning);
  EXPECT_EQ(events[0].used, 4u);
  c.acquire("r4", requests(1), day_start);
  c.acquire("r5", requests(1), day_start);
  events = c.take_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].level, budget_level::spent);
  c.acquire("r6", requests(1), day_start);
  EXPECT_TRUE(c.take_events().empty());
}

TEST(BudgetCounter, IsIdleOnlyWithNothingCountedOrHeld) {
  budget_counter c{{5, 0, 0, 0, 0}, {}};
  EXPECT_TRUE(c.idle(day_start));
  c.acquire("a", requests(1), day_start);
  EXPECT_FALSE(c.idle(day_start));
  c.settle("a", {}, day_start);
  EXPECT_FALSE(c.idle(day_start)) << "the request stays counted";
  EXPECT_TRUE(c.idle(day_start + minute));
}

} // namespace

namespace {

TEST(BudgetWindow, WarnsAtEightyPercentRoundedUp) {
  using namespace bsm::budgets;
  budget_window w{limit_kind::requests_per_minute, 3};
  w.roll(day_start);
  w.add(2);
  EXPECT_FALSE(w.take_new_level()) << "2 of 3 is below 80%";
  budget_window big{limit_kind::tokens_per_day, UINT64_MAX};
  big.roll(day_start);
  big.add(UINT64_MAX / 5 * 4 - 1);
  EXPECT_FALSE(big.take_new_level());
  big.add(1);
  EXPECT_EQ(big.take_new_level(), budget_level::warning);
}

} // namespace
