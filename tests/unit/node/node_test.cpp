#include "node/node.hpp"

#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "tests/common/temp_dir.hpp"

namespace {

// A node on `data_dir` without agents: the default agents.paths is
// relative to the working directory, which a test does not choose.
bsm::node_config config_on(const std::filesystem::path& data_dir) {
  bsm::node_config cfg;
  cfg.node.data_dir = data_dir;
  cfg.agents.paths.clear();
  return cfg;
}

TEST(Node, ExportsDroppedLogRecords) {
  bsm::test::temp_dir dir;
  auto cfg = config_on(dir.path() / "data");
  cfg.logging.file = dir.path() / "node.log";
  auto n = bsm::node::make(cfg);
  ASSERT_TRUE(n) << bsm::render(n.error());
  auto text = (*n)->metrics().to_text();
  EXPECT_NE(text.find("# TYPE bsm_log_records_dropped_total counter"),
            std::string::npos)
    << text;
  EXPECT_NE(text.find("\nbsm_log_records_dropped_total 0\n"), std::string::npos)
    << text;
}

TEST(Node, RefusesADataDirThatCannotBeCreated) {
  auto n = bsm::node::make(config_on("/proc/bsm-no-such-place/data"));
  ASSERT_FALSE(n);
  EXPECT_TRUE(bsm::is(n.error(), bsm::errc::unavailable));
  EXPECT_NE(bsm::render(n.error()).find("cannot create data dir"),
            std::string::npos);
}

TEST(Node, RefusesAnAgentsPathThatDoesNotExist) {
  bsm::test::temp_dir dir;
  auto cfg = config_on(dir.path() / "data");
  cfg.agents.paths = {dir.path() / "no-agents"};
  auto n = bsm::node::make(cfg);
  ASSERT_FALSE(n);
  EXPECT_TRUE(bsm::is(n.error(), bsm::errc::invalid_argument));
  EXPECT_NE(bsm::render(n.error()).find("no-agents"), std::string::npos);
}

} // namespace
