#include "node/bsmctl/message.hpp"

#include <gtest/gtest.h>

#include "node/bsmctl/exit_code.hpp"

namespace {

using bsm::ctl::batch_defaults;
using bsm::ctl::parse_batch_line;
using json = nlohmann::json;

TEST(BsmctlMessage, QualifiesTypesWithoutADot) {
  EXPECT_EQ(bsm::ctl::qualified_type("PingRequest"), "bsm.v1.PingRequest");
  EXPECT_EQ(bsm::ctl::qualified_type("bsm.v1.PingRequest"),
            "bsm.v1.PingRequest");
  EXPECT_EQ(bsm::ctl::qualified_type("other.v2.X"), "other.v2.X");
}

TEST(BsmctlMessage, KeepsAnActorPathInOneSegment) {
  EXPECT_EQ(bsm::ctl::messages_path("memory"), "/v1/actors/memory/messages");
  EXPECT_EQ(bsm::ctl::messages_path("hub/task_queue"),
            "/v1/actors/hub%2Ftask_queue/messages");
  EXPECT_EQ(bsm::ctl::percent_encode("a.b_c-d~#* "), "a.b_c-d~%23%2A%20");
}

TEST(BsmctlMessage, BodyCarriesTypePayloadModeAndTimeout) {
  bsm::ctl::outgoing_message msg;
  msg.type = "bsm.v1.PingRequest";
  msg.payload = json{{"sequence", "7"}};
  auto tell = json::parse(bsm::ctl::request_body(msg));
  EXPECT_EQ(tell, (json{{"type", "bsm.v1.PingRequest"},
                        {"payload", {{"sequence", "7"}}},
                        {"mode", "tell"}}));
  msg.ask = true;
  msg.timeout_ms = 1500;
  auto ask = json::parse(bsm::ctl::request_body(msg));
  EXPECT_EQ(ask["mode"], "ask");
  EXPECT_EQ(ask["timeout_ms"], 1500);
}

TEST(BsmctlMessage, ParsesABatchLineWithDefaults) {
  auto msg = parse_batch_line(
    R"({"actor":"memory","type":"MemoryGetRequest","payload":{"agent":"a"}})",
    batch_defaults{true, 900});
  ASSERT_TRUE(msg) << bsm::ctl::describe(msg.error());
  EXPECT_EQ(msg->actor, "memory");
  EXPECT_EQ(msg->type, "bsm.v1.MemoryGetRequest");
  EXPECT_EQ(msg->payload, (json{{"agent", "a"}}));
  EXPECT_TRUE(msg->ask);
  EXPECT_EQ(msg->timeout_ms, 900u);
  auto own = parse_batch_line(
    R"({"actor":"m","type":"T","mode":"tell","idempotency_key":"k","timeout_ms":5})",
    batch_defaults{true, 900});
  ASSERT_TRUE(own);
  EXPECT_FALSE(own->ask);
  EXPECT_EQ(own->idempotency_key, "k");
  EXPECT_EQ(own->timeout_ms, 5u);
  EXPECT_EQ(own->payload, json::object());
}

TEST(BsmctlMessage, NamesWhatIsWrongWithABatchLine) {
  auto error_of = [](const std::string& line) {
    auto res = parse_batch_line(line, {});
    if (res)
      return std::string{"(parsed)"};
    EXPECT_EQ(bsm::ctl::exit_code_for(res.error()), bsm::ctl::exit_usage);
    return bsm::ctl::describe(res.error());
  };
  EXPECT_EQ(error_of("{nope"), "not valid JSON");
  EXPECT_EQ(error_of("[1]"), "a line must be a JSON object");
  EXPECT_NE(error_of(R"({"type":"T"})").find("\"actor\""), std::string::npos);
  EXPECT_NE(error_of(R"({"actor":"a","type":3})").find("\"type\""),
            std::string::npos);
  EXPECT_NE(
    error_of(R"({"actor":"a","type":"T","payload":[]})").find("\"payload\""),
    std::string::npos);
  EXPECT_NE(
    error_of(R"({"actor":"a","type":"T","mode":"shout"})").find("\"mode\""),
    std::string::npos);
  EXPECT_NE(error_of(R"({"actor":"a","type":"T","timeout_ms":-1})")
              .find("\"timeout_ms\""),
            std::string::npos);
  EXPECT_NE(error_of(R"({"actor":"a","type":"T","paylaod":{}})")
              .find("unknown field \"paylaod\""),
            std::string::npos);
}

} // namespace
