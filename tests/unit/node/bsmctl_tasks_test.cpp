#include "node/bsmctl/args.hpp"
#include "node/bsmctl/tasks_command.hpp"

#include <gtest/gtest.h>

#include "node/bsmctl/exit_code.hpp"

namespace {

using bsm::ctl::command_kind;
using bsm::ctl::parse_bsmctl_args;
using bsm::ctl::tasks_action;

std::string error_of(const std::vector<std::string>& args) {
  auto res = parse_bsmctl_args(args, {});
  if (res)
    return "(parsed)";
  EXPECT_EQ(bsm::ctl::exit_code_for(res.error()), bsm::ctl::exit_usage);
  return bsm::ctl::describe(res.error());
}

TEST(BsmctlTasks, ReadsASubmitWithEveryOption) {
  auto args = parse_bsmctl_args({"tasks",
                                 "submit",
                                 "helper",
                                 "do it",
                                 "--priority",
                                 "0",
                                 "--delay-ms",
                                 "500",
                                 "--deadline-ms",
                                 "9000",
                                 "--max-attempts",
                                 "2",
                                 "--timeout-ms",
                                 "100",
                                 "--idempotency-key",
                                 "k",
                                 "--label",
                                 "team=x",
                                 "--label",
                                 "b=y"},
                                {});
  ASSERT_TRUE(args) << bsm::ctl::describe(args.error());
  EXPECT_EQ(args->command, command_kind::tasks);
  const auto& t = args->tasks;
  EXPECT_EQ(t.action, tasks_action::submit);
  auto body = bsm::ctl::task_request(t);
  EXPECT_EQ(body["agent"], "helper");
  EXPECT_EQ(body["input"], "do it");
  EXPECT_EQ(body["priority"], 0);
  EXPECT_EQ(body["delay_ms"], 500);
  EXPECT_EQ(body["deadline_ms"], 9000);
  EXPECT_EQ(body["max_attempts"], 2);
  EXPECT_EQ(body["timeout_ms"], 100);
  EXPECT_EQ(body["idempotency_key"], "k");
  EXPECT_EQ(body["labels"]["team"], "x");
  EXPECT_EQ(body["labels"]["b"], "y");
}

TEST(BsmctlTasks, ReadsAnActorSubmit) {
  auto args = parse_bsmctl_args({"tasks", "submit", "--actor", "memory",
                                 "--type", "MemoryGetRequest", "--payload",
                                 R"({"agent":"a","key":"k"})"},
                                {});
  ASSERT_TRUE(args) << bsm::ctl::describe(args.error());
  auto body = bsm::ctl::task_request(args->tasks);
  EXPECT_EQ(body["actor"], "memory");
  EXPECT_EQ(body["type"], "bsm.v1.MemoryGetRequest");
  EXPECT_EQ(body["payload"]["key"], "k");
  EXPECT_FALSE(body.contains("agent"));
}

TEST(BsmctlTasks, ReadsTheOtherActions) {
  auto list = parse_bsmctl_args(
    {"tasks", "list", "--state", "dead", "--limit", "5", "--after", "t-1"}, {});
  ASSERT_TRUE(list);
  EXPECT_EQ(list->tasks.action, tasks_action::list);
  EXPECT_EQ(list->tasks.limit, 5u);
  for (auto [word, action] : {std::pair{"get", tasks_action::get},
                              std::pair{"cancel", tasks_action::cancel},
                              std::pair{"retry", tasks_action::retry},
                              std::pair{"watch", tasks_action::watch}}) {
    auto args = parse_bsmctl_args({"tasks", word, "t-1"}, {});
    ASSERT_TRUE(args) << word;
    EXPECT_EQ(args->tasks.action, action);
    EXPECT_EQ(args->tasks.id, "t-1");
  }
}

TEST(BsmctlTasks, RefusesBadArgumentsAsUsageErrors) {
  EXPECT_NE(error_of({"tasks"}).find("tasks needs"), std::string::npos);
  EXPECT_NE(error_of({"tasks", "submit"}).find("AGENT"), std::string::npos);
  EXPECT_NE(error_of({"tasks", "submit", "a"}).find("INPUT"),
            std::string::npos);
  EXPECT_NE(error_of({"tasks", "submit", "--actor", "m"}).find("--type"),
            std::string::npos);
  EXPECT_NE(error_of({"tasks", "submit", "a", "x", "--priority", "10"})
              .find("--priority"),
            std::string::npos);
  EXPECT_NE(
    error_of({"tasks", "submit", "a", "x", "--label", "nokey"}).find("--label"),
    std::string::npos);
  EXPECT_NE(error_of({"tasks", "get"}).find("task ID"), std::string::npos);
  EXPECT_NE(error_of({"tasks", "list", "--limit", "0"}).find("--limit"),
            std::string::npos);
}

TEST(BsmctlTasks, ListsTasksAsATable) {
  auto doc = bsm::ctl::ordered_json::parse(
    R"({"tasks":[{"task_id":"t-1","state":"dead","priority":3,"attempts":2,
        "agent":"helper","error":"boom\nagain"},
       {"task_id":"t-2","state":"queued","priority":0,"attempts":0,
        "actor":"memory"}]})");
  auto table = bsm::ctl::tasks_table(doc);
  EXPECT_NE(table.find("agents/helper"), std::string::npos) << table;
  EXPECT_NE(table.find("memory"), std::string::npos) << table;
  EXPECT_EQ(table.find("boom\nagain"), std::string::npos) << table;
}

} // namespace
