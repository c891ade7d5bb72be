// The HTTP bridge (API.md) against real bsmd processes, over raw sockets:
// success paths, the error shape and its statuses, request ids,
// idempotency keys, hostile framing, timeouts, connection limits, CORS and
// the drain on SIGTERM. One shared node serves the tests that need no
// special configuration; the others start their own.

#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "bsm/v1/runtime.pb.h"
#include "http_client.hpp"
#include "process.hpp"
#include "scripted_upstream.hpp"
#include "test_node.hpp"
#include "tests/common/poll.hpp"
#include "tests/unit/metrics/promtool.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::test::completion;
using bsm::test::http_connection;
using bsm::test::http_response;
using bsm::test::json_reply;
using bsm::test::make_request;
using bsm::test::process;
using bsm::test::scripted_upstream;
using bsm::test::temp_dir;
using json = nlohmann::json;
using header_list = std::vector<std::pair<std::string, std::string>>;
using opt_response = std::optional<http_response>;
using bsm::test::body_of;
using bsm::test::configured_node;
using bsm::test::describe;
using bsm::test::get;
using bsm::test::no_sets;
using bsm::test::post_json;
using bsm::test::test_node;

const std::string bsmd = BSMD_PATH;
const std::string source_dir = BSM_SOURCE_DIR;

// -- requests and checks ------------------------------------------------------

std::string messages_of(const std::string& actor) {
  return "/v1/actors/" + actor + "/messages";
}

/// An answer with `status` and API.md's error shape carrying `code`, whose
/// request_id is the X-Request-Id header.
::testing::AssertionResult is_error(const opt_response& res, int status,
                                    const std::string& code) {
  if (!res)
    return ::testing::AssertionFailure() << "no response";
  if (res->status != status)
    return ::testing::AssertionFailure()
           << "status " << res->status << ", want " << status << ": "
           << res->body;
  if (res->header("Content-Type") != "application/json")
    return ::testing::AssertionFailure()
           << "Content-Type '" << res->header("Content-Type") << "'";
  auto doc = body_of(*res);
  if (doc.is_discarded() || !doc.is_object() || doc.size() != 1
      || !doc.contains("error") || !doc["error"].is_object())
    return ::testing::AssertionFailure()
           << "not the error shape: " << res->body;
  const auto& err = doc["error"];
  for (const char* field : {"code", "message", "request_id"})
    if (!err.contains(field) || !err[field].is_string()
        || err[field].get<std::string>().empty())
      return ::testing::AssertionFailure()
             << "error." << field << " missing or empty: " << res->body;
  if (err["code"] != code)
    return ::testing::AssertionFailure()
           << "code " << err["code"] << ", want " << code << ": " << res->body;
  if (res->header("X-Request-Id") != err["request_id"].get<std::string>())
    return ::testing::AssertionFailure()
           << "X-Request-Id '" << res->header("X-Request-Id")
           << "' differs from request_id " << err["request_id"];
  return ::testing::AssertionSuccess();
}

/// The process runs and a fresh connection is served.
::testing::AssertionResult still_serving(test_node& node) {
  if (!node.running())
    return ::testing::AssertionFailure() << "bsmd exited; stderr:\n"
                                         << node.proc().err();
  auto res = get(node.port(), "/healthz");
  if (!res || res->status != 200)
    return ::testing::AssertionFailure()
           << "a fresh connection got " << describe(res);
  return ::testing::AssertionSuccess();
}

/// Sends raw `bytes` on a fresh connection and expects a 400 (error shape,
/// invalid_argument) followed by the server closing the connection.
void expect_rejected_and_closed(test_node& node, const std::string& bytes) {
  http_connection conn{node.port()};
  ASSERT_TRUE(conn.connected()) << conn.error();
  ASSERT_TRUE(conn.send(bytes)) << conn.error();
  auto res = conn.read_response(5s);
  EXPECT_TRUE(is_error(res, 400, "invalid_argument"));
  if (res) {
    EXPECT_TRUE(res->close) << "no Connection: close on a framing error";
  }
  EXPECT_TRUE(conn.await_close(3s)) << "the connection stayed open";
  EXPECT_TRUE(still_serving(node));
}

// -- the shared node ----------------------------------------------------------

using HttpBridge = configured_node<no_sets>;

// -- success paths --

TEST_F(HttpBridge, HealthzReportsStatusNodeVersionAndUptime) {
  auto res = get(port(), "/healthz");
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  EXPECT_EQ(res->header("Content-Type"), "application/json");
  auto doc = body_of(*res);
  EXPECT_EQ(doc["status"], "ok") << res->body;
  EXPECT_EQ(doc["node"], "node-a") << res->body;
  ASSERT_TRUE(doc["version"].is_string()) << res->body;
  EXPECT_FALSE(doc["version"].get<std::string>().empty());
  ASSERT_TRUE(doc["uptime_s"].is_number_integer()) << res->body;
  EXPECT_GE(doc["uptime_s"].get<int64_t>(), 0);
}

TEST_F(HttpBridge, ReadyzIsOkOnARunningNode) {
  auto res = get(port(), "/readyz");
  ASSERT_TRUE(res) << "no response";
  EXPECT_EQ(res->status, 200) << res->body;
}

TEST_F(HttpBridge, MetricsUseTheTextFormatAndPassPromtool) {
  ASSERT_TRUE(get(port(), "/healthz"));
  auto res = get(port(), "/metrics");
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  EXPECT_EQ(res->header("Content-Type"),
            "text/plain; version=0.0.4; charset=utf-8");
  std::istringstream lines{res->body};
  bool healthz_counted = false;
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("bsm_http_requests_total{", 0) == 0
        && line.find("route=\"/healthz\"") != std::string::npos)
      healthz_counted = true;
  EXPECT_TRUE(healthz_counted) << res->body;
  EXPECT_NE(res->body.find("\nbsm_http_request_duration_seconds_bucket{"),
            std::string::npos);
  EXPECT_NE(res->body.find("\nbsm_http_open_connections "), std::string::npos);
  auto lint = bsm::test::promtool_check(res->body);
  EXPECT_EQ(lint.code, 0) << lint.out << lint.err;
}

TEST_F(HttpBridge, ActorsListsTheNamedActorsWithTheirMailboxDepth) {
  auto res = get(port(), "/v1/actors");
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  auto doc = body_of(*res);
  ASSERT_TRUE(doc["actors"].is_array()) << res->body;
  std::vector<std::string> names;
  for (const auto& actor : doc["actors"]) {
    EXPECT_TRUE(actor["mailbox_depth"].is_number_unsigned()) << actor;
    names.push_back(actor.value("name", ""));
  }
  for (const char* want :
       {"memory", "node_info", "mailboxes", "events", "http_bridge"})
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end())
      << want << " missing from " << res->body;
}

TEST_F(HttpBridge, TreeShowsTheRootWithItsChildren) {
  auto res = get(port(), "/v1/tree");
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  auto doc = body_of(*res);
  EXPECT_EQ(doc["name"], "root") << res->body;
  EXPECT_EQ(doc["strategy"], "one_for_one") << res->body;
  EXPECT_EQ(doc["state"], "running") << res->body;
  EXPECT_TRUE(doc["restarts"].is_number_unsigned()) << res->body;
  ASSERT_TRUE(doc["children"].is_array()) << res->body;
  std::vector<std::string> names;
  for (const auto& child : doc["children"]) {
    EXPECT_TRUE(child.contains("strategy")) << child;
    EXPECT_EQ(child["state"], "running") << child;
    EXPECT_TRUE(child["restarts"].is_number_unsigned()) << child;
    EXPECT_TRUE(child["children"].is_array()) << child;
    names.push_back(child.value("name", ""));
  }
  for (const char* want : {"memory", "node_info", "http_bridge"})
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end())
      << want << " missing from " << res->body;
}

TEST_F(HttpBridge, TreeAsTextForAcceptTextPlain) {
  auto res = get(port(), "/v1/tree", {{"Accept", "text/plain"}});
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  EXPECT_EQ(res->header("Content-Type").rfind("text/plain", 0), 0u);
  EXPECT_EQ(res->body.rfind("root [one_for_one] running restarts=", 0), 0u)
    << res->body;
  EXPECT_NE(res->body.find("\n  memory running restarts="), std::string::npos)
    << res->body;
}

TEST_F(HttpBridge, AskPingAnswersWithThePingResponse) {
  auto res = post_json(
    port(), messages_of("node_info"),
    R"({"type":"bsm.v1.PingRequest","payload":{"sequence":"7"},"mode":"ask"})");
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  EXPECT_EQ(res->header("Content-Type"), "application/json");
  auto doc = body_of(*res);
  EXPECT_EQ(doc["type"], "bsm.v1.PingResponse") << res->body;
  // uint64 is a string in the protobuf JSON mapping.
  EXPECT_EQ(doc["payload"]["sequence"], "7") << res->body;
  EXPECT_EQ(doc["payload"]["node"], "node-a") << res->body;
}

TEST_F(HttpBridge, ToldPutIsDurableAndFoundByALaterAsk) {
  auto put = post_json(
    port(), messages_of("memory"),
    R"({"type":"bsm.v1.MemoryPutRequest","mode":"tell",)"
    R"("payload":{"agent":"http-test","key":"told","value":"aGVsbG8="}})");
  ASSERT_TRUE(put && put->status == 202) << describe(put);
  auto ack = body_of(*put);
  ASSERT_TRUE(ack["message_id"].is_string()) << put->body;
  EXPECT_FALSE(ack["message_id"].get<std::string>().empty());
  EXPECT_EQ(ack["durable"], true) << put->body;
  // A tell is processed after its 202: poll.
  json got;
  (void)bsm::test::poll_until([&] {
    auto res = post_json(port(), messages_of("memory"),
                         R"({"type":"bsm.v1.MemoryGetRequest","mode":"ask",)"
                         R"("payload":{"agent":"http-test","key":"told"}})");
    got = res && res->status == 200 ? body_of(*res)
                                    : json{{"answer", describe(res)}};
    return got.is_object() && got["payload"].is_object()
           && got["payload"].value("found", false);
  });
  EXPECT_EQ(got["type"], "bsm.v1.MemoryGetResponse") << got;
  EXPECT_EQ(got["payload"].value("found", false), true) << got;
  EXPECT_EQ(got["payload"].value("value", ""), "aGVsbG8=") << got;
}

TEST_F(HttpBridge, BinaryProtobufAskIsAnsweredInJson) {
  bsm::v1::PingRequest ping;
  ping.set_sequence(42);
  ping.set_payload(std::string{"\x00\xffhi", 4});
  auto res = bsm::test::http_exchange(
    port(), make_request("POST", messages_of("node_info"),
                         {{"Content-Type", "application/x-protobuf"},
                          {"X-Bsm-Type", "bsm.v1.PingRequest"},
                          {"X-Bsm-Mode", "ask"}},
                         ping.SerializeAsString()));
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  auto doc = body_of(*res);
  EXPECT_EQ(doc["type"], "bsm.v1.PingResponse") << res->body;
  EXPECT_EQ(doc["payload"]["sequence"], "42") << res->body;
  // bytes are base64 in the protobuf JSON mapping: 00 ff 68 69.
  EXPECT_EQ(doc["payload"]["payload"], "AP9oaQ==") << res->body;
}

// -- request ids --

TEST_F(HttpBridge, RequestIdIsEchoedWhenSent) {
  auto ok = get(port(), "/healthz", {{"X-Request-Id", "client-id-1"}});
  ASSERT_TRUE(ok) << "no response";
  EXPECT_EQ(ok->header("X-Request-Id"), "client-id-1");
  auto err = get(port(), "/no/such/route", {{"X-Request-Id", "client-id-2"}});
  ASSERT_TRUE(is_error(err, 404, "not_found"));
  EXPECT_EQ(err->header("X-Request-Id"), "client-id-2");
}

TEST_F(HttpBridge, UnusableRequestIdIsReplaced) {
  for (const std::string& bad : {std::string(200, 'x'), std::string{"a b"}}) {
    auto res = get(port(), "/healthz", {{"X-Request-Id", bad}});
    ASSERT_TRUE(res) << "no response";
    EXPECT_FALSE(res->header("X-Request-Id").empty());
    EXPECT_NE(res->header("X-Request-Id"), bad);
  }
}

TEST_F(HttpBridge, RequestIdIsGeneratedWhenMissing) {
  auto first = get(port(), "/healthz");
  auto second = get(port(), "/healthz");
  ASSERT_TRUE(first && second) << "no response";
  EXPECT_FALSE(first->header("X-Request-Id").empty());
  EXPECT_FALSE(second->header("X-Request-Id").empty());
  EXPECT_NE(first->header("X-Request-Id"), second->header("X-Request-Id"));
  // is_error() checks that the error's request_id is the header's.
  EXPECT_TRUE(is_error(get(port(), "/no/such/route"), 404, "not_found"));
  EXPECT_TRUE(is_error(post_json(port(), messages_of("memory"), "{"), 400,
                       "invalid_argument"));
}

// -- errors --

TEST_F(HttpBridge, UnknownRouteIs404) {
  EXPECT_TRUE(is_error(get(port(), "/v2/nothing"), 404, "not_found"));
  EXPECT_TRUE(
    is_error(get(port(), "/v1/actors/memory/nothing"), 404, "not_found"));
}

TEST_F(HttpBridge, UnknownActorIs404ForAskAndTell) {
  EXPECT_TRUE(is_error(
    post_json(port(), messages_of("no_such_actor"),
              R"({"type":"bsm.v1.PingRequest","payload":{},"mode":"ask"})"),
    404, "not_found"));
  EXPECT_TRUE(is_error(
    post_json(port(), messages_of("no_such_actor"),
              R"({"type":"bsm.v1.PingRequest","payload":{},"mode":"tell"})"),
    404, "not_found"));
}

// OPTIONS is answered on every known path, so Allow lists it too.
TEST_F(HttpBridge, OtherMethodOnAKnownPathIs405WithAllow) {
  auto del
    = bsm::test::http_exchange(port(), make_request("DELETE", "/healthz"));
  EXPECT_TRUE(is_error(del, 405, "method_not_allowed"));
  if (del) {
    EXPECT_EQ(del->header("Allow"), "GET, HEAD, OPTIONS");
  }
  auto post = post_json(port(), "/v1/actors", "{}");
  EXPECT_TRUE(is_error(post, 405, "method_not_allowed"));
  if (post) {
    EXPECT_EQ(post->header("Allow"), "GET, HEAD, OPTIONS");
  }
  auto get_messages = get(port(), messages_of("memory"));
  EXPECT_TRUE(is_error(get_messages, 405, "method_not_allowed"));
  if (get_messages) {
    EXPECT_EQ(get_messages->header("Allow"), "POST, OPTIONS");
  }
}

TEST_F(HttpBridge, BadMessageBodiesAre400) {
  std::string deep = R"({"type":"bsm.v1.PingRequest","payload":)";
  for (int i = 0; i < 70; ++i)
    deep += R"({"a":)";
  deep += "1" + std::string(70, '}') + "}";
  struct bad_body {
    const char* what;
    std::string body;
  };
  std::vector<bad_body> cases{
    {"malformed JSON", "{\"type\": "},
    {"not an object", "[1,2]"},
    {"unknown type",
     R"({"type":"bsm.v1.NoSuchRequest","payload":{},"mode":"ask"})"},
    {"unknown type (tell)",
     R"({"type":"bsm.v1.NoSuchRequest","payload":{},"mode":"tell"})"},
    {"unknown payload field",
     R"({"type":"bsm.v1.PingRequest","payload":{"nope":1},"mode":"ask"})"},
    {"payload field of the wrong type",
     R"({"type":"bsm.v1.PingRequest","payload":{"sequence":{"x":1}},"mode":"ask"})"},
    {"payload not matching (tell)",
     R"({"type":"bsm.v1.MemoryPutRequest","payload":{"value":"%%%"},"mode":"tell"})"},
    {"unknown top-level field",
     R"({"type":"bsm.v1.PingRequest","payload":{},"mode":"ask","extra":1})"},
    {"bad mode",
     R"({"type":"bsm.v1.PingRequest","payload":{},"mode":"shout"})"},
    {"missing type", R"({"payload":{},"mode":"ask"})"},
    {"timeout out of range",
     R"({"type":"bsm.v1.PingRequest","payload":{},"mode":"ask","timeout_ms":0})"},
    {"nested deeper than max_json_depth", deep},
    {"a message only nodes send each other",
     R"({"type":"bsm.v1.ReplicaWriteRequest","payload":{"agent":"a"},"mode":"ask"})"},
    {"a message only nodes send each other (tell)",
     R"({"type":"bsm.v1.EpochClaimRequest","payload":{"agent":"a"},"mode":"tell"})"},
  };
  for (const auto& c : cases) {
    auto res = post_json(port(), messages_of("node_info"), c.body);
    EXPECT_TRUE(is_error(res, 400, "invalid_argument")) << c.what;
  }
  auto res = post_json(port(), messages_of("node_info"), deep);
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find("nested deeper"), std::string::npos) << res->body;
}

TEST_F(HttpBridge, TextPlainBodyIs415) {
  auto res = bsm::test::http_exchange(
    port(), make_request("POST", messages_of("node_info"),
                         {{"Content-Type", "text/plain"}}, "ping"));
  EXPECT_TRUE(is_error(res, 415, "unsupported_media_type"));
}

TEST_F(HttpBridge, BodyOverTheLimitIs413FromContentLengthAlone) {
  http_connection conn{port()};
  ASSERT_TRUE(conn.connected()) << conn.error();
  // Only the header: the answer must not wait for 10 GB of body.
  ASSERT_TRUE(conn.send("POST /v1/actors/memory/messages HTTP/1.1\r\n"
                        "Host: 127.0.0.1\r\n"
                        "Content-Type: application/json\r\n"
                        "X-Request-Id: too-large-1\r\n"
                        "Content-Length: 10000000000\r\n\r\n"));
  auto res = conn.read_response(5s);
  EXPECT_TRUE(is_error(res, 413, "payload_too_large")) << conn.error();
  if (res) {
    EXPECT_NE(res->body.find("10000000000"), std::string::npos) << res->body;
  }
  // Refused from the header alone, the request still has its id.
  if (res) {
    EXPECT_EQ(res->header("X-Request-Id"), "too-large-1");
  }
  EXPECT_TRUE(conn.await_close(3s)) << "the connection stayed open";
  EXPECT_TRUE(still_serving(*node_));
}

TEST_F(HttpBridge, ChunkOverTheLimitIs413BeforeItsData) {
  http_connection conn{port()};
  ASSERT_TRUE(conn.connected()) << conn.error();
  // A 5 MiB chunk announced, none of it sent.
  ASSERT_TRUE(conn.send("POST /v1/actors/memory/messages HTTP/1.1\r\n"
                        "Host: 127.0.0.1\r\n"
                        "Content-Type: application/json\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n"
                        "500000\r\n{"));
  auto res = conn.read_response(5s);
  EXPECT_TRUE(is_error(res, 413, "payload_too_large")) << conn.error();
  EXPECT_TRUE(conn.await_close(3s)) << "the connection stayed open";
  EXPECT_TRUE(still_serving(*node_));
}

TEST_F(HttpBridge, LongUriIs414) {
  auto res = get(port(), "/healthz?pad=" + std::string(9000, 'a'),
                 {{"X-Request-Id", "long-uri-1"}});
  EXPECT_TRUE(is_error(res, 414, "uri_too_long"));
  if (res) {
    EXPECT_EQ(res->header("X-Request-Id"), "long-uri-1");
  }
  EXPECT_TRUE(still_serving(*node_));
}

TEST_F(HttpBridge, BigHeadersAre431) {
  auto res = get(port(), "/healthz",
                 {{"X-Request-Id", "big-headers-1"},
                  {"X-Padding", std::string(20000, 'b')}});
  EXPECT_TRUE(is_error(res, 431, "headers_too_large"));
  if (res) {
    EXPECT_EQ(res->header("X-Request-Id"), "big-headers-1");
  }
  // Far over the limit: Beast's own parser limit answers the same.
  res = get(port(), "/healthz", {{"X-Padding", std::string(100000, 'c')}});
  EXPECT_TRUE(is_error(res, 431, "headers_too_large"));
  EXPECT_TRUE(still_serving(*node_));
}

// -- idempotency keys --

TEST_F(HttpBridge, SameIdempotencyKeyAndBodyReplaysTheFirstAnswer) {
  const std::string body
    = R"({"type":"bsm.v1.MemoryPutRequest","mode":"tell",)"
      R"("payload":{"agent":"http-idem","key":"a","value":"YQ=="}})";
  header_list key{{"Idempotency-Key", "replay-1"}};
  auto first = post_json(port(), messages_of("memory"), body, key);
  ASSERT_TRUE(first && first->status == 202) << describe(first);
  EXPECT_FALSE(first->has_header("Idempotent-Replayed"));
  auto second = post_json(port(), messages_of("memory"), body, key);
  ASSERT_TRUE(second && second->status == 202) << describe(second);
  EXPECT_EQ(second->header("Idempotent-Replayed"), "true");
  EXPECT_EQ(body_of(*second)["message_id"], body_of(*first)["message_id"]);
  // Each answer has its own request id, also a replayed one.
  EXPECT_NE(second->header("X-Request-Id"), first->header("X-Request-Id"));
}

TEST_F(HttpBridge, SameIdempotencyKeyWithAnotherBodyIs422) {
  header_list key{{"Idempotency-Key", "mismatch-1"}};
  auto first = post_json(
    port(), messages_of("memory"),
    R"({"type":"bsm.v1.MemoryPutRequest","payload":{"agent":"http-idem","key":"b","value":"Yg=="}})",
    key);
  ASSERT_TRUE(first && first->status == 202) << describe(first);
  auto other = post_json(
    port(), messages_of("memory"),
    R"({"type":"bsm.v1.MemoryPutRequest","payload":{"agent":"http-idem","key":"b","value":"Yw=="}})",
    key);
  EXPECT_TRUE(is_error(other, 422, "idempotency_key_mismatch"));
}

// The first chat with a key waits for a model that answers only when the
// test lets it, so the second request with that key surely finds it in
// flight.
TEST(HttpBridgeIdempotency, SameIdempotencyKeyWhileInFlightIs409) {
  temp_dir dir;
  scripted_upstream up;
  up.push_held(json_reply(200, completion("the first answer")));
  auto agents = dir.path() / "agents";
  std::filesystem::create_directories(agents);
  std::ofstream{agents / "held.yaml"}
    << "name: held\ndescription: Waits for its model.\n"
       "system_prompt: You wait.\n"
       "model: {provider: openai, name: test-model}\n";
  test_node node{dir.path(),
                 dir.path() / "data",
                 {"agents.paths=[" + agents.string() + "]",
                  "openai.base_url=" + up.base_url(), "openai.api_key=test"}};
  ASSERT_NE(node.port(), 0) << node.proc().err();
  const std::string chat = "/v1/agents/held/chat";
  const std::string body = R"({"input":"hello"})";
  header_list key{{"Idempotency-Key", "in-flight-1"}};
  http_connection first{node.port()};
  ASSERT_TRUE(first.send(make_request(
    "POST", chat, {{"Content-Type", "application/json"}, key.front()}, body)))
    << first.error();
  // Once the model was asked, the first request is in flight until release.
  ASSERT_TRUE(up.await_requests(1, bsm::test::generous_deadline));
  auto second = post_json(node.port(), chat, body, key);
  EXPECT_TRUE(is_error(second, 409, "conflict"));
  up.release();
  auto answer = first.read_response(bsm::test::generous_deadline);
  ASSERT_TRUE(answer && answer->status == 200) << first.error();
  EXPECT_EQ(body_of(*answer)["output"], "the first answer") << answer->body;
  // Answered, the key is free: the same request now replays that answer.
  auto third = post_json(node.port(), chat, body, key);
  ASSERT_TRUE(third && third->status == 200) << describe(third);
  EXPECT_EQ(third->header("Idempotent-Replayed"), "true");
  EXPECT_EQ(third->body, answer->body);
  EXPECT_EQ(up.requests(), 1u);
  EXPECT_EQ(node.stop(), 0) << node.proc().err();
}

TEST_F(HttpBridge, IdempotencyKeyOf255CharactersIsTakenAnd256Refused) {
  const std::string body
    = R"({"type":"bsm.v1.MemoryPutRequest","mode":"tell",)"
      R"("payload":{"agent":"http-idem","key":"long","value":"YQ=="}})";
  auto longest = post_json(port(), messages_of("memory"), body,
                           {{"Idempotency-Key", std::string(255, 'k')}});
  EXPECT_TRUE(longest && longest->status == 202) << describe(longest);
  auto over = post_json(port(), messages_of("memory"), body,
                        {{"Idempotency-Key", std::string(256, 'k')}});
  EXPECT_TRUE(is_error(over, 400, "invalid_argument"));
}

// -- hostile framing --

TEST_F(HttpBridge, ContentLengthWithChunkedIs400AndCloses) {
  expect_rejected_and_closed(*node_,
                             "POST /v1/actors/memory/messages HTTP/1.1\r\n"
                             "Host: 127.0.0.1\r\n"
                             "Content-Type: application/json\r\n"
                             "Content-Length: 4\r\n"
                             "Transfer-Encoding: chunked\r\n\r\n"
                             "2\r\n{}\r\n0\r\n\r\n");
}

TEST_F(HttpBridge, TwoDifferentContentLengthsAre400) {
  expect_rejected_and_closed(*node_,
                             "POST /v1/actors/memory/messages HTTP/1.1\r\n"
                             "Host: 127.0.0.1\r\n"
                             "Content-Type: application/json\r\n"
                             "Content-Length: 2\r\n"
                             "Content-Length: 5\r\n\r\n"
                             "{}{}{");
}

TEST_F(HttpBridge, TransferEncodingNotEndingInChunkedIs400) {
  expect_rejected_and_closed(*node_,
                             "POST /v1/actors/memory/messages HTTP/1.1\r\n"
                             "Host: 127.0.0.1\r\n"
                             "Content-Type: application/json\r\n"
                             "Transfer-Encoding: gzip\r\n\r\n"
                             "{}");
}

TEST_F(HttpBridge, MissingHostOnHttp11Is400) {
  expect_rejected_and_closed(*node_, "GET /healthz HTTP/1.1\r\n\r\n");
}

TEST_F(HttpBridge, ControlCharacterInAHeaderIs400) {
  expect_rejected_and_closed(*node_, "GET /healthz HTTP/1.1\r\n"
                                     "Host: 127.0.0.1\r\n"
                                     "X-Evil: a\x01z\r\n\r\n");
}

TEST_F(HttpBridge, GarbageInsteadOfARequestLineIs400OrClosed) {
  http_connection conn{port()};
  ASSERT_TRUE(conn.connected()) << conn.error();
  // A TLS ClientHello's first bytes, text and a NUL where a method belongs.
  const char garbage[] = "\x16\x03\x01\x00\xa5garbage\0\r\n\r\n";
  ASSERT_TRUE(conn.send(std::string{garbage, sizeof(garbage) - 1}));
  auto res = conn.read_response(5s);
  if (res) {
    EXPECT_TRUE(is_error(res, 400, "invalid_argument"));
  }
  EXPECT_TRUE(conn.await_close(3s)) << "the connection stayed open";
  EXPECT_TRUE(still_serving(*node_));
}

TEST_F(HttpBridge, ChunkedBodyIsAccepted) {
  http_connection conn{port()};
  ASSERT_TRUE(conn.connected()) << conn.error();
  const std::string body
    = R"({"type":"bsm.v1.PingRequest","payload":{"sequence":"5"},"mode":"ask"})";
  auto half = body.size() / 2;
  std::ostringstream bytes;
  bytes << "POST /v1/actors/node_info/messages HTTP/1.1\r\n"
        << "Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
        << "Transfer-Encoding: chunked\r\n\r\n"
        << std::hex << half << "\r\n"
        << body.substr(0, half) << "\r\n"
        << std::hex << body.size() - half << "\r\n"
        << body.substr(half) << "\r\n0\r\n\r\n";
  ASSERT_TRUE(conn.send(bytes.str())) << conn.error();
  auto res = conn.read_response(5s);
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  EXPECT_EQ(body_of(*res)["payload"]["sequence"], "5") << res->body;
}

TEST_F(HttpBridge, ExpectContinueGetsA100First) {
  http_connection conn{port()};
  ASSERT_TRUE(conn.connected()) << conn.error();
  const std::string body
    = R"({"type":"bsm.v1.PingRequest","payload":{"sequence":"6"},"mode":"ask"})";
  ASSERT_TRUE(conn.send("POST /v1/actors/node_info/messages HTTP/1.1\r\n"
                        "Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        "Expect: 100-continue\r\nContent-Length: "
                        + std::to_string(body.size()) + "\r\n\r\n"));
  auto interim = conn.read_response(5s);
  ASSERT_TRUE(interim) << conn.error();
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(conn.send(body)) << conn.error();
  auto res = conn.read_response(5s);
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  EXPECT_EQ(body_of(*res)["payload"]["sequence"], "6") << res->body;
}

TEST_F(HttpBridge, Http10WithoutHostIsServedAndClosed) {
  http_connection conn{port()};
  ASSERT_TRUE(conn.connected()) << conn.error();
  ASSERT_TRUE(conn.send("GET /healthz HTTP/1.0\r\n\r\n")) << conn.error();
  auto res = conn.read_response(5s);
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  EXPECT_TRUE(conn.await_close(3s))
    << "HTTP/1.0 without keep-alive stayed open";
}

TEST_F(HttpBridge, PipelinedRequestsAreAnsweredInOrder) {
  http_connection conn{port()};
  ASSERT_TRUE(conn.connected()) << conn.error();
  auto ask = make_request(
    "POST", messages_of("node_info"),
    {{"Content-Type", "application/json"}, {"X-Request-Id", "pipe-1"}},
    R"({"type":"bsm.v1.PingRequest","payload":{"sequence":"1"},"mode":"ask"})");
  auto health = make_request("GET", "/healthz", {{"X-Request-Id", "pipe-2"}});
  auto missing = make_request("GET", "/nowhere", {{"X-Request-Id", "pipe-3"}});
  ASSERT_TRUE(conn.send(ask + health + missing)) << conn.error();
  auto first = conn.read_response(5s);
  auto second = conn.read_response(5s);
  auto third = conn.read_response(5s);
  ASSERT_TRUE(first && second && third) << conn.error();
  EXPECT_EQ(first->header("X-Request-Id"), "pipe-1");
  EXPECT_EQ(first->status, 200) << first->body;
  EXPECT_EQ(body_of(*first)["payload"]["sequence"], "1") << first->body;
  EXPECT_EQ(second->header("X-Request-Id"), "pipe-2");
  EXPECT_EQ(second->status, 200) << second->body;
  EXPECT_EQ(third->header("X-Request-Id"), "pipe-3");
  EXPECT_TRUE(is_error(third, 404, "not_found"));
  // Still a usable keep-alive connection afterwards.
  ASSERT_TRUE(conn.send(health)) << conn.error();
  auto fourth = conn.read_response(5s);
  ASSERT_TRUE(fourth) << conn.error();
  EXPECT_EQ(fourth->status, 200);
}

// -- nodes with their own configuration ---------------------------------------

struct short_timeouts {
  static std::vector<std::string> get() {
    return {"http.read_timeout=500ms", "http.idle_timeout=1s"};
  }
};

using HttpBridgeTimeouts = configured_node<short_timeouts>;

TEST_F(HttpBridgeTimeouts,
       SlowClientIsClosedAfterReadTimeoutWhileOthersAreServed) {
  // Taken before the connection exists, so before the server's timer starts.
  auto start = std::chrono::steady_clock::now();
  http_connection slow{port()};
  ASSERT_TRUE(slow.connected()) << slow.error();
  ASSERT_TRUE(slow.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Hal"));
  // Another client is served while the slow one stalls.
  auto other = get(port(), "/healthz");
  ASSERT_TRUE(other && other->status == 200) << describe(other);
  // Without read_timeout the connection would wait for idle_timeout or
  // forever; the close itself is the claim, how soon it came is not.
  EXPECT_TRUE(slow.await_close(bsm::test::generous_deadline))
    << "the slow client was never closed";
  EXPECT_GE(std::chrono::steady_clock::now() - start, 500ms);
  EXPECT_TRUE(still_serving(*node_));
}

TEST_F(HttpBridgeTimeouts, IdleKeepAliveIsClosedAfterIdleTimeout) {
  http_connection conn{port()};
  ASSERT_TRUE(conn.connected()) << conn.error();
  ASSERT_TRUE(conn.send(make_request("GET", "/healthz")));
  auto first = conn.read_response(5s);
  ASSERT_TRUE(first && first->status == 200) << conn.error();
  EXPECT_FALSE(first->close);
  // The connection is reused; its idle time starts after this answer, so
  // after this moment.
  auto idle_from = std::chrono::steady_clock::now();
  ASSERT_TRUE(conn.send(make_request("GET", "/healthz")));
  auto second = conn.read_response(5s);
  ASSERT_TRUE(second && second->status == 200) << conn.error();
  EXPECT_TRUE(conn.await_close(bsm::test::generous_deadline))
    << "the idle connection stayed open";
  EXPECT_GE(std::chrono::steady_clock::now() - idle_from, 1s);
}

struct two_connections {
  static std::vector<std::string> get() {
    return {"http.max_connections=2"};
  }
};

using HttpBridgeConnectionLimit = configured_node<two_connections>;

/// A keep-alive connection that was served once. Connections of earlier
/// requests may still be counted for a moment, and a connection over the
/// limit is closed unanswered: try again until one is served.
std::unique_ptr<http_connection> served_connection(uint16_t port) {
  std::unique_ptr<http_connection> conn;
  auto served = bsm::test::poll_until([&] {
    conn = std::make_unique<http_connection>(port);
    if (!conn->send(make_request("GET", "/healthz")))
      return false;
    auto res = conn->read_response(5s);
    return res && res->status == 200;
  });
  return served ? std::move(conn) : nullptr;
}

TEST_F(HttpBridgeConnectionLimit, ThirdConnectionIsClosedAtOnce) {
  auto a = served_connection(port());
  ASSERT_TRUE(a) << "no connection was served";
  auto b = served_connection(port());
  ASSERT_TRUE(b) << "no second connection was served";
  http_connection third{port()};
  ASSERT_TRUE(third.connected()) << third.error();
  // It may be closed before these bytes arrive; then send fails.
  third.send(make_request("GET", "/healthz"));
  // Served, it would stay open for idle_timeout (60 s) after a 200.
  EXPECT_TRUE(third.await_close(bsm::test::generous_deadline))
    << "the third connection was served";
  EXPECT_FALSE(third.buffered().find("HTTP/1.1 200") == 0) << third.buffered();
  for (auto* conn : {a.get(), b.get()}) {
    ASSERT_TRUE(conn->send(make_request("GET", "/healthz"))) << conn->error();
    auto res = conn->read_response(5s);
    ASSERT_TRUE(res && res->status == 200) << conn->error();
  }
  ASSERT_TRUE(a->send(make_request("GET", "/metrics"))) << a->error();
  auto metrics = a->read_response(5s);
  ASSERT_TRUE(metrics && metrics->status == 200) << a->error();
  EXPECT_EQ(metrics->body.find("\nbsm_http_connections_refused_total 0\n"),
            std::string::npos);
  EXPECT_NE(metrics->body.find("\nbsm_http_connections_refused_total "),
            std::string::npos);
}

struct cors_origin {
  static std::vector<std::string> get() {
    return {"http.cors_allowed_origins=[http://app.example]"};
  }
};

using HttpBridgeCors = configured_node<cors_origin>;

TEST_F(HttpBridgeCors, PreflightFromAnAllowedOriginIs204WithAllowHeaders) {
  auto res = bsm::test::http_exchange(
    port(), make_request("OPTIONS", messages_of("memory"),
                         {{"Origin", "http://app.example"},
                          {"Access-Control-Request-Method", "POST"},
                          {"Access-Control-Request-Headers",
                           "content-type, idempotency-key"}}));
  ASSERT_TRUE(res) << "no response";
  EXPECT_EQ(res->status, 204) << res->body;
  EXPECT_EQ(res->header("Access-Control-Allow-Origin"), "http://app.example");
  EXPECT_NE(res->header("Access-Control-Allow-Methods").find("POST"),
            std::string::npos)
    << res->header("Access-Control-Allow-Methods");
  auto allowed = res->header("Access-Control-Allow-Headers");
  EXPECT_NE(allowed.find("Content-Type"), std::string::npos) << allowed;
  EXPECT_NE(allowed.find("Idempotency-Key"), std::string::npos) << allowed;
}

TEST_F(HttpBridgeCors, GetFromAnAllowedOriginCarriesAllowOrigin) {
  auto res = get(port(), "/healthz", {{"Origin", "http://app.example"}});
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  EXPECT_EQ(res->header("Access-Control-Allow-Origin"), "http://app.example");
  // Errors carry it too, or the browser hides them from the page.
  auto err = get(port(), "/missing", {{"Origin", "http://app.example"}});
  EXPECT_TRUE(is_error(err, 404, "not_found"));
  if (err) {
    EXPECT_EQ(err->header("Access-Control-Allow-Origin"), "http://app.example");
  }
}

TEST_F(HttpBridgeCors, OtherOriginGetsNoCorsHeaders) {
  auto res = get(port(), "/healthz", {{"Origin", "http://evil.example"}});
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  EXPECT_FALSE(res->has_header("Access-Control-Allow-Origin"));
  auto pre = bsm::test::http_exchange(
    port(), make_request("OPTIONS", messages_of("memory"),
                         {{"Origin", "http://evil.example"},
                          {"Access-Control-Request-Method", "POST"}}));
  ASSERT_TRUE(pre) << "no response";
  EXPECT_FALSE(pre->has_header("Access-Control-Allow-Origin"));
  EXPECT_FALSE(pre->has_header("Access-Control-Allow-Methods"));
}

struct one_envelope_mailboxes {
  static std::vector<std::string> get() {
    return {"mailbox.max_depth=1"};
  }
};

using HttpBridgeMailboxFull = configured_node<one_envelope_mailboxes>;

// With room for one unacknowledged envelope, tells that reach the mailbox
// together find it full: the first is still being appended or delivered.
TEST_F(HttpBridgeMailboxFull, FullMailboxIs503WithRetryAfter) {
  bool full = false;
  for (int round = 0; round < 5 && !full; ++round) {
    std::vector<std::unique_ptr<http_connection>> conns;
    for (int i = 0; i < 8; ++i) {
      auto body = R"({"type":"bsm.v1.MemoryPutRequest","payload":)"
                  R"({"agent":"http-full","key":"k)"
                  + std::to_string(i) + R"(","value":"eA=="}})";
      conns.push_back(std::make_unique<http_connection>(port()));
      ASSERT_TRUE(conns.back()->send(
        make_request("POST", messages_of("memory"),
                     {{"Content-Type", "application/json"}}, body)));
    }
    for (auto& conn : conns) {
      auto res = conn->read_response(10s);
      ASSERT_TRUE(res) << conn->error();
      if (res->status == 503) {
        EXPECT_TRUE(is_error(res, 503, "unavailable"));
        EXPECT_EQ(res->header("Retry-After"), "1");
        full = true;
      } else {
        EXPECT_EQ(res->status, 202) << res->body;
      }
    }
  }
  EXPECT_TRUE(full) << "eight tells at once never found the mailbox full";
}

/// A memory budget no running node fits: 4 MiB and no headroom.
struct tiny_memory_budget {
  static std::vector<std::string> get() {
    return {"store.memory_budget=4194304", "store.memory_headroom=0",
            "store.write_buffer_bytes=1048576"};
  }
};

using HttpBridgeMemoryBudget = configured_node<tiny_memory_budget>;

// The edge: over its budget the node refuses new work with 503, counts
// it, shows it, and still answers the routes that report on it.
TEST_F(HttpBridgeMemoryBudget, ExhaustedBudgetRefusesATellWith503) {
  const std::string tell
    = R"({"type":"bsm.v1.MemoryPutRequest","payload":)"
      R"({"agent":"http-budget","key":"k","value":"eA=="}})";
  opt_response res;
  EXPECT_TRUE(bsm::test::poll_until([&] {
    res = post_json(port(), messages_of("memory"), tell);
    return res && res->status == 503;
  }))
    << describe(res);
  EXPECT_TRUE(is_error(res, 503, "unavailable"));
  EXPECT_EQ(res->header("Retry-After"), "1");
  EXPECT_NE(res->body.find("store.memory_budget"), std::string::npos);
  auto health = get(port(), "/healthz");
  ASSERT_TRUE(health && health->status == 200) << describe(health);
  auto ready = get(port(), "/readyz");
  EXPECT_TRUE(ready && ready->status == 200) << describe(ready);
  auto cluster = get(port(), "/v1/cluster");
  ASSERT_TRUE(cluster && cluster->status == 200) << describe(cluster);
  auto memory = body_of(*cluster)["memory"];
  EXPECT_EQ(memory["budget_bytes"], 4194304) << cluster->body;
  EXPECT_EQ(memory["exhausted"], true) << cluster->body;
  EXPECT_GT(memory["resident_bytes"].get<uint64_t>(), 4194304u);
  auto metrics = get(port(), "/metrics");
  ASSERT_TRUE(metrics && metrics->status == 200) << describe(metrics);
  EXPECT_NE(metrics->body.find("\nbsm_memory_budget_exhausted 1"),
            std::string::npos);
  EXPECT_EQ(metrics->body.find("\nbsm_http_refused_memory_total 0"),
            std::string::npos)
    << "the refusal was not counted";
  EXPECT_NE(metrics->body.find("\nbsm_http_refused_memory_total "),
            std::string::npos);
  auto lint = bsm::test::promtool_check(metrics->body);
  EXPECT_EQ(lint.code, 0) << lint.out << lint.err;
}

// Within the default budget nothing is refused and the view says so.
TEST_F(HttpBridge, ClusterViewShowsTheMemoryBudgetAndItsUse) {
  auto res = get(port(), "/v1/cluster");
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  auto memory = body_of(*res)["memory"];
  EXPECT_EQ(memory["budget_bytes"], 268435456) << res->body;
  EXPECT_EQ(memory["headroom_bytes"], 201326592) << res->body;
  EXPECT_EQ(memory["exhausted"], false) << res->body;
  for (const char* field : {"store_held_bytes", "block_cache_usage_bytes",
                            "block_cache_pinned_bytes", "memtable_bytes",
                            "table_readers_bytes", "resident_bytes"})
    EXPECT_TRUE(memory[field].is_number_unsigned()) << field << res->body;
  EXPECT_GT(memory["resident_bytes"].get<uint64_t>(), 0u);
}

// -- restart and drain --------------------------------------------------------

TEST(HttpBridgeRestart, IdempotencyKeyReplaysAcrossARestart) {
  temp_dir dir;
  auto data = dir.path() / "data";
  const std::string body
    = R"({"type":"bsm.v1.MemoryPutRequest","payload":)"
      R"({"agent":"http-restart","key":"k","value":"cg=="}})";
  header_list key{{"Idempotency-Key", "restart-1"}};
  std::string message_id;
  {
    test_node node{dir.path(), data, {}};
    ASSERT_NE(node.port(), 0) << node.proc().err();
    auto first = post_json(node.port(), messages_of("memory"), body, key);
    ASSERT_TRUE(first && first->status == 202) << describe(first);
    message_id = body_of(*first)["message_id"].get<std::string>();
    EXPECT_EQ(node.stop(), 0) << node.proc().err();
  }
  test_node again{dir.path(), data, {}};
  ASSERT_NE(again.port(), 0) << again.proc().err();
  auto replay = post_json(again.port(), messages_of("memory"), body, key);
  ASSERT_TRUE(replay && replay->status == 202) << describe(replay);
  EXPECT_EQ(replay->header("Idempotent-Replayed"), "true");
  EXPECT_EQ(body_of(*replay)["message_id"], message_id) << replay->body;
  auto other = post_json(
    again.port(), messages_of("memory"),
    R"({"type":"bsm.v1.MemoryPutRequest","payload":{"agent":"x","key":"y"}})",
    key);
  EXPECT_TRUE(is_error(other, 422, "idempotency_key_mismatch"));
  EXPECT_EQ(again.stop(), 0) << again.proc().err();
}

TEST(HttpBridgeDrain, SigtermEndsStreamsAndExitsZero) {
  temp_dir dir;
  // A drain that waited for the stream would outlast every wait below.
  test_node node{dir.path(), dir.path() / "data", {"http.drain_timeout=1h"}};
  ASSERT_NE(node.port(), 0) << node.proc().err();
  http_connection stream{node.port()};
  ASSERT_TRUE(stream.send(make_request("GET", "/v1/events?topic=%23")));
  auto head = stream.read_head(5s);
  ASSERT_TRUE(head && head->status == 200) << stream.error();
  EXPECT_EQ(head->header("Content-Type").rfind("text/event-stream", 0), 0u)
    << head->header("Content-Type");
  http_connection idle{node.port()};
  ASSERT_TRUE(idle.send(make_request("GET", "/healthz")));
  auto first = idle.read_response(5s);
  ASSERT_TRUE(first && first->status == 200) << idle.error();

  node.proc().signal(SIGTERM);
  // The stream ends with its last chunk, then the connection closes.
  EXPECT_TRUE(stream.read_until("0\r\n\r\n", bsm::test::generous_deadline))
    << "the stream did not end: " << stream.buffered();
  EXPECT_TRUE(stream.await_close(bsm::test::generous_deadline));
  EXPECT_TRUE(idle.await_close(bsm::test::generous_deadline))
    << "the keep-alive connection stayed open";
  auto code = node.proc().wait(bsm::test::generous_deadline);
  ASSERT_TRUE(code) << "bsmd did not exit after SIGTERM";
  EXPECT_EQ(*code, 0) << node.proc().err();
}

} // namespace
