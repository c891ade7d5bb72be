// HTTP as RFC 9110/9112 and API.md's error table say, against a real bsmd
// on loopback: HEAD on every GET route, absolute-form targets, the Host
// header, 415 for bodies a route cannot read, 408 for a request cut by
// http.read_timeout, the node counting itself in bsm_cluster_members, and
// GET /openapi.json linted by a real validator (Redocly CLI, from
// tests/peers).

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "http_client.hpp"
#include "process.hpp"
#include "test_node.hpp"
#include "tests/common/poll.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::test::body_of;
using bsm::test::describe;
using bsm::test::get;
using bsm::test::http_connection;
using bsm::test::make_request;
using bsm::test::opt_response;
using bsm::test::temp_dir;
using bsm::test::test_node;
using json = nlohmann::json;
namespace fs = std::filesystem;

const fs::path source_dir = BSM_SOURCE_DIR;

/// `status` in API.md's error shape with `code`.
::testing::AssertionResult is_error(const opt_response& res, int status,
                                    const std::string& code) {
  if (!res)
    return ::testing::AssertionFailure() << "no response";
  auto doc = body_of(*res);
  if (res->status != status || !doc.is_object() || !doc.contains("error")
      || doc["error"].value("code", "") != code)
    return ::testing::AssertionFailure()
           << "want " << status << " " << code << ", got " << describe(res);
  return ::testing::AssertionSuccess();
}

using HttpConformance = bsm::test::configured_node<bsm::test::no_sets>;

// -- HEAD --------------------------------------------------------------------

/// HEAD `target` then a pipelined GET /healthz on one connection: the HEAD's
/// head, and proof that no body followed it (else the GET's answer would
/// not parse where it starts).
std::optional<bsm::test::http_response> head_of(uint16_t port,
                                                const std::string& target) {
  http_connection conn{port};
  if (!conn.connected()
      || !conn.send(
        make_request("HEAD", target)
        + make_request("GET", "/healthz", {{"X-Request-Id", "after-head"}})))
    return std::nullopt;
  auto head = conn.read_head(10s);
  auto next = conn.read_response(10s);
  EXPECT_TRUE(next && next->status == 200
              && next->header("X-Request-Id") == "after-head")
    << "HEAD " << target << " was followed by bytes that are not the next "
    << "answer: " << conn.buffered();
  return head;
}

TEST_F(HttpConformance, HeadIsTheGetsStatusAndHeadersWithoutTheBody) {
  auto got = get(port(), "/healthz");
  ASSERT_TRUE(got && got->status == 200) << describe(got);
  auto head = head_of(port(), "/healthz");
  ASSERT_TRUE(head) << "no answer to HEAD /healthz";
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("Content-Type"), "application/json");
  // The length of the body a GET would send (uptime_s may differ by a digit).
  auto length = std::stoul(head->header("Content-Length"));
  EXPECT_GE(length + 3, got->body.size());
  EXPECT_LE(length, got->body.size() + 3);
  EXPECT_FALSE(head->header("X-Request-Id").empty());
}

TEST_F(HttpConformance, HeadAnswersOnEveryGetRouteAsItsGetDoes) {
  for (const char* target :
       {"/healthz", "/readyz", "/metrics", "/openapi.json", "/v1/actors",
        "/v1/tree", "/v1/cluster", "/v1/agents", "/v1/agents/nobody",
        "/v1/models", "/v1/users", "/v1/api-keys", "/v1/roles", "/"}) {
    auto got = get(port(), target);
    ASSERT_TRUE(got) << target;
    auto head = head_of(port(), target);
    ASSERT_TRUE(head) << "no answer to HEAD " << target;
    EXPECT_EQ(head->status, got->status) << target;
    EXPECT_EQ(head->header("Content-Type"), got->header("Content-Type"))
      << target;
  }
}

TEST_F(HttpConformance, HeadOnTheEventStreamSendsItsHeadAndCloses) {
  http_connection conn{port()};
  ASSERT_TRUE(conn.connected()) << conn.error();
  ASSERT_TRUE(conn.send(make_request("HEAD", "/v1/events?topic=%23")));
  auto head = conn.read_head(10s);
  ASSERT_TRUE(head) << conn.error();
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("Content-Type").rfind("text/event-stream", 0), 0u)
    << head->header("Content-Type");
  EXPECT_TRUE(conn.await_close(bsm::test::generous_deadline))
    << "the stream stayed open after HEAD";
  // Nothing of the stream came after the head (not even its last chunk).
  EXPECT_EQ(conn.buffered(), "");
}

TEST_F(HttpConformance, AllowListsHeadWhereGetIsAndNotElsewhere) {
  auto del
    = bsm::test::http_exchange(port(), make_request("DELETE", "/v1/tree"));
  ASSERT_TRUE(del && del->status == 405) << describe(del);
  EXPECT_EQ(del->header("Allow"), "GET, HEAD, OPTIONS");
  // No body on a HEAD's answer, whatever its status: read the head only.
  http_connection conn{port()};
  ASSERT_TRUE(conn.connected());
  ASSERT_TRUE(conn.send(make_request("HEAD", "/v1/auth/token")));
  auto refused = conn.read_head(10s);
  ASSERT_TRUE(refused) << conn.error();
  EXPECT_EQ(refused->status, 405);
  EXPECT_EQ(refused->header("Allow"), "POST, OPTIONS");
}

// -- the request target and Host ---------------------------------------------

TEST_F(HttpConformance, AbsoluteFormTargetIsRoutedLikeItsOriginForm) {
  auto authority = "127.0.0.1:" + std::to_string(port());
  auto res = bsm::test::http_exchange(port(), "GET http://" + authority
                                                + "/healthz HTTP/1.1\r\nHost: "
                                                + authority + "\r\n\r\n");
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  EXPECT_EQ(body_of(*res)["status"], "ok");
  auto missing = bsm::test::http_exchange(
    port(), "GET http://" + authority
              + "/nowhere?x=1 HTTP/1.1\r\nHost: " + authority + "\r\n\r\n");
  ASSERT_TRUE(is_error(missing, 404, "not_found"));
  EXPECT_NE(missing->body.find("GET /nowhere"), std::string::npos)
    << missing->body;
}

void expect_400_and_closed(uint16_t port, const std::string& bytes) {
  http_connection conn{port};
  ASSERT_TRUE(conn.connected()) << conn.error();
  ASSERT_TRUE(conn.send(bytes)) << conn.error();
  auto res = conn.read_response(10s);
  EXPECT_TRUE(is_error(res, 400, "invalid_argument")) << bytes;
  EXPECT_TRUE(conn.await_close(bsm::test::generous_deadline)) << bytes;
}

TEST_F(HttpConformance, MissingRepeatedOrMalformedHostIs400) {
  expect_400_and_closed(port(), "GET /healthz HTTP/1.1\r\n\r\n");
  expect_400_and_closed(port(), "GET /healthz HTTP/1.1\r\nHost: a\r\n"
                                "Host: b\r\n\r\n");
  expect_400_and_closed(port(), "GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n");
  expect_400_and_closed(port(), "GET /healthz HTTP/1.1\r\nHost: a/b\r\n\r\n");
  expect_400_and_closed(port(),
                        "GET /healthz HTTP/1.1\r\nHost: h:99999x\r\n\r\n");
}

// -- 415 ---------------------------------------------------------------------

opt_response post(uint16_t port, const std::string& target,
                  bsm::test::header_list headers, const std::string& body) {
  return bsm::test::http_exchange(port,
                                  make_request("POST", target, headers, body));
}

TEST_F(HttpConformance, AnEncodedBodyIs415OnEveryRoute) {
  for (const char* target : {"/v1/actors/node_info/messages",
                             "/v1/agents/legal/chat", "/v1/auth/token"}) {
    auto res = post(
      port(), target,
      {{"Content-Type", "application/json"}, {"Content-Encoding", "gzip"}},
      std::string{"\x1f\x8b\x08\x00", 4});
    EXPECT_TRUE(is_error(res, 415, "unsupported_media_type")) << target;
  }
  // identity is no encoding at all.
  auto plain = post(
    port(), "/v1/actors/node_info/messages",
    {{"Content-Type", "application/json"}, {"Content-Encoding", "identity"}},
    R"({"type":"bsm.v1.PingRequest","payload":{"sequence":"1"},"mode":"ask"})");
  EXPECT_TRUE(plain && plain->status == 200) << describe(plain);
}

TEST_F(HttpConformance, AJsonRouteGivenAnotherContentTypeIs415) {
  for (const char* target : {"/v1/agents/legal/chat", "/v1/auth/token"}) {
    auto res = post(port(), target, {{"Content-Type", "text/plain"}},
                    R"({"input":"hi"})");
    EXPECT_TRUE(is_error(res, 415, "unsupported_media_type")) << target;
  }
  auto messages = post(port(), "/v1/actors/node_info/messages",
                       {{"Content-Type", "text/plain"}}, "hello");
  EXPECT_TRUE(is_error(messages, 415, "unsupported_media_type"));
}

TEST_F(HttpConformance, TheOpenAiRoutesAnswer415InOpenAisShape) {
  for (const auto& headers :
       {bsm::test::header_list{{"Content-Type", "text/plain"}},
        bsm::test::header_list{{"Content-Type", "application/json"},
                               {"Content-Encoding", "br"}}}) {
    auto res = post(port(), "/v1/chat/completions", headers,
                    R"({"model":"legal","messages":[]})");
    ASSERT_TRUE(res) << "no response";
    EXPECT_EQ(res->status, 415) << res->body;
    auto doc = body_of(*res);
    EXPECT_EQ(doc["error"]["type"], "invalid_request_error") << res->body;
    EXPECT_EQ(doc["error"]["code"], "unsupported_media_type") << res->body;
    EXPECT_TRUE(doc["error"]["message"].is_string()) << res->body;
  }
}

// -- metrics -----------------------------------------------------------------

TEST_F(HttpConformance, TheNodeCountsItselfAmongTheClusterMembersUp) {
  auto res = get(port(), "/metrics");
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  EXPECT_NE(res->body.find("bsm_cluster_members{state=\"up\"} 1\n"),
            std::string::npos)
    << res->body;
}

// -- 408 ---------------------------------------------------------------------

struct short_timeouts {
  static std::vector<std::string> get() {
    return {"http.read_timeout=500ms", "http.idle_timeout=1s"};
  }
};

using HttpConformanceTimeouts = bsm::test::configured_node<short_timeouts>;

void expect_408_and_closed(uint16_t port, const std::string& partial) {
  http_connection conn{port};
  ASSERT_TRUE(conn.connected()) << conn.error();
  ASSERT_TRUE(conn.send(partial)) << conn.error();
  auto res = conn.read_response(bsm::test::generous_deadline);
  EXPECT_TRUE(is_error(res, 408, "request_timeout")) << partial;
  if (res) {
    EXPECT_TRUE(res->close) << "no Connection: close on a 408";
  }
  EXPECT_TRUE(conn.await_close(bsm::test::generous_deadline)) << partial;
}

TEST_F(HttpConformanceTimeouts, AStalledHeaderGets408ThenTheConnectionCloses) {
  expect_408_and_closed(port(),
                        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Hal");
}

TEST_F(HttpConformanceTimeouts, AStalledBodyGets408ThenTheConnectionCloses) {
  expect_408_and_closed(port(),
                        "POST /v1/actors/node_info/messages HTTP/1.1\r\n"
                        "Host: 127.0.0.1\r\n"
                        "Content-Type: application/json\r\n"
                        "Content-Length: 100\r\n\r\n{\"type\"");
}

TEST_F(HttpConformanceTimeouts, AnIdleConnectionIsClosedWithoutAnAnswer) {
  http_connection conn{port()};
  ASSERT_TRUE(conn.connected()) << conn.error();
  EXPECT_TRUE(conn.await_close(bsm::test::generous_deadline));
  EXPECT_EQ(conn.buffered(), "") << "an idle connection got an answer";
}

// -- /openapi.json -----------------------------------------------------------

TEST_F(HttpConformance, OpenApiDocumentIsServedAndPassesRedoclyLint) {
  auto res = get(port(), "/openapi.json");
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  EXPECT_EQ(res->header("Content-Type"), "application/json");
  auto doc = body_of(*res);
  ASSERT_TRUE(doc.is_object()) << res->body;
  EXPECT_EQ(doc["openapi"], "3.1.0");
  EXPECT_TRUE(doc["paths"]["/v1/agents/{name}/chat"].contains("post"));
  auto node = bsm::test::find_in_path("node");
  ASSERT_FALSE(node.empty())
    << "no 'node' in PATH (deploy/install-deps.sh installs it)";
  auto cli = source_dir / "tests/peers/node_modules/@redocly/cli/bin/cli.js";
  ASSERT_TRUE(fs::exists(cli))
    << "the test peers are not installed (" << cli.string()
    << " is missing): run tests/peers/install.sh (make test does)";
  temp_dir work;
  auto file = work.path() / "openapi.json";
  std::ofstream{file} << res->body;
  auto config = source_dir / "tests/peers/redocly.yaml";
  auto lint
    = bsm::test::run({node, cli.string(), "lint", "--config", config.string(),
                      "--format", "stylish", file.string()},
                     work.path(), 120s);
  EXPECT_EQ(lint.code, 0) << "redocly lint:\n" << lint.out << lint.err;
}

} // namespace
