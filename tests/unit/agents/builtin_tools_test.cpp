#include "agents/tools/builtin_tools.hpp"

#include <gtest/gtest.h>

#include "runtime/error.hpp"

namespace {

using namespace bsm::agents;

TEST(BuiltinTools, SpecsAreValidOpenAiFunctions) {
  for (const auto& spec : builtin_tool_specs()) {
    EXPECT_TRUE(is_builtin_tool(spec.name()));
    auto schema = nlohmann::json::parse(spec.parameters_json(), nullptr, false);
    ASSERT_TRUE(schema.is_object()) << spec.name();
    EXPECT_EQ(schema["type"], "object") << spec.name();
    EXPECT_FALSE(spec.description().empty()) << spec.name();
  }
  EXPECT_FALSE(is_builtin_tool("everything__echo"));
}

TEST(BuiltinTools, ArgumentsMustBeAJsonObject) {
  EXPECT_TRUE(parse_arguments("")->is_object());
  EXPECT_EQ((*parse_arguments(R"({"key":"k"})"))["key"], "k");
  EXPECT_FALSE(parse_arguments("[1]"));
  EXPECT_FALSE(parse_arguments("{key:"));
  auto args = *parse_arguments(R"({"key":"","n":1})");
  EXPECT_FALSE(string_argument(args, "key"));
  EXPECT_FALSE(string_argument(args, "n"));
  EXPECT_FALSE(string_argument(args, "missing"));
}

TEST(BuiltinTools, CurrentTimeIsUtcIso8601AndUnixSeconds) {
  auto result = current_time_result();
  EXPECT_FALSE(result.is_error());
  auto doc = nlohmann::json::parse(result.content());
  auto utc = doc["utc"].get<std::string>();
  EXPECT_EQ(utc.size(), 20u) << utc;
  EXPECT_EQ(utc.back(), 'Z');
  EXPECT_GT(doc["unix"].get<int64_t>(), 1'700'000'000);
}

TEST(BuiltinTools, KnowledgeSearchReturnsPassagesOrAnErrorResult) {
  bsm::v1::KnowledgePassage passage;
  passage.set_source("contracts.md");
  passage.set_title("Liability");
  passage.set_text("A limitation of liability caps what one side recovers.");
  auto index = bsm::knowledge::knowledge_index::from_passages({passage});
  auto hit = knowledge_search_result(index, {{"query", "liability cap"}}, 4);
  ASSERT_FALSE(hit.is_error()) << hit.content();
  auto doc = nlohmann::json::parse(hit.content());
  ASSERT_EQ(doc["passages"].size(), 1u);
  EXPECT_EQ(doc["passages"][0]["source"], "contracts.md");
  EXPECT_TRUE(
    knowledge_search_result(index, nlohmann::json::object(), 4).is_error());
  EXPECT_TRUE(knowledge_search_result(index, {{"query", "x"}, {"top_k", 99}}, 4)
                .is_error());
}

TEST(BuiltinTools, DelegationRefusesLoopsAndDepth) {
  EXPECT_EQ(delegation_problem({}, "a", "b"), "");
  EXPECT_NE(delegation_problem({}, "a", "a").find("loop"), std::string::npos);
  EXPECT_NE(delegation_problem({"b"}, "a", "b").find("loop"),
            std::string::npos);
  EXPECT_EQ(delegation_problem({"x", "y"}, "a", "b"), "");
  EXPECT_NE(delegation_problem({"x", "y", "z"}, "a", "b").find("too deep"),
            std::string::npos);
}

} // namespace
