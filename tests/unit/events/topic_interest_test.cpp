#include "runtime/events/topic_interest.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using bsm::events::topic_interest;
using bsm::events::topic_pattern;

topic_pattern pattern(std::string text) {
  auto p = topic_pattern::parse(std::move(text));
  EXPECT_TRUE(p);
  return *p;
}

TEST(TopicInterest, WantsNothingWithoutSubscriptions) {
  topic_interest interest;
  EXPECT_FALSE(interest.wants("task.running"));
}

TEST(TopicInterest, WantsWhatAPatternMatchesAndOnlyThat) {
  topic_interest interest;
  interest.add(pattern("workflow.run.*"));
  EXPECT_TRUE(interest.wants("workflow.run.succeeded"));
  EXPECT_FALSE(interest.wants("workflow.step.running"));
  EXPECT_FALSE(interest.wants("task.running"));
  interest.add(pattern("#"));
  EXPECT_TRUE(interest.wants("task.running"));
}

TEST(TopicInterest, APatternHeldTwiceStaysUntilItsLastSubscriptionGoes) {
  topic_interest interest;
  auto tasks = pattern("task.#");
  interest.add(tasks);
  interest.add(tasks);
  interest.remove(tasks);
  EXPECT_TRUE(interest.wants("task.succeeded"));
  interest.remove(tasks);
  EXPECT_FALSE(interest.wants("task.succeeded"));
  // Removing one never added changes nothing.
  interest.remove(tasks);
  EXPECT_FALSE(interest.wants("task.succeeded"));
}

} // namespace
