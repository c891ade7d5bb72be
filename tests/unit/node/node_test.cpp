#include "node/node.hpp"

#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "tests/common/temp_dir.hpp"

namespace {

TEST(Node, ExportsDroppedLogRecords) {
  bsm::test::temp_dir dir;
  bsm::node_config cfg;
  cfg.node.data_dir = dir.path() / "data";
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
  bsm::node_config cfg;
  cfg.node.data_dir = "/proc/bsm-no-such-place/data";
  auto n = bsm::node::make(cfg);
  ASSERT_FALSE(n);
  EXPECT_TRUE(bsm::is(n.error(), bsm::errc::unavailable));
  EXPECT_NE(bsm::render(n.error()).find("cannot create data dir"),
            std::string::npos);
}

} // namespace
