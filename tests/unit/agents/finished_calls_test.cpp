#include "agents/tools/finished_calls.hpp"

#include <gtest/gtest.h>

namespace bsm {
namespace {

v1::ToolCallResponse answer(const std::string& text) {
  v1::ToolCallResponse result;
  result.set_content(text);
  return result;
}

TEST(ToolHostFinishedCalls, ForgetsTheLeastRecentlyUsedCallAtTheBound) {
  metrics::registry reg;
  auto m = finished_calls_metrics::make(reg);
  finished_calls calls{2, m};
  calls.record("turn-1/a", answer("a"));
  calls.record("turn-1/b", answer("b"));
  ASSERT_NE(calls.find("turn-1/a"), nullptr); // "b" is now the oldest
  calls.record("turn-1/c", answer("c"));
  EXPECT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls.evictions(), 1u);
  EXPECT_EQ(calls.find("turn-1/b"), nullptr);
  ASSERT_NE(calls.find("turn-1/a"), nullptr);
  EXPECT_EQ(calls.find("turn-1/a")->content(), "a");
  EXPECT_EQ(m.calls->value(), 2.0);
  EXPECT_EQ(m.evictions->value(), 1u);
}

TEST(ToolHostFinishedCalls, TheFirstResponseStandsAndEmptyKeysAreNotKept) {
  finished_calls calls{4};
  calls.record("k", answer("first"));
  calls.record("k", answer("second"));
  calls.record("", answer("none"));
  EXPECT_EQ(calls.size(), 1u);
  ASSERT_NE(calls.find("k"), nullptr);
  EXPECT_EQ(calls.find("k")->content(), "first");
  EXPECT_EQ(calls.find(""), nullptr);
}

TEST(ToolHostFinishedCalls, ManyKeysStayWithinTheDefaultBound) {
  finished_calls calls;
  for (int i = 0; i < 5000; ++i)
    calls.record("call-" + std::to_string(i), answer("x"));
  EXPECT_EQ(calls.size(), finished_calls::default_max_calls);
  EXPECT_EQ(calls.evictions(), 5000u - finished_calls::default_max_calls);
  EXPECT_NE(calls.find("call-4999"), nullptr);
  EXPECT_EQ(calls.find("call-0"), nullptr);
}

} // namespace
} // namespace bsm
