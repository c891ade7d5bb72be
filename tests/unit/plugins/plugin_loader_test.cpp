// The plugin loader on real libraries built by CMake (test_plugin.cpp and
// the textstats example): each way a library can fail is reported by name
// and reason and leaves nothing loaded; a good one registers its tools and
// kinds.

#include "plugins/plugin_loader.hpp"

#include <fstream>

#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "runtime/messages/type_registry.hpp"
#include "tests/common/temp_dir.hpp"

namespace {

using bsm::plugins::plugin_loader;
namespace fs = std::filesystem;

bsm::plugins::type_check known_types() {
  auto types = std::make_shared<bsm::type_registry>(
    bsm::type_registry::with_bsm_v1_types());
  return [types](const std::string& x) {
    return types->contains(x);
  };
}

plugin_loader make_loader(std::vector<std::string> taken = {}) {
  return plugin_loader{known_types(), std::move(taken)};
}

// The reason a load failed, for the assertions.
std::string reason(const fs::path& file, std::vector<std::string> taken = {}) {
  auto loader = make_loader(std::move(taken));
  auto result = loader.load(file);
  if (result)
    return "loaded";
  return bsm::render(result.error());
}

TEST(PluginLoader, LoadsAGoodPluginWithItsToolsAndKinds) {
  auto loader = make_loader();
  auto p = loader.load(TEST_PLUGIN_GOOD);
  ASSERT_TRUE(p) << bsm::render(p.error());
  const auto& c = (*p)->contents();
  EXPECT_EQ(c.name, "testgood");
  EXPECT_EQ(c.version, "0.1");
  ASSERT_EQ(c.tools.size(), 3u);
  EXPECT_EQ(c.tools[0].name, "echo");
  EXPECT_EQ(c.tools[0].handler("{\"a\":1}").text, "{\"a\":1}");
  ASSERT_EQ(c.actor_kinds.size(), 1u);
  EXPECT_EQ(c.actor_kinds[0].kind, "pinger");
  EXPECT_EQ(c.actor_kinds[0].handles,
            std::vector<std::string>{"bsm.v1.PingRequest"});
  EXPECT_EQ((*p)->path(), fs::path{TEST_PLUGIN_GOOD});
}

TEST(PluginLoader, LoadsTheTextstatsExample) {
  auto loader = make_loader();
  auto p = loader.load(TEXTSTATS_PLUGIN);
  ASSERT_TRUE(p) << bsm::render(p.error());
  const auto& c = (*p)->contents();
  EXPECT_EQ(c.name, "textstats");
  ASSERT_EQ(c.tools.size(), 2u);
  auto counted = c.tools[0].handler(R"({"text":"two words\n"})");
  EXPECT_FALSE(counted.is_error);
  EXPECT_EQ(counted.text,
            R"({"bytes":10,"characters":10,"lines":1,"words":2})");
}

TEST(PluginLoader, ReportsAMissingFile) {
  EXPECT_EQ(reason("/nonexistent/libnothing.so"), "not_found: not found");
}

TEST(PluginLoader, ReportsAFileThatIsNoSharedLibrary) {
  bsm::test::temp_dir dir;
  auto file = dir.path() / "libtext.so";
  std::ofstream{file} << "just text, no ELF\n";
  auto text = reason(file);
  EXPECT_NE(text.find("invalid_argument: cannot be loaded as a shared "
                      "library: "),
            std::string::npos)
    << text;
}

TEST(PluginLoader, ReportsADirectory) {
  bsm::test::temp_dir dir;
  EXPECT_EQ(reason(dir.path()), "invalid_argument: is a directory");
}

TEST(PluginLoader, ReportsALibraryWithoutEntryPoints) {
  auto text = reason(TEST_PLUGIN_NO_ENTRY);
  EXPECT_NE(text.find("no BSM plugin: it does not export "
                      "bsm_plugin_abi_version"),
            std::string::npos)
    << text;
}

TEST(PluginLoader, ReportsAnotherAbiVersion) {
  EXPECT_EQ(reason(TEST_PLUGIN_BAD_ABI),
            "invalid_argument: built for plugin ABI 999, this node has ABI "
              + std::to_string(bsm::plugin::abi_version)
              + " (rebuild it against this plugin_api.hpp)");
}

TEST(PluginLoader, ReportsARegistrationThatThrows) {
  EXPECT_EQ(reason(TEST_PLUGIN_THROWS),
            "internal: registration threw: registration exploded");
}

TEST(PluginLoader, ReportsARegistrationThatReturnsAnError) {
  EXPECT_EQ(reason(TEST_PLUGIN_RETURNS), "internal: registration returned 3");
}

TEST(PluginLoader, ReportsABrokenRegistration) {
  auto bad_tool = reason(TEST_PLUGIN_BAD_TOOL);
  EXPECT_NE(bad_tool.find("tool name 'bad name' must be"), std::string::npos)
    << bad_tool;
  auto no_name = reason(TEST_PLUGIN_NO_NAME);
  EXPECT_NE(no_name.find("did not call describe()"), std::string::npos)
    << no_name;
  auto bad_type = reason(TEST_PLUGIN_BAD_TYPE);
  EXPECT_NE(bad_type.find("'bsm.v1.NoSuchMessage' is no bsm.v1 message type"),
            std::string::npos)
    << bad_type;
}

TEST(PluginLoader, RefusesANameTakenByAToolServerOrAnEarlierPlugin) {
  auto taken = reason(TEST_PLUGIN_CLASH, {"clash"});
  EXPECT_NE(taken.find("already_exists: its name 'clash' is also an MCP "
                       "server's"),
            std::string::npos)
    << taken;
  auto loader = make_loader();
  auto first = loader.load(TEST_PLUGIN_GOOD);
  ASSERT_TRUE(first);
  auto second = loader.load(TEST_PLUGIN_GOOD);
  ASSERT_FALSE(second);
  EXPECT_EQ(bsm::render(second.error()),
            "already_exists: a plugin named 'testgood' is loaded already");
  EXPECT_EQ(loader.last_name(), "testgood");
}

TEST(PluginLoader, LoadAllSkipsFailuresByNameAndReason) {
  bsm::test::temp_dir dir;
  auto loader = make_loader();
  auto set = loader.load_all({TEST_PLUGIN_THROWS, dir.path() / "missing.so",
                              TEST_PLUGIN_GOOD, TEST_PLUGIN_BAD_ABI});
  ASSERT_EQ(set.loaded.size(), 1u);
  EXPECT_EQ(set.loaded[0]->name(), "testgood");
  ASSERT_EQ(set.failed.size(), 3u);
  EXPECT_EQ(set.failed[0].path, fs::path{TEST_PLUGIN_THROWS});
  EXPECT_EQ(set.failed[0].reason, "registration threw: registration exploded");
  EXPECT_EQ(set.failed[1].reason, "not found");
  EXPECT_EQ(bsm::plugins::describe(set.failed[1]),
            "plugin '" + (dir.path() / "missing.so").string() + "': not found");
  EXPECT_NE(set.failed[2].reason.find("ABI 999"), std::string::npos);
}

TEST(PluginLoader, LoadsTheSharedLibrariesOfAFolderInNameOrder) {
  bsm::test::temp_dir dir;
  fs::copy_file(TEST_PLUGIN_GOOD, dir.path() / "b_good.so");
  fs::copy_file(TEST_PLUGIN_BAD_ABI, dir.path() / "a_bad.so");
  std::ofstream{dir.path() / "readme.txt"} << "not loaded\n";
  auto files = bsm::plugins::plugin_files({dir.path()});
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].filename(), "a_bad.so");
  EXPECT_EQ(files[1].filename(), "b_good.so");
  auto loader = make_loader();
  auto set = loader.load_all({dir.path()});
  EXPECT_EQ(set.loaded.size(), 1u);
  EXPECT_EQ(set.failed.size(), 1u);
}

TEST(PluginLoader, RequiredMakesTheFirstFailureAnError) {
  bsm::plugins_options opts;
  opts.paths = {TEST_PLUGIN_GOOD, TEST_PLUGIN_THROWS};
  auto lenient = bsm::plugins::load_plugins(opts, known_types(), {});
  ASSERT_TRUE(lenient);
  EXPECT_EQ(lenient->loaded.size(), 1u);
  EXPECT_EQ(lenient->failed.size(), 1u);
  opts.required = true;
  auto strict = bsm::plugins::load_plugins(opts, known_types(), {});
  ASSERT_FALSE(strict);
  EXPECT_EQ(bsm::render(strict.error()),
            "failed_precondition: plugin '" + std::string{TEST_PLUGIN_THROWS}
              + "' (testthrows): registration threw: registration exploded "
                "(plugins.required is true)");
}

} // namespace
