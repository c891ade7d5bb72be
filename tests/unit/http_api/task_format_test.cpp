#include "http_api/task_format.hpp"

#include <gtest/gtest.h>

#include "runtime/error.hpp"

namespace {

using bsm::http_handlers::task_json;
using bsm::http_handlers::task_spec_from_json;
using nlohmann::json;

class TaskFormat : public ::testing::Test {
protected:
  caf::expected<bsm::v1::TaskSpec> read(const json& body) {
    return task_spec_from_json(body, types_, 1'000);
  }

  bsm::type_registry types_ = bsm::type_registry::with_bsm_v1_types();
};

TEST_F(TaskFormat, ReadsAChatTask) {
  auto spec = read({{"agent", "helper"},
                    {"input", "hi"},
                    {"priority", 7},
                    {"delay_ms", 500},
                    {"deadline_ms", 9'000},
                    {"max_attempts", 2},
                    {"idempotency_key", "k1"},
                    {"labels", {{"team", "x"}}}});
  ASSERT_TRUE(spec) << bsm::render(spec.error());
  EXPECT_EQ(spec->agent(), "helper");
  EXPECT_EQ(spec->priority(), 7u);
  EXPECT_EQ(spec->not_before_unix_ms(), 1'500);
  EXPECT_EQ(spec->deadline_unix_ms(), 10'000);
  EXPECT_EQ(spec->labels().at("team"), "x");
}

TEST_F(TaskFormat, TurnsAnActorPayloadIntoItsBytes) {
  auto spec = read({{"actor", "memory"},
                    {"type", "bsm.v1.MemoryPutRequest"},
                    {"payload", {{"agent", "a"}, {"key", "k"}}},
                    {"not_before", 5'000}});
  ASSERT_TRUE(spec) << bsm::render(spec.error());
  bsm::v1::MemoryPutRequest put;
  ASSERT_TRUE(put.ParseFromString(spec->payload()));
  EXPECT_EQ(put.key(), "k");
  EXPECT_EQ(spec->not_before_unix_ms(), 5'000);
}

TEST_F(TaskFormat, RefusesBadBodiesNamingTheField) {
  auto expect_bad = [&](const json& body, const std::string& mentions) {
    auto spec = read(body);
    ASSERT_FALSE(spec) << body.dump();
    EXPECT_TRUE(bsm::is(spec.error(), bsm::errc::invalid_argument));
    EXPECT_NE(bsm::render(spec.error()).find(mentions), std::string::npos)
      << bsm::render(spec.error());
  };
  expect_bad(json::array(), "object");
  expect_bad({{"agent", 3}}, "'agent'");
  expect_bad({{"priority", 10}}, "'priority'");
  expect_bad({{"priority", -1}}, "'priority'");
  expect_bad({{"priority", "high"}}, "'priority'");
  expect_bad({{"bogus", 1}}, "unknown field 'bogus'");
  expect_bad({{"delay_ms", 1}, {"not_before", 5}}, "not both");
  expect_bad({{"deadline_ms", 1}, {"deadline", 5}}, "not both");
  expect_bad({{"labels", {{"a", 1}}}}, "label 'a'");
  expect_bad({{"actor", "memory"}, {"payload", {{"key", "k"}}}}, "'type'");
  expect_bad({{"actor", "memory"},
              {"type", "bsm.v1.MemoryPutRequest"},
              {"payload", {{"nope", 1}}}},
             "payload");
}

TEST_F(TaskFormat, WritesATask) {
  bsm::v1::TaskRecord rec;
  rec.set_task_id("t-1");
  rec.set_state(bsm::v1::TASK_STATE_SUCCEEDED);
  rec.set_attempts(2);
  rec.set_result("done");
  rec.set_session_id("s-1");
  rec.mutable_spec()->set_agent("helper");
  rec.mutable_spec()->set_input("hi");
  rec.mutable_spec()->set_priority(4);
  (*rec.mutable_spec()->mutable_labels())["team"] = "x";
  auto out = task_json(rec);
  EXPECT_EQ(out["task_id"], "t-1");
  EXPECT_EQ(out["state"], "succeeded");
  EXPECT_EQ(out["attempts"], 2);
  EXPECT_EQ(out["result"], "done");
  EXPECT_EQ(out["session_id"], "s-1");
  EXPECT_EQ(out["labels"]["team"], "x");
  EXPECT_FALSE(out.contains("actor"));
  rec.set_state(bsm::v1::TASK_STATE_FAILED);
  rec.set_error("boom");
  rec.set_next_run_unix_ms(99);
  out = task_json(rec);
  EXPECT_FALSE(out.contains("result"));
  EXPECT_EQ(out["error"], "boom");
  EXPECT_EQ(out["next_run_at"], 99);
}

} // namespace
