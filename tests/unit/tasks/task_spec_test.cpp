#include "tasks/task_spec.hpp"

#include <gtest/gtest.h>

#include "runtime/error.hpp"

namespace {

namespace t = bsm::tasks;
using bsm::v1::TaskSpec;

class TaskSpecCheck : public ::testing::Test {
protected:
  caf::error check(const TaskSpec& spec) {
    return t::check_spec(spec, types_);
  }

  bsm::type_registry types_ = bsm::type_registry::with_bsm_v1_types();
};

TaskSpec chat() {
  TaskSpec spec;
  spec.set_agent("helper");
  spec.set_input("hi");
  return spec;
}

TaskSpec message() {
  TaskSpec spec;
  spec.set_actor("memory");
  spec.set_type_name("bsm.v1.MemoryPutRequest");
  bsm::v1::MemoryPutRequest put;
  put.set_agent("a");
  put.set_key("k");
  spec.set_payload(put.SerializeAsString());
  return spec;
}

TEST_F(TaskSpecCheck, AcceptsAChatAndAMessage) {
  EXPECT_FALSE(check(chat()));
  EXPECT_FALSE(check(message()));
  EXPECT_EQ(t::target_of(chat()), "agents/helper");
  EXPECT_EQ(t::target_of(message()), "memory");
}

TEST_F(TaskSpecCheck, RefusesBadSpecsNamingTheField) {
  auto expect_bad = [&](TaskSpec spec, const std::string& mentions) {
    auto err = check(spec);
    ASSERT_TRUE(err) << mentions;
    EXPECT_TRUE(bsm::is(err, bsm::errc::invalid_argument));
    EXPECT_NE(bsm::render(err).find(mentions), std::string::npos)
      << bsm::render(err);
  };
  expect_bad(TaskSpec{}, "exactly one");
  auto both = chat();
  both.set_actor("memory");
  expect_bad(both, "exactly one");
  auto no_input = chat();
  no_input.clear_input();
  expect_bad(no_input, "input");
  auto bad_name = chat();
  bad_name.set_agent("../x");
  expect_bad(bad_name, "agent");
  auto prio = chat();
  prio.set_priority(10);
  expect_bad(prio, "priority");
  auto unknown = message();
  unknown.set_type_name("bsm.v1.Nope");
  expect_bad(unknown, "unknown message type");
  auto garbage = message();
  garbage.set_payload("\xff\xff\xff");
  expect_bad(garbage, "payload");
  auto deadline = chat();
  deadline.set_not_before_unix_ms(100);
  deadline.set_deadline_unix_ms(50);
  expect_bad(deadline, "deadline");
  auto backoff = chat();
  backoff.set_backoff_initial_ms(100);
  backoff.set_backoff_max_ms(10);
  expect_bad(backoff, "backoff_max_ms");
  auto labels = chat();
  for (int i = 0; i < 40; ++i)
    (*labels.mutable_labels())["k" + std::to_string(i)] = "v";
  expect_bad(labels, "labels");
  auto key = chat();
  key.set_idempotency_key(std::string(300, 'k'));
  expect_bad(key, "idempotency_key");
}

TEST(TaskSpecDefaults, FillsOnlyWhatTheTaskLeftOpen) {
  t::tasks_options opts;
  auto spec = chat();
  spec.set_max_attempts(7);
  auto filled = t::with_defaults(spec, opts);
  EXPECT_EQ(filled.max_attempts(), 7u);
  EXPECT_EQ(filled.backoff_initial_ms(), 1'000u);
  EXPECT_EQ(filled.backoff_max_ms(), 60'000u);
  EXPECT_EQ(filled.timeout_ms(), 120'000u);
  auto defaults = t::with_defaults(chat(), opts);
  EXPECT_EQ(defaults.max_attempts(), 3u);
}

TEST(TaskSpecRetry, OnlyFailuresThatMayPassAreRetried) {
  EXPECT_TRUE(t::retryable(bsm::make_error(bsm::errc::unavailable, "x")));
  EXPECT_TRUE(t::retryable(bsm::make_error(bsm::errc::internal, "x")));
  EXPECT_TRUE(t::retryable(bsm::make_error(bsm::errc::deadline_exceeded, "x")));
  EXPECT_FALSE(t::retryable(bsm::make_error(bsm::errc::invalid_argument, "x")));
  EXPECT_FALSE(
    t::retryable(bsm::make_error(bsm::errc::permission_denied, "x")));
  EXPECT_FALSE(t::retryable(bsm::make_error(bsm::errc::cancelled, "x")));
}

TEST(TasksOptions, AgentLimitsParse) {
  EXPECT_EQ(t::agent_limit_problem("slow=1"), "");
  EXPECT_NE(t::agent_limit_problem("slow"), "");
  EXPECT_NE(t::agent_limit_problem("=1"), "");
  EXPECT_NE(t::agent_limit_problem("slow=0"), "");
  EXPECT_NE(t::agent_limit_problem("slow=x"), "");
  EXPECT_NE(t::agent_limit_problem("a/b=1"), "");
  t::tasks_options opts;
  opts.agent_concurrency = {"slow=1", "fast=8"};
  auto limits = t::target_limits(opts);
  EXPECT_EQ(limits.at("agents/slow"), 1u);
  EXPECT_EQ(limits.at("agents/fast"), 8u);
}

} // namespace
