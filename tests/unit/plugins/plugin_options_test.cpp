// The `plugins:` section through the one config reader.

#include <fstream>

#include <gtest/gtest.h>

#include "node/node_config.hpp"
#include "runtime/error.hpp"
#include "tests/common/temp_dir.hpp"

namespace {

using bsm::load_node_config;

std::filesystem::path write(const bsm::test::temp_dir& dir,
                            const std::string& text) {
  auto file = dir.path() / "node.yaml";
  std::ofstream{file} << text;
  return file;
}

TEST(PluginOptions, DefaultsToNoPluginsAndNotRequired) {
  bsm::plugins_options defaults;
  EXPECT_TRUE(defaults.paths.empty());
  EXPECT_FALSE(defaults.required);
}

TEST(PluginOptions, ReadsPathsAndRequiredFromTheFileAndOverrides) {
  bsm::test::temp_dir dir;
  auto file = write(dir, "plugins:\n  paths: [/opt/a.so, plugins/]\n"
                         "  required: true\n");
  auto cfg = load_node_config(file, {});
  ASSERT_TRUE(cfg) << bsm::render(cfg.error());
  EXPECT_EQ(cfg->plugins.paths,
            (std::vector<std::filesystem::path>{"/opt/a.so", "plugins/"}));
  EXPECT_TRUE(cfg->plugins.required);
  auto set = load_node_config(
    file, {{"plugins.required", "false"}, {"plugins.paths", "[/b.so]"}});
  ASSERT_TRUE(set) << bsm::render(set.error());
  EXPECT_FALSE(set->plugins.required);
  EXPECT_EQ(set->plugins.paths, std::vector<std::filesystem::path>{"/b.so"});
}

TEST(PluginOptions, RefusesBadValuesWithTheirLine) {
  bsm::test::temp_dir dir;
  auto file = write(dir, "plugins:\n  required: sometimes\n");
  auto cfg = load_node_config(file, {});
  ASSERT_FALSE(cfg);
  auto text = bsm::render(cfg.error());
  EXPECT_NE(text.find(":2"), std::string::npos) << text;
  EXPECT_NE(text.find("plugins.required"), std::string::npos) << text;
  auto unknown = load_node_config(write(dir, "plugins:\n  path: []\n"), {});
  ASSERT_FALSE(unknown);
  EXPECT_NE(bsm::render(unknown.error()).find("unknown key 'plugins.path'"),
            std::string::npos)
    << bsm::render(unknown.error());
}

TEST(PluginOptions, ToolServerNamesAreThoseOfMcpServersAndA2aAgents) {
  bsm::node_config cfg;
  cfg.tools.mcp_servers.emplace_back();
  cfg.tools.mcp_servers.back().name = "files";
  cfg.a2a.agents.emplace_back();
  cfg.a2a.agents.back().name = "travel";
  EXPECT_EQ(bsm::tool_server_names(cfg),
            (std::vector<std::string>{"files", "travel"}));
}

} // namespace
