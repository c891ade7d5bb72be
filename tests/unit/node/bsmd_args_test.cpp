#include "node/bsmd_args.hpp"

#include <gtest/gtest.h>

#include "runtime/error.hpp"

namespace {

TEST(BsmdArgs, DefaultsToTheEmbeddedConfig) {
  auto args = bsm::parse_bsmd_args({});
  ASSERT_TRUE(args);
  EXPECT_EQ(args->config, "config/node.yaml");
  EXPECT_TRUE(args->overrides.empty());
  EXPECT_FALSE(args->check_config || args->help || args->version);
}

TEST(BsmdArgs, ReadsEveryOptionInBothSpellings) {
  auto args = bsm::parse_bsmd_args(
    {"--config", "a.yaml", "--set", "node.name=x",
     "--set=http.listen=1.2.3.4:5", "--check-config", "--version", "--help"});
  ASSERT_TRUE(args) << bsm::render(args.error());
  EXPECT_EQ(args->config, "a.yaml");
  ASSERT_EQ(args->overrides.size(), 2u);
  EXPECT_EQ(args->overrides[0].key, "node.name");
  EXPECT_EQ(args->overrides[1].value, "1.2.3.4:5");
  EXPECT_TRUE(args->check_config && args->version && args->help);
  auto eq = bsm::parse_bsmd_args({"--config=b.yaml"});
  ASSERT_TRUE(eq);
  EXPECT_EQ(eq->config, "b.yaml");
}

TEST(BsmdArgs, RejectsUnknownArgumentsAndMissingValues) {
  auto unknown = bsm::parse_bsmd_args({"--frobnicate"});
  ASSERT_FALSE(unknown);
  EXPECT_NE(bsm::render(unknown.error()).find("--frobnicate"),
            std::string::npos);
  EXPECT_FALSE(bsm::parse_bsmd_args({"--config"}));
  EXPECT_FALSE(bsm::parse_bsmd_args({"--set"}));
  EXPECT_FALSE(bsm::parse_bsmd_args({"--set", "no-equals-sign"}));
}

} // namespace
