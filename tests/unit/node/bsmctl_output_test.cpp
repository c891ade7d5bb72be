#include "node/bsmctl/output.hpp"

#include <gtest/gtest.h>

#include <yaml-cpp/yaml.h>

#include "node/bsmctl/agent_output.hpp"
#include "node/bsmctl/budgets_command.hpp"

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

TEST(BsmctlOutput, RendersPluginsWithWhatTheyOfferOrWhyTheyFailed) {
  auto doc = parse(R"({"plugins":[
    {"name":"textstats","state":"loaded","version":"1.0.0","path":"/p/t.so",
     "tools":["textstats__count"],
     "actor_kinds":[{"kind":"textstats","path":"plugins/textstats"}]},
    {"name":"","state":"failed","path":"/p/x.so","reason":"not found"}]})");
  EXPECT_EQ(bsm::ctl::plugins_table(doc),
            "NAME       STATE   VERSION  OFFERS_OR_REASON                    "
            "PATH\n"
            "textstats  loaded  1.0.0    textstats__count plugins/textstats  "
            "/p/t.so\n"
            "-          failed  -        not found                           "
            "/p/x.so\n");
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

TEST(BsmctlOutput, YamlKeepsKeyOrderAndReadsBackAsTheSameValues) {
  auto doc = parse(R"({"name":"a: b","n":7,"neg":-2,"ok":true,"none":null,)"
                   R"("list":["x","1"],"empty":{},"f":1.5})");
  auto text = bsm::ctl::yaml_document(doc);
  EXPECT_EQ(text.rfind("name: ", 0), 0u) << text;
  EXPECT_LT(text.find("n: 7"), text.find("ok: true")) << text;
  auto back = YAML::Load(text);
  EXPECT_EQ(back["name"].as<std::string>(), "a: b");
  EXPECT_EQ(back["n"].as<int>(), 7);
  EXPECT_EQ(back["neg"].as<int>(), -2);
  EXPECT_TRUE(back["ok"].as<bool>());
  EXPECT_TRUE(back["none"].IsNull());
  // "1" stays a string: quoted, not read back as a number.
  EXPECT_EQ(back["list"][1].Tag(), "!");
  EXPECT_EQ(back["list"][1].as<std::string>(), "1");
  EXPECT_DOUBLE_EQ(back["f"].as<double>(), 1.5);
  EXPECT_EQ(text.back(), '\n');
}

TEST(BsmctlOutput, AgentsSessionsAndClusterTables) {
  auto agents = bsm::ctl::agents_table(
    parse(R"({"agents":[{"name":"assistant","state":"running","node":"a",)"
          R"("model":"local","tools":["clock","calc"],"mailbox_depth":0,)"
          R"("restarts":1}]})"));
  EXPECT_EQ(agents,
            "NAME       STATE    NODE  MODEL  TOOLS       MAILBOX  "
            "RESTARTS\n"
            "assistant  running  a     local  clock,calc  0        1\n");
  EXPECT_EQ(bsm::ctl::chat_text(
              parse(R"({"session_id":"s1","output":"42","steps":[]})")),
            "42\nsession: s1\n");
  using bsm::ctl::chat_event_text;
  EXPECT_EQ(chat_event_text("delta", parse(R"({"content":"It is "})")),
            "It is ");
  EXPECT_EQ(
    chat_event_text("tool_call", parse(R"({"tool":"t","arguments":{"a":1}})")),
    "[t {\"a\":1}]\n");
  EXPECT_EQ(
    chat_event_text("tool_result", parse(R"({"tool":"t","result":"x\ny",)"
                                         R"("is_error":true})")),
    "[t failed: x y]\n");
  EXPECT_EQ(chat_event_text("done", parse(R"({"session_id":"s1"})")),
            "\nsession: s1\n");
  EXPECT_EQ(chat_event_text("ping", parse("{}")), "");
  auto turns = bsm::ctl::turns_table(parse(
    R"({"session_id":"s1","turns":[{"role":"user","content":"a\nb","time":"t"}]})"));
  EXPECT_EQ(turns, "TIME  ROLE  CONTENT\nt     user  a b\n");
  auto cluster = bsm::ctl::cluster_table(
    parse(R"({"self":"a","members":[{"name":"a","state":"up","address":"x",)"
          R"("http_address":"y","agents":2,"last_seen":null},)"
          R"({"name":"b","state":"down"}]})"));
  EXPECT_NE(cluster.find("\na *   up "), std::string::npos) << cluster;
  EXPECT_NE(cluster.find("\nb     down "), std::string::npos) << cluster;
}

TEST(BsmctlOutput, BudgetsTableNamesTheLimitAndTheSilentMembers) {
  auto table = bsm::ctl::budgets_table(
    parse(R"({"budgets":[{"name":"daily","scope":"model","key":"local",)"
          R"("limit_kind":"requests_per_day","limit":5,"used":5,"remaining":0,)"
          R"("resets_at":"2026-12-07T00:00:00.000Z","node":"node-b"}],)"
          R"("unreachable":["node-c"]})"));
  EXPECT_EQ(table.rfind("NAME", 0), 0u) << table;
  EXPECT_NE(table.find("daily  model  local  5 requests_per_day  5     0  "),
            std::string::npos)
    << table;
  EXPECT_NE(table.find("node-b\n"), std::string::npos) << table;
  EXPECT_NE(table.find("not answering (their counters are missing): node-c"),
            std::string::npos)
    << table;
  auto empty
    = bsm::ctl::budgets_table(parse(R"({"budgets":[],"unreachable":[]})"));
  EXPECT_EQ(empty.find("not answering"), std::string::npos);
}

} // namespace
