// The A2A client's protocol decisions: where the card is, what a card
// says in 1.0 and 0.3, the request it sends and the answer it reads back.

#include "agents/a2a/a2a_wire.hpp"

#include <gtest/gtest.h>

#include "runtime/error.hpp"

namespace {

namespace a2a = bsm::a2a;
using json = nlohmann::json;

TEST(A2aWire, FindsTheCard) {
  EXPECT_EQ(a2a::card_url("http://h/a2a/agents/x"),
            "http://h/a2a/agents/x/.well-known/agent-card.json");
  EXPECT_EQ(a2a::card_url("http://h/"), "http://h/.well-known/agent-card.json");
  EXPECT_EQ(a2a::card_url("http://h/my-card.json"), "http://h/my-card.json");
}

TEST(A2aWire, ReadsCardsOfBothVersions) {
  json v1{
    {"name", "Peer"},
    {"description", "Repeats"},
    {"supportedInterfaces", json::array({{{"url", "http://h/rest"},
                                          {"protocolBinding", "HTTP+JSON"},
                                          {"protocolVersion", "1.0"}},
                                         {{"url", "http://h/old"},
                                          {"protocolBinding", "JSONRPC"},
                                          {"protocolVersion", "0.3"}},
                                         {{"url", "http://h/rpc"},
                                          {"protocolBinding", "JSONRPC"},
                                          {"protocolVersion", "1.0"}}})}};
  auto card = a2a::read_card(v1);
  ASSERT_TRUE(card) << bsm::render(card.error());
  EXPECT_EQ(card->endpoint, "http://h/rpc");
  EXPECT_TRUE(card->v1);
  EXPECT_EQ(card->description, "Repeats");
  json old{
    {"name", "Old"}, {"url", "http://h/old"}, {"protocolVersion", "0.3"}};
  auto legacy = a2a::read_card(old);
  ASSERT_TRUE(legacy);
  EXPECT_EQ(legacy->endpoint, "http://h/old");
  EXPECT_FALSE(legacy->v1);
}

TEST(A2aWire, RefusesCardsItCannotSpeak) {
  EXPECT_FALSE(a2a::read_card(json::array()));
  EXPECT_FALSE(a2a::read_card(json{{"name", "x"}}));
  EXPECT_FALSE(a2a::read_card(
    json{{"supportedInterfaces",
          json::array({{{"url", "u"}, {"protocolBinding", "GRPC"}}})}}));
  EXPECT_FALSE(
    a2a::read_card(json{{"url", "u"}, {"preferredTransport", "GRPC"}}));
}

TEST(A2aWire, TheToolTakesAMessageAndAContext) {
  auto spec = a2a::ask_tool("peer", {"Peer", "Repeats", "u", true});
  EXPECT_EQ(spec.name(), "peer__ask");
  EXPECT_NE(spec.description().find("Repeats"), std::string::npos);
  auto params = json::parse(spec.parameters_json());
  EXPECT_EQ(params["required"], json::array({"message"}));
  auto ask = a2a::read_ask(R"({"message":"hi","context_id":"c1"})");
  ASSERT_TRUE(ask);
  EXPECT_EQ(ask->message, "hi");
  EXPECT_EQ(ask->context_id, "c1");
  EXPECT_FALSE(a2a::read_ask("[]"));
  EXPECT_FALSE(a2a::read_ask(R"({"context_id":"c"})"));
  EXPECT_FALSE(a2a::read_ask(R"({"message":"hi","other":1})"));
  EXPECT_FALSE(a2a::read_ask(R"({"message":"hi","context_id":")"
                             + std::string(129, 'c') + "\"}"));
}

TEST(A2aWire, SendsInTheCardsVersion) {
  a2a::ask x{"hi", "c1"};
  auto v1 = a2a::send_request(x, {"P", "", "u", true}, 7, "m-1");
  EXPECT_EQ(v1["method"], "SendMessage");
  EXPECT_EQ(v1["id"], 7);
  EXPECT_EQ(v1["params"]["message"]["role"], "ROLE_USER");
  EXPECT_EQ(v1["params"]["message"]["parts"][0], json({{"text", "hi"}}));
  EXPECT_EQ(v1["params"]["message"]["contextId"], "c1");
  auto old = a2a::send_request({"hi", ""}, {"P", "", "u", false}, 8, "m-2");
  EXPECT_EQ(old["method"], "message/send");
  EXPECT_EQ(old["params"]["message"]["role"], "user");
  EXPECT_EQ(old["params"]["message"]["parts"][0]["kind"], "text");
  EXPECT_FALSE(old["params"]["message"].contains("contextId"));
}

TEST(A2aWire, ReadsAnswersOfEitherShape) {
  auto a = a2a::read_answer(json::parse(R"({"jsonrpc": "2.0", "id": 1,
    "result": {"task": {"id": "t", "contextId": "c",
      "status": {"state": "TASK_STATE_COMPLETED"},
      "artifacts": [{"parts": [{"text": "42"}]}]}}})"));
  ASSERT_TRUE(a) << bsm::render(a.error());
  EXPECT_EQ(a->text, "42");
  EXPECT_EQ(a->context_id, "c");
  EXPECT_EQ(a->state, "completed");
  auto m = a2a::read_answer(json::parse(R"({"jsonrpc": "2.0", "id": 1,
    "result": {"kind": "message", "contextId": "c2",
      "parts": [{"kind": "text", "text": "hello"}]}})"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->text, "hello");
  EXPECT_EQ(m->context_id, "c2");
  auto q = a2a::read_answer(json::parse(R"({"jsonrpc": "2.0", "id": 1,
    "result": {"kind": "task", "contextId": "c",
      "status": {"state": "input-required",
        "message": {"parts": [{"text": "which one?"}]}}}})"));
  ASSERT_TRUE(q);
  EXPECT_EQ(q->text, "which one?");
  EXPECT_EQ(q->state, "input-required");
}

TEST(A2aWire, ReadsFailuresAsErrors) {
  auto err = a2a::read_answer(json::parse(R"({"jsonrpc": "2.0", "id": 1,
    "error": {"code": -32001, "message": "Task not found"}})"));
  ASSERT_FALSE(err);
  EXPECT_NE(bsm::render(err.error()).find("-32001"), std::string::npos);
  auto failed = a2a::read_answer(json::parse(R"({"jsonrpc": "2.0", "id": 1,
    "result": {"task": {"status": {"state": "TASK_STATE_FAILED",
      "message": {"parts": [{"text": "boom"}]}}}}})"));
  ASSERT_FALSE(failed);
  EXPECT_NE(bsm::render(failed.error()).find("boom"), std::string::npos);
  EXPECT_FALSE(a2a::read_answer(json{{"jsonrpc", "2.0"}, {"result", 3}}));
  EXPECT_FALSE(a2a::read_answer(json::array()));
}

TEST(A2aWire, TheToolResultCarriesTheContext) {
  auto r = a2a::tool_result({"42", "c", "completed"});
  EXPECT_EQ(r.content(), "42");
  EXPECT_FALSE(r.is_error());
  auto s = json::parse(r.structured_json());
  EXPECT_EQ(s["context_id"], "c");
}

} // namespace
