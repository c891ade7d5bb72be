#include "node/bsmctl/args.hpp"
#include "node/bsmctl/workflows_command.hpp"

#include <gtest/gtest.h>

#include "node/bsmctl/exit_code.hpp"

namespace {

using bsm::ctl::command_kind;
using bsm::ctl::parse_bsmctl_args;
using bsm::ctl::runs_action;
using bsm::ctl::workflows_action;

std::string error_of(const std::vector<std::string>& args) {
  auto res = parse_bsmctl_args(args, {});
  if (res)
    return "(parsed)";
  EXPECT_EQ(bsm::ctl::exit_code_for(res.error()), bsm::ctl::exit_usage);
  return bsm::ctl::describe(res.error());
}

TEST(BsmctlWorkflows, ReadsEachCommand) {
  auto put = parse_bsmctl_args({"workflows", "put", "review", "r.yaml"}, {});
  ASSERT_TRUE(put);
  EXPECT_EQ(put->command, command_kind::workflows);
  EXPECT_EQ(put->workflows.action, workflows_action::put);
  EXPECT_EQ(put->workflows.file, "r.yaml");
  auto run = parse_bsmctl_args({"workflows", "run", "review", "--input",
                                R"({"doc":1})", "--run-id", "r-1"},
                               {});
  ASSERT_TRUE(run);
  EXPECT_EQ(run->workflows.input, R"({"doc":1})");
  EXPECT_EQ(run->workflows.run_id, "r-1");
  auto signal = parse_bsmctl_args(
    {"runs", "signal", "r-1", "legal", "approve", "--payload", R"({"by":"x"})"},
    {});
  ASSERT_TRUE(signal);
  EXPECT_EQ(signal->command, command_kind::runs);
  EXPECT_EQ(signal->runs.action, runs_action::signal);
  EXPECT_EQ(signal->runs.step, "legal");
  EXPECT_EQ(signal->runs.decision, "approve");
  auto list = parse_bsmctl_args({"runs", "list", "--workflow", "review",
                                 "--state", "failed", "--limit", "5"},
                                {});
  ASSERT_TRUE(list);
  EXPECT_EQ(list->runs.limit, 5u);
}

TEST(BsmctlWorkflows, RefusesWhatIsMissing) {
  EXPECT_NE(error_of({"workflows"}).find("workflows needs"), std::string::npos);
  EXPECT_NE(error_of({"workflows", "put", "review"}).find("FILE"),
            std::string::npos);
  EXPECT_NE(error_of({"runs", "signal", "r-1", "legal", "maybe"})
              .find("approve or reject"),
            std::string::npos);
  EXPECT_NE(error_of({"runs", "get"}).find("run ID"), std::string::npos);
  EXPECT_NE(error_of({"runs", "list", "--limit", "x"}).find("--limit"),
            std::string::npos);
}

TEST(BsmctlWorkflows, TablesOfARunAndOfRuns) {
  auto run = bsm::ctl::ordered_json::parse(
    R"({"run_id":"r","steps":[{"id":"a","state":"failed","attempts":2,"error":"it broke"}]})");
  auto table = bsm::ctl::runs_table(run);
  EXPECT_NE(table.find("STEP"), std::string::npos);
  EXPECT_NE(table.find("it broke"), std::string::npos);
  auto runs = bsm::ctl::ordered_json::parse(
    R"({"runs":[{"run_id":"r-9","workflow":"w","state":"running"}]})");
  EXPECT_NE(bsm::ctl::runs_table(runs).find("r-9"), std::string::npos);
}

} // namespace
