#include "runtime/supervision/restart_policy.hpp"

#include <gtest/gtest.h>

#include <caf/exit_reason.hpp>

#include "runtime/error.hpp"

namespace {

using namespace std::chrono_literals;

TEST(RestartPolicy, PermanentRestartsAfterAnyExit) {
  EXPECT_TRUE(bsm::should_restart(bsm::restart_type::permanent, caf::error{}));
  EXPECT_TRUE(bsm::should_restart(bsm::restart_type::permanent,
                                  bsm::make_error(bsm::errc::internal)));
}

TEST(RestartPolicy, TransientRestartsOnlyAfterAbnormalExit) {
  auto transient = bsm::restart_type::transient;
  EXPECT_FALSE(bsm::should_restart(transient, caf::error{}));
  EXPECT_FALSE(bsm::should_restart(transient, caf::exit_reason::normal));
  EXPECT_FALSE(bsm::should_restart(transient, caf::exit_reason::user_shutdown));
  EXPECT_TRUE(bsm::should_restart(transient, caf::exit_reason::kill));
  EXPECT_TRUE(
    bsm::should_restart(transient, bsm::make_error(bsm::errc::internal)));
}

TEST(RestartPolicy, TemporaryNeverRestarts) {
  EXPECT_FALSE(bsm::should_restart(bsm::restart_type::temporary,
                                   bsm::make_error(bsm::errc::internal)));
}

TEST(RestartWindow, ForgetsRestartsOlderThanThePeriod) {
  bsm::restart_window window{100ms};
  bsm::steady_time t0{};
  EXPECT_EQ(window.record(t0), 1u);
  EXPECT_EQ(window.record(t0 + 50ms), 2u);
  EXPECT_EQ(window.count(t0 + 100ms), 2u);
  EXPECT_EQ(window.count(t0 + 101ms), 1u);
  EXPECT_EQ(window.record(t0 + 300ms), 1u);
}

TEST(Backoff, DoublesAndCaps) {
  EXPECT_EQ(bsm::backoff_delay(0, 100ms, 1s), 100ms);
  EXPECT_EQ(bsm::backoff_delay(1, 100ms, 1s), 200ms);
  EXPECT_EQ(bsm::backoff_delay(3, 100ms, 1s), 800ms);
  EXPECT_EQ(bsm::backoff_delay(4, 100ms, 1s), 1s);
  EXPECT_EQ(bsm::backoff_delay(1'000'000, 100ms, 1s), 1s);
  EXPECT_EQ(bsm::backoff_delay(5, 0ms, 1s), 0ms);
}

} // namespace
