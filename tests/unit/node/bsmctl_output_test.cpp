#include "node/bsmctl/output.hpp"

#include <gtest/gtest.h>

namespace {

using bsm::ctl::ordered_json;

ordered_json parse(const char* text) {
  return ordered_json::parse(text);
}

TEST(BsmctlOutput, AlignsColumnsAndLeavesTheLastUnpadded) {
  auto text = bsm::ctl::format_table(
    {{"NAME", "MAILBOX_DEPTH"}, {"node_info", "0"}, {"memory", "12"}});
  EXPECT_EQ(text, "NAME       MAILBOX_DEPTH\n"
                  "node_info  0\n"
                  "memory     12\n");
}

TEST(BsmctlOutput, ListsActorsWithTheirMailboxDepth) {
  auto doc = parse(R"({"actors":[{"name":"memory","mailbox_depth":3},
                                  {"name":"node_info"}]})");
  EXPECT_EQ(bsm::ctl::actors_table(doc), "NAME       MAILBOX_DEPTH\n"
                                         "memory     3\n"
                                         "node_info  -\n");
  auto bare = parse(R"([{"name":"x","mailbox_depth":0}])");
  EXPECT_EQ(bsm::ctl::actors_table(bare), "NAME  MAILBOX_DEPTH\n"
                                          "x     0\n");
}

TEST(BsmctlOutput, PrintsAnEventAsTimeTopicSourceData) {
  auto event = parse(R"({"topic":"supervision.child_restarted",
    "time":"2024-05-01T10:00:00Z","source":"node-a/root",
    "data":{"child":"memory","restarts":1}})");
  EXPECT_EQ(bsm::ctl::event_line(event),
            "2024-05-01T10:00:00Z supervision.child_restarted node-a/root "
            R"({"child":"memory","restarts":1})");
  EXPECT_EQ(bsm::ctl::event_line(parse(R"({"topic":"t"})")), "- t - -");
}

TEST(BsmctlOutput, KeepsTheServersKeyOrderInCompactJson) {
  auto body = "{\n  \"z\": 1,\n  \"a\": [true, null]\n}\n";
  EXPECT_EQ(bsm::ctl::one_line(body), R"({"z":1,"a":[true,null]})");
  EXPECT_EQ(bsm::ctl::one_line("not json\nat all\n"), "not json at all");
}

TEST(BsmctlOutput, SummarizesErrorBodies) {
  EXPECT_EQ(bsm::ctl::error_summary(
              R"({"error":{"code":"not_found","message":"no actor 'x'",
                           "request_id":"r1"}})"),
            "not_found: no actor 'x'");
  EXPECT_EQ(bsm::ctl::error_summary("Bad Gateway"), "Bad Gateway");
}

TEST(BsmctlOutput, ShowsObjectsAsKeyValueRows) {
  auto doc = parse(R"({"message_id":"m-1","durable":true,"n":{"a":1}})");
  EXPECT_EQ(bsm::ctl::fields_table(doc), "KEY         VALUE\n"
                                         "message_id  m-1\n"
                                         "durable     true\n"
                                         "n           {\"a\":1}\n");
}

} // namespace
