// The agent manager's decisions without an actor system: what a list shows,
// a reload (one at a time, all or nothing) and the supervision children.

#include "agents/agent_manager.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "agents/agent_listing.hpp"
#include "agents/agent_reload.hpp"
#include "runtime/error.hpp"
#include "tests/common/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using namespace bsm::agents;
using namespace std::chrono_literals;
namespace v1 = bsm::v1;

std::vector<std::string> names_of(const agent_entries& entries) {
  std::vector<std::string> result;
  for (const auto& x : entries)
    result.push_back(x->def.name());
  return result;
}

std::vector<std::string> names_of(const std::vector<bsm::child_spec>& specs) {
  std::vector<std::string> result;
  for (const auto& x : specs)
    result.push_back(x.name);
  return result;
}

template <class Repeated>
std::vector<std::string> strings(const Repeated& xs) {
  return {xs.begin(), xs.end()};
}

class AgentManager : public ::testing::Test {
protected:
  void SetUp() override {
    write("legal", "tools: [knowledge_search, memory_get]\n");
    write("runner", "");
    ASSERT_TRUE(catalog->load());
    env.node_name = "node-a";
    env.catalog = catalog;
  }

  void write(const std::string& name, const std::string& extra) {
    std::ofstream{dir.path() / (name + ".yaml")}
      << "name: " << name << "\ndescription: The " << name << " agent.\n"
      << extra;
  }

  bsm::test::temp_dir dir;
  std::shared_ptr<agent_catalog> catalog
    = std::make_shared<agent_catalog>(std::vector<fs::path>{dir.path()});
  agent_env env;
};

} // namespace

// -- listing ------------------------------------------------------------------

TEST_F(AgentManager, AListShowsEveryAgentOrTheOneNamed) {
  auto all = select_agents(*catalog, "");
  ASSERT_TRUE(all);
  EXPECT_EQ(names_of(*all), (std::vector<std::string>{"legal", "runner"}));
  auto one = select_agents(*catalog, "runner");
  ASSERT_TRUE(one);
  EXPECT_EQ(names_of(*one), (std::vector<std::string>{"runner"}));
  auto none = select_agents(*catalog, "nobody");
  ASSERT_FALSE(none);
  EXPECT_EQ(bsm::render(none.error()), "not_found: no agent 'nobody'");
}

TEST_F(AgentManager, AnAgentShowsItsDefinitionDepthStateAndRestarts) {
  v1::TreeNode tree;
  tree.set_name("agents");
  auto* child = tree.add_children();
  child->set_name("agents/legal");
  child->set_state(v1::CHILD_STATE_RESTARTING);
  child->set_restarts(2);
  running_view now;
  now.depths = {{"agents/legal", 3}, {"agents/runner", 9}};
  now.tree = &tree;
  auto info = describe_agent(*catalog->find("legal"), env.node_name, now);
  EXPECT_EQ(info.name(), "legal");
  EXPECT_EQ(info.description(), "The legal agent.");
  EXPECT_EQ(info.node(), "node-a");
  EXPECT_EQ(info.model(), "local/local");
  EXPECT_EQ(strings(info.tools()),
            (std::vector<std::string>{"knowledge_search", "memory_get"}));
  EXPECT_EQ(info.mailbox_depth(), 3u);
  EXPECT_EQ(info.state(), "restarting");
  EXPECT_EQ(info.restarts(), 2u);
}

TEST_F(AgentManager, AnAgentOutsideTheTreeIsStopped) {
  v1::TreeNode tree;
  running_view now;
  now.tree = &tree;
  auto list = list_agents(*select_agents(*catalog, ""), "node-a", now);
  ASSERT_EQ(list.agents_size(), 2);
  for (const auto& x : list.agents()) {
    EXPECT_EQ(x.state(), "stopped") << x.name();
    EXPECT_EQ(x.mailbox_depth(), 0u) << x.name();
  }
  // Without the supervisor's answer, too.
  EXPECT_EQ(
    list_agents(*select_agents(*catalog, "legal"), "n", {}).agents(0).state(),
    "stopped");
}

TEST_F(AgentManager, EachToolShowsWhereItComesFromNow) {
  std::vector<std::string> hosted{"files__read", "files__write"};
  EXPECT_EQ(tool_source("memory_get", &hosted), "builtin");
  EXPECT_EQ(tool_source("files__read", &hosted), "mcp:files");
  EXPECT_EQ(tool_source("files__*", &hosted), "mcp:files");
  EXPECT_EQ(tool_source("files__delete", &hosted), "unresolved");
  EXPECT_EQ(tool_source("git__*", &hosted), "unresolved");
  EXPECT_EQ(tool_source("files__read", nullptr), "unresolved");
  EXPECT_EQ(tool_source("no_such_tool", &hosted), "unresolved");
  running_view now;
  now.hosted_tools = &hosted;
  auto info = describe_agent(*catalog->find("legal"), "n", now);
  EXPECT_EQ(info.tool_sources().at("knowledge_search"), "builtin");
}

// -- reload -------------------------------------------------------------------

TEST_F(AgentManager, AReloadNamesWhatWasAddedUpdatedAndRemoved) {
  write("legal", "tools: [knowledge_search]\n"); // changed
  write("security", "");                         // new
  fs::remove(dir.path() / "runner.yaml");
  auto resp = reload_response(catalog->load());
  EXPECT_EQ(strings(resp.added()), (std::vector<std::string>{"security"}));
  EXPECT_EQ(strings(resp.updated()), (std::vector<std::string>{"legal"}));
  EXPECT_EQ(strings(resp.removed()), (std::vector<std::string>{"runner"}));
  EXPECT_EQ(resp.errors_size(), 0);
  EXPECT_EQ(reload_summary(resp),
            "agents reloaded: 1 added, 1 updated, 1 removed, 0 errors");
}

TEST_F(AgentManager, AFailedReloadChangesNothing) {
  write("security", "");
  write("broken", "limits: {max_steps: 0}\n");
  auto resp = reload_response(catalog->load());
  ASSERT_EQ(resp.errors_size(), 1);
  EXPECT_NE(resp.errors(0).find("broken.yaml"), std::string::npos)
    << resp.errors(0);
  // No agent to start or stop, and the catalog is the one before.
  EXPECT_EQ(resp.added_size() + resp.updated_size() + resp.removed_size(), 0);
  EXPECT_FALSE(catalog->find("security"));
  EXPECT_EQ(names_of(catalog->all()),
            (std::vector<std::string>{"legal", "runner"}));
  EXPECT_EQ(reload_summary(resp),
            "agents reloaded: 0 added, 0 updated, 0 removed, 1 errors");
}

TEST(AgentReload, OneReloadAtATime) {
  reload_gate gate;
  EXPECT_FALSE(gate.enter());
  EXPECT_TRUE(gate.running());
  auto second = gate.enter();
  EXPECT_TRUE(bsm::is(second, bsm::errc::unavailable));
  EXPECT_EQ(bsm::render(second), "unavailable: a reload is running");
  gate.leave();
  EXPECT_FALSE(gate.running());
  EXPECT_FALSE(gate.enter());
}

// -- the supervision children -------------------------------------------------

TEST_F(AgentManager, TheAgentsSupervisorHasOneChildPerAgent) {
  bsm::supervisor_options opts;
  opts.max_restarts = 7;
  opts.children.push_back(agent_child("stale", env, 1s));
  auto sub = agents_supervisor_options(opts, "agents", env, 3s);
  EXPECT_EQ(sub.path, "agents");
  EXPECT_EQ(sub.max_restarts, 7u);
  EXPECT_EQ(names_of(sub.children),
            (std::vector<std::string>{"legal", "runner"}));
  for (const auto& x : sub.children) {
    EXPECT_EQ(x.shutdown_timeout, 3s) << x.name;
    EXPECT_TRUE(x.start) << x.name;
    EXPECT_FALSE(x.is_supervisor) << x.name;
  }
  EXPECT_FALSE(bsm::validate(sub));
}

TEST_F(AgentManager, TheAgentsSupervisorWaitsForItsAgentsToStop) {
  auto spec = agents_supervisor_child(env, {}, {}, 3s);
  EXPECT_EQ(spec.name, bsm::agents_path);
  EXPECT_TRUE(spec.is_supervisor);
  EXPECT_EQ(spec.shutdown_timeout, 7s);
  auto manager = agent_manager_child(env, nullptr, 3s);
  EXPECT_EQ(manager.name, bsm::agent_manager_path);
  EXPECT_EQ(manager.shutdown_timeout, 3s);
  EXPECT_FALSE(manager.is_supervisor);
}
