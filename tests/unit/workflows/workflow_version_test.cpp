#include "workflows/workflow_version.hpp"

#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "tests/unit/workflows/contract_review.hpp"

namespace {

namespace w = bsm::workflows;
using nlohmann::json;

w::workflow_definition from_json(const std::string& text) {
  auto def = w::parse_definition(json::parse(text));
  EXPECT_TRUE(def) << bsm::render(def.error());
  return def ? *def : w::workflow_definition{};
}

TEST(WorkflowVersion, YamlAndJsonGiveTheSameVersion) {
  auto yaml = w::parse_definition_yaml(bsm::test::contract_review_yaml, "");
  ASSERT_TRUE(yaml);
  auto body = from_json(bsm::test::contract_review_json);
  EXPECT_EQ(w::definition_version(*yaml), w::definition_version(body));
  EXPECT_EQ(w::definition_digest(*yaml), w::definition_digest(body));
}

TEST(WorkflowVersion, KeyOrderAndWhitespaceDoNotChangeIt) {
  auto a = from_json(R"({"name": "wf", "steps": [{"id": "a", "type": "tool",
                         "tool": "x", "arguments": {"p": 1, "q": [1, 2]}}]})");
  auto b = from_json(R"({"steps":[{"arguments":{"q":[1,2],"p":1},"tool":"x",
                         "type":"tool","id":"a"}],"name":"wf"})");
  EXPECT_EQ(w::definition_version(a), w::definition_version(b));
  // Spellings of the same value: 60s is 1m, retries 2 is max_attempts 3.
  auto c = from_json(R"({"name": "wf", "steps": [{"id": "a", "type": "tool",
                         "tool": "x", "timeout": "60s", "retries": 2}]})");
  auto d = from_json(R"({"name": "wf", "steps": [{"id": "a", "type": "tool",
                         "tool": "x", "timeout": "1m", "max_attempts": 3}]})");
  EXPECT_EQ(w::definition_version(c), w::definition_version(d));
}

TEST(WorkflowVersion, AnyChangeThatMattersIsANewVersion) {
  auto base = R"({"name": "wf", "steps": [{"id": "a", "type": "tool",
                  "tool": "x", "arguments": {"p": 1}}]})";
  auto version = w::definition_version(from_json(base));
  for (auto changed : {
         R"({"name": "wf2", "steps": [{"id": "a", "type": "tool",
             "tool": "x", "arguments": {"p": 1}}]})",
         R"({"name": "wf", "steps": [{"id": "a", "type": "tool",
             "tool": "x", "arguments": {"p": 2}}]})",
         R"({"name": "wf", "steps": [{"id": "a", "type": "tool",
             "tool": "x", "arguments": {"p": "1"}}]})",
         R"({"name": "wf", "steps": [{"id": "a", "type": "tool",
             "tool": "x", "arguments": {"p": 1}, "timeout": "1s"}]})",
         R"({"name": "wf", "description": "d", "steps": [{"id": "a",
             "type": "tool", "tool": "x", "arguments": {"p": 1}}]})"})
    EXPECT_NE(w::definition_version(from_json(changed)), version) << changed;
}

TEST(WorkflowVersion, IsAPrefixOfTheSha256OfTheCanonicalJson) {
  auto def = from_json(R"({"name": "wf", "steps": [{"id": "a",
                           "type": "sleep", "duration": "1s"}]})");
  EXPECT_EQ(
    w::canonical_json(def),
    R"({"name":"wf","steps":[{"backoff":{"multiplier":2.0},)"
    R"("duration":"1s","id":"a","on_failure":"fail","type":"sleep"}]})");
  // printf %s '<the canonical JSON above>' | sha256sum
  EXPECT_EQ(w::definition_digest(def),
            "c59d957a1f47eb9a20b42dafe8aebb8f84ac1395ca24037df321abcabe3661ad");
  EXPECT_EQ(w::definition_version(def),
            w::definition_digest(def).substr(0, 16));
  EXPECT_EQ(w::definition_version(def).size(), 16u);
}

} // namespace
