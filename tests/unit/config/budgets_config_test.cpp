// The `budgets:` section of the node config: budgets (a sequence of maps),
// prices, decimals, and errors that name the key.

#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "node/node_config.hpp"
#include "runtime/error.hpp"
#include "tests/common/temp_dir.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::budgets::budget_scope;

class BudgetsConfig : public ::testing::Test {
protected:
  bsm::test::temp_dir dir;

  caf::expected<bsm::node_config> load(const std::string& text) {
    auto file = dir.path() / "node.yaml";
    std::ofstream{file} << text;
    return bsm::load_node_config(file, {});
  }

  std::string error_for(const std::string& text) {
    auto cfg = load(text);
    if (cfg) {
      ADD_FAILURE() << "loading succeeded:\n" << text;
      return {};
    }
    EXPECT_TRUE(bsm::is(cfg.error(), bsm::errc::invalid_argument));
    return bsm::render(cfg.error());
  }
};

TEST_F(BudgetsConfig, HasDocumentedDefaults) {
  bsm::node_config cfg;
  EXPECT_TRUE(cfg.budgets.limits.empty());
  EXPECT_TRUE(cfg.budgets.prices.empty());
  EXPECT_EQ(cfg.budgets.reservation_timeout, 10min);
  EXPECT_EQ(cfg.budgets.owner_timeout, 2s);
  EXPECT_EQ(cfg.budgets.max_keys, 100'000u);
  EXPECT_EQ(cfg.budgets.max_reservations, 10'000u);
  EXPECT_EQ(cfg.budgets.estimate_output_tokens, 1'024u);
}

TEST_F(BudgetsConfig, ReadsBudgetsAndPrices) {
  auto cfg = load("budgets:\n"
                  "  limits:\n"
                  "    - name: legal-rpm\n"
                  "      scope: agent\n"
                  "      match: legal\n"
                  "      requests_per_minute: 60\n"
                  "      requests_per_day: 1000\n"
                  "    - name: per-key\n"
                  "      scope: principal\n"
                  "      tokens_per_minute: 10000\n"
                  "      tokens_per_day: 2000000\n"
                  "      cost_per_day: 2.5\n"
                  "  prices:\n"
                  "    gpt-4o-mini: {input: 0.15, output: 0.60}\n"
                  "    '*': {input: 3}\n"
                  "  owner_timeout: 500ms\n");
  ASSERT_TRUE(cfg) << bsm::render(cfg.error());
  const auto& b = cfg->budgets;
  ASSERT_EQ(b.limits.size(), 2u);
  EXPECT_EQ(b.limits[0].name, "legal-rpm");
  EXPECT_EQ(b.limits[0].scope, budget_scope::agent);
  EXPECT_EQ(b.limits[0].match, "legal");
  EXPECT_EQ(b.limits[0].limits.requests_per_minute, 60u);
  EXPECT_EQ(b.limits[0].limits.requests_per_day, 1'000u);
  EXPECT_EQ(b.limits[1].scope, budget_scope::principal);
  EXPECT_EQ(b.limits[1].match, "*");
  EXPECT_EQ(b.limits[1].limits.tokens_per_minute, 10'000u);
  EXPECT_EQ(b.limits[1].limits.tokens_per_day, 2'000'000u);
  EXPECT_EQ(b.limits[1].limits.cost_per_day_micros, 2'500'000u);
  EXPECT_EQ(b.prices.at("gpt-4o-mini").input_micros, 150'000u);
  EXPECT_EQ(b.prices.at("gpt-4o-mini").output_micros, 600'000u);
  EXPECT_EQ(b.prices.at("*").input_micros, 3'000'000u);
  EXPECT_EQ(b.prices.at("*").output_micros, 0u);
  EXPECT_EQ(b.owner_timeout, 500ms);
}

TEST_F(BudgetsConfig, RefusesBadBudgets) {
  auto head = std::string{"budgets:\n  limits:\n"};
  EXPECT_NE(error_for(head + "    - name: x\n      scope: agent\n")
              .find("sets no limit"),
            std::string::npos);
  EXPECT_NE(error_for(head
                      + "    - name: x\n      scope: team\n"
                        "      requests_per_minute: 1\n")
              .find("budgets.limits[0].scope"),
            std::string::npos);
  EXPECT_NE(error_for(head + "    - name: Bad Name\n      scope: agent\n")
              .find("budgets.limits[0].name"),
            std::string::npos);
  EXPECT_NE(error_for(head + "    - scope: agent\n      requests_per_day: 1\n")
              .find("missing key 'name'"),
            std::string::npos);
  EXPECT_NE(error_for(head
                      + "    - name: x\n      scope: agent\n"
                        "      requests_per_hour: 1\n")
              .find("unknown key"),
            std::string::npos);
  EXPECT_NE(error_for(head
                      + "    - {name: x, scope: agent, requests_per_day: 1}\n"
                        "    - {name: x, scope: model, requests_per_day: 1}\n")
              .find("duplicate budget name"),
            std::string::npos);
  EXPECT_NE(error_for(head
                      + "    - name: x\n      scope: agent\n"
                        "      requests_per_minute: -1\n")
              .find("requests_per_minute"),
            std::string::npos);
}

TEST_F(BudgetsConfig, RefusesBadAmounts) {
  for (auto bad : {"abc", "1.", ".5", "1.2345678", "1e3", "-2"})
    EXPECT_NE(error_for(std::string{"budgets:\n  prices:\n    m: {input: "}
                        + bad + "}\n")
                .find("budgets.prices.m.input"),
              std::string::npos)
      << bad;
  EXPECT_NE(
    error_for("budgets:\n  prices:\n    m: {in: 1}\n").find("unknown key"),
    std::string::npos);
}

TEST(BudgetAmounts, ParseAndRenderDecimals) {
  uint64_t x = 0;
  EXPECT_EQ(bsm::budgets::parse_micros("0.000001", x), "");
  EXPECT_EQ(x, 1u);
  EXPECT_EQ(bsm::budgets::parse_micros("12", x), "");
  EXPECT_EQ(x, 12'000'000u);
  EXPECT_EQ(bsm::budgets::render_micros(2'500'000), "2.5");
  EXPECT_EQ(bsm::budgets::render_micros(3), "0.000003");
  EXPECT_EQ(bsm::budgets::render_micros(7'000'000), "7");
}

} // namespace
