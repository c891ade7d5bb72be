#include "agents/agent_definition.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "runtime/error.hpp"
#include "tests/common/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using bsm::agents::load_definition;
using bsm::agents::load_definitions;

class AgentDefinition : public ::testing::Test {
protected:
  bsm::test::temp_dir dir;

  fs::path write(const std::string& name, const std::string& text) {
    auto path = dir.path() / name;
    fs::create_directories(path.parent_path());
    std::ofstream{path} << text;
    return path;
  }

  // The error message of loading `text`, or "" if it loads.
  std::string error_of(const std::string& text) {
    auto def = load_definition(write("agent.yaml", text));
    return def ? std::string{} : bsm::render(def.error());
  }
};

TEST_F(AgentDefinition, ReadsEveryKey) {
  fs::create_directories(dir.path() / "kb");
  auto def = load_definition(write("legal.yaml", R"(name: legal
description: Reads contracts.
model:
  provider: openai
  name: gpt-4o-mini
  temperature: 0.3
  max_tokens: 512
  base_url: http://127.0.0.1:11434/v1
  api_key_env: OLLAMA_KEY
system_prompt: |
  You are careful.
tools: [knowledge_search, everything__*]
knowledge:
  paths: [kb]
  top_k: 3
memory:
  history_turns: 7
limits:
  max_steps: 4
  max_tool_calls: 9
  timeout: 20s
  token_budget: 5000
)"));
  ASSERT_TRUE(def) << bsm::render(def.error());
  EXPECT_EQ(def->name(), "legal");
  EXPECT_EQ(def->model().provider(), "openai");
  EXPECT_EQ(def->model().name(), "gpt-4o-mini");
  EXPECT_DOUBLE_EQ(def->model().temperature(), 0.3);
  EXPECT_EQ(def->model().max_tokens(), 512u);
  EXPECT_EQ(def->model().base_url(), "http://127.0.0.1:11434/v1");
  EXPECT_EQ(def->model().api_key_env(), "OLLAMA_KEY");
  EXPECT_EQ(def->system_prompt(), "You are careful.\n");
  ASSERT_EQ(def->tools_size(), 2);
  ASSERT_EQ(def->knowledge_size(), 1);
  EXPECT_EQ(fs::path{def->knowledge(0)},
            fs::weakly_canonical(dir.path() / "kb"));
  EXPECT_EQ(def->knowledge_top_k(), 3u);
  EXPECT_EQ(def->memory_history_turns(), 7u);
  EXPECT_EQ(def->max_steps(), 4u);
  EXPECT_EQ(def->max_tool_calls(), 9u);
  EXPECT_EQ(def->timeout_ms(), 20'000u);
  EXPECT_EQ(def->token_budget(), 5000u);
  EXPECT_TRUE(bsm::agents::allows_tool(*def, "everything__echo"));
  EXPECT_TRUE(bsm::agents::allows_tool(*def, "knowledge_search"));
  EXPECT_FALSE(bsm::agents::allows_tool(*def, "memory_put"));
  EXPECT_EQ(bsm::agents::model_label(*def), "openai/gpt-4o-mini");
}

TEST_F(AgentDefinition, OnlyTheNameIsRequired) {
  auto def = load_definition(write("a.yaml", "name: a\n"));
  ASSERT_TRUE(def) << bsm::render(def.error());
  EXPECT_EQ(def->model().provider(), "local");
  EXPECT_EQ(def->max_steps(), 6u);
  EXPECT_EQ(def->timeout_ms(), 60'000u);
  EXPECT_EQ(def->tools_size(), 0);
}

TEST_F(AgentDefinition, ErrorsNameFileLineAndKey) {
  auto err = error_of("name: a\nlimits:\n  max_steps: 0\n");
  EXPECT_NE(err.find("agent.yaml:3"), std::string::npos) << err;
  EXPECT_NE(err.find("'limits.max_steps'"), std::string::npos) << err;
  EXPECT_NE(err.find("1..100"), std::string::npos) << err;
}

TEST_F(AgentDefinition, RefusesBadValues) {
  EXPECT_NE(error_of("description: no name\n").find("'name' is missing"),
            std::string::npos);
  EXPECT_NE(error_of("name: Legal Team\n").find("'name'"), std::string::npos);
  EXPECT_NE(error_of("name: a\nmodel:\n  provider: gpt\n").find("local|openai"),
            std::string::npos);
  EXPECT_NE(error_of("name: a\nmodel:\n  temperature: 3\n").find("0..2"),
            std::string::npos);
  EXPECT_NE(error_of("name: a\ntools: [\"bad tool\"]\n").find("tool name"),
            std::string::npos);
  EXPECT_NE(error_of("name: a\nlimits:\n  timeout: soon\n").find("timeout"),
            std::string::npos);
  EXPECT_NE(error_of("name: a\nknowledge:\n  paths: [nowhere]\n")
              .find("does not exist"),
            std::string::npos);
  EXPECT_NE(error_of("name: a\nmodel: local\n").find("a map"),
            std::string::npos);
  EXPECT_NE(error_of("- a\n- b\n").find("a map"), std::string::npos);
}

TEST_F(AgentDefinition, UnknownKeysAreErrorsThatListTheKnownOnes) {
  auto err = error_of("name: a\nlimits:\n  max_step: 3\n");
  EXPECT_NE(err.find("unknown key 'limits.max_step'"), std::string::npos)
    << err;
  EXPECT_NE(err.find("max_steps"), std::string::npos) << err;
  EXPECT_NE(err.find("agent.yaml:3"), std::string::npos) << err;
}

TEST_F(AgentDefinition, YamlSyntaxErrorsGiveTheLine) {
  auto err = error_of("name: a\ntools: [a, b\n");
  EXPECT_NE(err.find("YAML syntax error at line"), std::string::npos) << err;
}

TEST_F(AgentDefinition, FoldersAreReadSortedAndNamesMustBeUnique) {
  write("agents/b.yaml", "name: b\n");
  write("agents/a.yml", "name: a\n");
  write("agents/notes.txt", "not a definition");
  auto defs = load_definitions({dir.path() / "agents"});
  ASSERT_TRUE(defs) << bsm::render(defs.error());
  ASSERT_EQ(defs->size(), 2u);
  EXPECT_EQ((*defs)[0].name(), "a");
  EXPECT_EQ((*defs)[1].name(), "b");
  write("agents/c.yaml", "name: a\n");
  auto dup = load_definitions({dir.path() / "agents"});
  ASSERT_FALSE(dup);
  EXPECT_NE(bsm::render(dup.error()).find("already defined"),
            std::string::npos);
  auto missing = load_definitions({dir.path() / "nope"});
  ASSERT_FALSE(missing);
  EXPECT_NE(bsm::render(missing.error()).find("does not exist"),
            std::string::npos);
}

TEST_F(AgentDefinition, TheSeedAgentsLoad) {
  auto defs = load_definitions({fs::path{BSM_SOURCE_DIR} / "agents" / "seed"});
  ASSERT_TRUE(defs) << bsm::render(defs.error());
  EXPECT_EQ(defs->size(), 6u);
}

TEST_F(AgentDefinition, ReadsPlacement) {
  auto def = load_definition(write("a.yaml", "name: a\n"
                                             "placement:\n"
                                             "  node: node-c\n"
                                             "  stateless: true\n"));
  ASSERT_TRUE(def) << bsm::render(def.error());
  EXPECT_EQ(def->placement_node(), "node-c");
  EXPECT_TRUE(def->stateless());
  auto node_only = load_definition(
    write("b.yaml", "name: b\nplacement:\n  node: Node_B.eu-1\n"));
  ASSERT_TRUE(node_only) << bsm::render(node_only.error());
  EXPECT_EQ(node_only->placement_node(), "Node_B.eu-1");
  EXPECT_FALSE(node_only->stateless());
  auto stateless_only = load_definition(
    write("c.yaml", "name: c\nplacement:\n  stateless: true\n"));
  ASSERT_TRUE(stateless_only) << bsm::render(stateless_only.error());
  EXPECT_EQ(stateless_only->placement_node(), "");
  EXPECT_TRUE(stateless_only->stateless());
}

TEST_F(AgentDefinition, PlacementDefaultsToAnyNodeAndStateful) {
  for (const auto* text :
       {"name: a\n", "name: a\nplacement:\n", "name: a\nplacement: {}\n"}) {
    auto def = load_definition(write("a.yaml", text));
    ASSERT_TRUE(def) << bsm::render(def.error());
    EXPECT_EQ(def->placement_node(), "") << text;
    EXPECT_FALSE(def->stateless()) << text;
  }
}

TEST_F(AgentDefinition, RefusesUnknownPlacementKeys) {
  auto err = error_of("name: a\nplacement:\n  node: node-a\n  nodes: x\n");
  EXPECT_NE(err.find("agent.yaml:4: unknown key 'placement.nodes' (known: "
                     "node, stateless)"),
            std::string::npos)
    << err;
}

TEST_F(AgentDefinition, RefusesBadPlacementValues) {
  auto bad_name = error_of("name: a\nplacement:\n  node: node c\n");
  EXPECT_NE(bad_name.find("agent.yaml:3: key 'placement.node': 'node c' may "
                          "only contain A-Z, a-z, 0-9, '.', '_' and '-'"),
            std::string::npos)
    << bad_name;
  auto empty = error_of("name: a\nplacement:\n  node: \"\"\n");
  EXPECT_NE(empty.find("agent.yaml:3: key 'placement.node': must not be empty"),
            std::string::npos)
    << empty;
  auto too_long
    = error_of("name: a\nplacement:\n  node: " + std::string(65, 'n') + "\n");
  EXPECT_NE(too_long.find("is longer than 64 characters"), std::string::npos)
    << too_long;
  auto list = error_of("name: a\nplacement:\n  node: [a, b]\n");
  EXPECT_NE(list.find("agent.yaml:3: key 'placement.node'"), std::string::npos)
    << list;
  auto not_bool = error_of("name: a\nplacement:\n  stateless: yes\n");
  EXPECT_NE(not_bool.find("agent.yaml:3: key 'placement.stateless': expected"),
            std::string::npos)
    << not_bool;
  auto not_map = error_of("name: a\nplacement: node-c\n");
  EXPECT_NE(not_map.find("agent.yaml:2: key 'placement': expected a map"),
            std::string::npos)
    << not_map;
}

TEST_F(AgentDefinition, DelegatesListsTheAgentsItMayAsk) {
  auto def = load_definition(
    write("a.yaml", "name: a\ntools: [ask_agent]\ndelegates: [legal, "
                    "security]\n"));
  ASSERT_TRUE(def) << bsm::render(def.error());
  EXPECT_TRUE(bsm::agents::allows_delegation(*def, "legal"));
  EXPECT_TRUE(bsm::agents::allows_delegation(*def, "security"));
  EXPECT_FALSE(bsm::agents::allows_delegation(*def, "legal2"));
  EXPECT_FALSE(bsm::agents::allows_delegation(*def, "ml"));
  auto any = load_definition(write("b.yaml", "name: b\ndelegates: ['*']\n"));
  ASSERT_TRUE(any) << bsm::render(any.error());
  EXPECT_TRUE(bsm::agents::allows_delegation(*any, "ml"));
}

TEST_F(AgentDefinition, WithoutDelegatesAnAgentMayAskNobody) {
  auto def = load_definition(write("a.yaml", "name: a\ntools: [ask_agent]\n"));
  ASSERT_TRUE(def) << bsm::render(def.error());
  EXPECT_EQ(def->delegates_size(), 0);
  EXPECT_FALSE(bsm::agents::allows_delegation(*def, "legal"));
  EXPECT_FALSE(bsm::agents::allows_delegation(*def, "*"));
}

TEST_F(AgentDefinition, RefusesBadDelegates) {
  auto pattern = error_of("name: a\ndelegates: [\"legal*\"]\n");
  EXPECT_NE(pattern.find("agent.yaml:2: key 'delegates'"), std::string::npos)
    << pattern;
  EXPECT_NE(pattern.find("'legal*'"), std::string::npos) << pattern;
  auto upper = error_of("name: a\ndelegates: [Legal]\n");
  EXPECT_NE(upper.find("agent name"), std::string::npos) << upper;
  auto scalar = error_of("name: a\ndelegates: legal\n");
  EXPECT_NE(scalar.find("a sequence"), std::string::npos) << scalar;
}

TEST_F(AgentDefinition, SeedAgentsDelegateToTheAgentsTheirPromptsName) {
  auto defs = load_definitions({fs::path{BSM_SOURCE_DIR} / "agents" / "seed"});
  ASSERT_TRUE(defs) << bsm::render(defs.error());
  std::map<std::string, std::vector<std::string>> delegates;
  for (const auto& def : *defs)
    delegates[def.name()] = {def.delegates().begin(), def.delegates().end()};
  using names = std::vector<std::string>;
  EXPECT_EQ(delegates["architect"], (names{"runner", "security"}));
  EXPECT_EQ(delegates["governance"], (names{"legal", "security"}));
  EXPECT_EQ(delegates["runner"], (names{"architect"}));
  EXPECT_EQ(delegates["legal"], names{});
  EXPECT_EQ(delegates["ml"], names{});
  EXPECT_EQ(delegates["security"], names{});
}

} // namespace
