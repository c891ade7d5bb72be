#include "workflows/workflow_time.hpp"

#include <gtest/gtest.h>

namespace {

namespace w = bsm::workflows;
using std::chrono::milliseconds;

TEST(WorkflowTime, ParsesDurationsWithAUnit) {
  EXPECT_EQ(w::parse_duration("250ms"), milliseconds{250});
  EXPECT_EQ(w::parse_duration("30s"), milliseconds{30'000});
  EXPECT_EQ(w::parse_duration("5m"), milliseconds{300'000});
  EXPECT_EQ(w::parse_duration("2h"), milliseconds{7'200'000});
  EXPECT_EQ(w::parse_duration("1d"), milliseconds{86'400'000});
  EXPECT_EQ(w::parse_duration("0s"), milliseconds{0});
}

TEST(WorkflowTime, RefusesOtherDurations) {
  for (auto bad : {"", "30", "s", "5 minutes", "-1s", "1.5s", "1w", "d", "1dd",
                   " 1s", "99999999999999999999d", "9999999999999999d"})
    EXPECT_FALSE(w::parse_duration(bad)) << bad;
}

TEST(WorkflowTime, RendersDurationsInTheLargestUnit) {
  EXPECT_EQ(w::render_duration(milliseconds{172'800'000}), "2d");
  EXPECT_EQ(w::render_duration(milliseconds{7'200'000}), "2h");
  EXPECT_EQ(w::render_duration(milliseconds{90'000}), "90s");
  EXPECT_EQ(w::render_duration(milliseconds{1'500}), "1500ms");
}

TEST(WorkflowTime, ParsesRfc3339Times) {
  auto ms = [](const char* text) {
    auto t = w::parse_rfc3339(text);
    EXPECT_TRUE(t) << text;
    return t ? t->time_since_epoch().count() : -1;
  };
  EXPECT_EQ(ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ms("2026-03-01T08:00:00Z"), 1'772'352'000'000);
  EXPECT_EQ(ms("2026-03-01T09:00:00+01:00"), 1'772'352'000'000);
  EXPECT_EQ(ms("2026-03-01T03:30:00-04:30"), 1'772'352'000'000);
  EXPECT_EQ(ms("2026-03-01t08:00:00.25z"), 1'772'352'000'250);
  EXPECT_EQ(ms("2026-03-01T08:00:00.123456Z"), 1'772'352'000'123);
  EXPECT_EQ(ms("2024-02-29T00:00:00Z"), 1'709'164'800'000);
}

TEST(WorkflowTime, RefusesOtherTimes) {
  for (auto bad :
       {"", "2026-03-01", "2026-03-01T08:00:00", "2026-03-01 08:00:00Z",
        "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-03-01T24:00:00Z",
        "2026-03-01T08:00:00.Z", "2026-03-01T08:00:00+1:00",
        "2026-03-01T08:00:00+01:00x", "tomorrow"})
    EXPECT_FALSE(w::parse_rfc3339(bad)) << bad;
}

} // namespace
