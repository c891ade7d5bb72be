#include "runtime/events/topic_pattern.hpp"

#include <gtest/gtest.h>

#include <string>

#include "runtime/error.hpp"

namespace {

using bsm::events::match;
using bsm::events::topic_pattern;
using bsm::events::validate_pattern;
using bsm::events::validate_topic;

/// True if `err` is invalid_argument and its message mentions `needle`.
::testing::AssertionResult invalid_with(const caf::error& err,
                                        const std::string& needle) {
  if (!bsm::is(err, bsm::errc::invalid_argument))
    return ::testing::AssertionFailure()
           << "expected invalid_argument, got " << bsm::render(err);
  auto text = bsm::render(err);
  if (text.find(needle) == std::string::npos)
    return ::testing::AssertionFailure()
           << "'" << text << "' does not mention '" << needle << "'";
  return ::testing::AssertionSuccess();
}

bool matches(const std::string& pattern, const std::string& topic) {
  auto result = match(pattern, topic);
  EXPECT_TRUE(result) << bsm::render(result.error());
  return result && *result;
}

TEST(TopicPattern, AcceptsWellFormedTopics) {
  for (const char* topic :
       {"a", "supervision.child_crashed", "agent.agents/legal.completed",
        "node.127.0.0.1:7100.up", "Task-9.A_b", "x.y.z.w"})
    EXPECT_FALSE(validate_topic(topic)) << topic;
}

TEST(TopicPattern, RejectsEmptyTopic) {
  EXPECT_TRUE(invalid_with(validate_topic(""), "must not be empty"));
}

TEST(TopicPattern, RejectsEmptySegments) {
  for (const char* topic : {".a", "a.", "a..b", "."})
    EXPECT_TRUE(invalid_with(validate_topic(topic), "empty segment")) << topic;
}

TEST(TopicPattern, RejectsWildcardsInTopics) {
  EXPECT_TRUE(invalid_with(validate_topic("a.*"), "not topics"));
  EXPECT_TRUE(invalid_with(validate_topic("#"), "not topics"));
}

TEST(TopicPattern, RejectsCharactersOutsideTheSegmentAlphabet) {
  EXPECT_TRUE(invalid_with(validate_topic("a b"), "0x20"));
  EXPECT_TRUE(invalid_with(validate_topic("a.b!"), "'!'"));
  EXPECT_TRUE(invalid_with(validate_topic("caf\xc3\xa9"), "0xc3"));
}

TEST(TopicPattern, RejectsOverlongTopicWithShortMessage) {
  std::string topic(300, 'a');
  auto err = validate_topic(topic);
  EXPECT_TRUE(invalid_with(err, "longer than 256"));
  EXPECT_LT(bsm::render(err).size(), 200u);
  EXPECT_FALSE(validate_topic(std::string(256, 'a')));
}

TEST(TopicPattern, AcceptsWildcardPatterns) {
  for (const char* pattern :
       {"#", "*", "task.#", "agent.*.completed", "*.*", "a.*.#"})
    EXPECT_FALSE(validate_pattern(pattern)) << pattern;
}

TEST(TopicPattern, RejectsHashBeforeTheLastSegment) {
  EXPECT_TRUE(invalid_with(validate_pattern("#.a"), "last segment"));
  EXPECT_TRUE(invalid_with(validate_pattern("a.#.b"), "last segment"));
}

TEST(TopicPattern, RejectsWildcardsInsideSegments) {
  EXPECT_TRUE(invalid_with(validate_pattern("a*"), "stand alone"));
  EXPECT_TRUE(invalid_with(validate_pattern("task.b#"), "stand alone"));
  EXPECT_TRUE(invalid_with(validate_pattern("**"), "stand alone"));
}

TEST(TopicPattern, RejectsMalformedPatterns) {
  EXPECT_TRUE(invalid_with(validate_pattern(""), "must not be empty"));
  EXPECT_TRUE(invalid_with(validate_pattern("a..b"), "empty segment"));
  EXPECT_TRUE(invalid_with(validate_pattern("a.b c"), "0x20"));
  EXPECT_TRUE(invalid_with(validate_pattern("a..b"), "invalid topic pattern"));
}

TEST(TopicPattern, ExactPatternMatchesOnlyItsTopic) {
  EXPECT_TRUE(matches("task.created", "task.created"));
  EXPECT_FALSE(matches("task.created", "task.create"));
  EXPECT_FALSE(matches("task.created", "task.created.x"));
  EXPECT_FALSE(matches("task.created", "task"));
  EXPECT_FALSE(matches("Task.created", "task.created"));
}

TEST(TopicPattern, StarMatchesExactlyOneSegment) {
  EXPECT_TRUE(matches("agent.*.completed", "agent.legal.completed"));
  EXPECT_TRUE(matches("agent.*.completed", "agent.agents/legal.completed"));
  EXPECT_FALSE(matches("agent.*.completed", "agent.completed"));
  EXPECT_FALSE(matches("agent.*.completed", "agent.a.b.completed"));
  EXPECT_TRUE(matches("*", "x"));
  EXPECT_FALSE(matches("*", "x.y"));
  EXPECT_TRUE(matches("*.*", "x.y"));
}

TEST(TopicPattern, HashMatchesZeroOrMoreTrailingSegments) {
  EXPECT_TRUE(matches("task.#", "task"));
  EXPECT_TRUE(matches("task.#", "task.a"));
  EXPECT_TRUE(matches("task.#", "task.a.b.c"));
  EXPECT_FALSE(matches("task.#", "tasks.a"));
  EXPECT_FALSE(matches("task.#", "other.task"));
  EXPECT_TRUE(matches("#", "a"));
  EXPECT_TRUE(matches("#", "a.b.c"));
  EXPECT_TRUE(matches("a.*.#", "a.b"));
  EXPECT_TRUE(matches("a.*.#", "a.b.c.d"));
  EXPECT_FALSE(matches("a.*.#", "a"));
}

TEST(TopicPattern, MatchReportsInvalidInput) {
  EXPECT_TRUE(invalid_with(match("a.#.b", "a.x.b").error(), "last segment"));
  EXPECT_TRUE(invalid_with(match("a.#", "a..b").error(), "empty segment"));
}

TEST(TopicPattern, ParsedPatternKeepsItsTextAndSurvivesCopies) {
  auto parsed = topic_pattern::parse("agent.*.completed");
  ASSERT_TRUE(parsed) << bsm::render(parsed.error());
  auto copy = *parsed;
  auto moved = std::move(*parsed);
  EXPECT_EQ(copy.str(), "agent.*.completed");
  EXPECT_TRUE(copy.matches("agent.x.completed"));
  EXPECT_TRUE(moved.matches("agent.y.completed"));
  EXPECT_FALSE(moved.matches("agent.y"));
  EXPECT_TRUE(invalid_with(topic_pattern::parse("a*").error(), "a*"));
}

} // namespace
