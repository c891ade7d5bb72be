// The MCP client over Streamable HTTP (agents/mcp/http_transport.hpp)
// against a fake server in the test process (fake_mcp_http_server.hpp):
// sessions, JSON and event-stream answers, resumption with Last-Event-ID
// after a graceful close, a new handshake after a 404, DELETE at the end.

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agents/mcp/client.hpp"
#include "fake_mcp_http_server.hpp"
#include "runtime/error.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::errc;
using bsm::mcp::client;
using bsm::test::fake_mcp_http_server;
using bsm::test::mcp_http_request;

bsm::mcp::http_transport_options endpoint(const fake_mcp_http_server& srv) {
  bsm::mcp::http_transport_options opts;
  opts.url = srv.url();
  opts.headers = {{"Authorization", "Bearer test-secret"}};
  return opts;
}

std::unique_ptr<client> connect(const fake_mcp_http_server& srv,
                                bsm::mcp::client_options opts = {}) {
  auto result = client::connect_http(endpoint(srv), std::move(opts), 10s);
  if (!result) {
    ADD_FAILURE() << bsm::render(result.error());
    return nullptr;
  }
  return std::move(*result);
}

std::vector<mcp_http_request> with_method(const fake_mcp_http_server& srv,
                                          const std::string& method) {
  std::vector<mcp_http_request> out;
  for (const auto& r : srv.seen())
    if (r.method == method)
      out.push_back(r);
  return out;
}

TEST(McpHttpClient, CallsToolsInASessionAndDeletesItAtTheEnd) {
  fake_mcp_http_server srv;
  std::vector<std::string> logged;
  bsm::mcp::client_options opts;
  opts.log = [&logged](std::string_view x) {
    logged.emplace_back(x);
  };
  auto c = connect(srv, opts);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->server().name, "fake-http");
  EXPECT_EQ(c->process(), nullptr);
  auto tools = c->list_tools(10s);
  ASSERT_TRUE(tools) << bsm::render(tools.error());
  ASSERT_EQ(tools->size(), 3u);
  EXPECT_EQ(tools->front().name, "echo");
  auto echoed = c->call_tool("echo", R"({"message":"over http"})", 10s);
  ASSERT_TRUE(echoed) << bsm::render(echoed.error());
  EXPECT_EQ(echoed->content, "Echo: over http");
  EXPECT_FALSE(echoed->is_error);
  EXPECT_EQ(c->shutdown(2s), "session deleted");
  auto seen = srv.seen();
  ASSERT_GE(seen.size(), 5u);
  // initialize carries no session; everything after it the one it got.
  EXPECT_EQ(seen.front().method, "initialize");
  EXPECT_TRUE(seen.front().session_id.empty());
  EXPECT_TRUE(seen.front().protocol_version.empty());
  for (size_t i = 1; i < seen.size(); ++i) {
    SCOPED_TRACE(seen[i].verb + " " + seen[i].method);
    EXPECT_EQ(seen[i].session_id, "session-1");
    EXPECT_EQ(seen[i].protocol_version, "2025-11-25");
  }
  for (const auto& r : seen)
    EXPECT_EQ(r.authorization, "Bearer test-secret");
  for (const auto& r : with_method(srv, "tools/call"))
    EXPECT_EQ(r.accept, "application/json, text/event-stream");
  EXPECT_EQ(with_method(srv, "notifications/initialized").size(), 1u);
  EXPECT_EQ(seen.back().verb, "DELETE");
  // The server's log notification came through the stream before the
  // answer.
  bool noted = false;
  for (const auto& line : logged)
    noted = noted || line.find("echoing") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST(McpHttpClient, ResumesAStreamClosedBeforeItsAnswerWithLastEventId) {
  fake_mcp_http_server srv;
  auto c = connect(srv);
  ASSERT_TRUE(c);
  auto resumed = c->call_tool("resumable", "{}", 10s);
  ASSERT_TRUE(resumed) << bsm::render(resumed.error());
  EXPECT_EQ(resumed->content, "resumed after ev-1");
  std::vector<mcp_http_request> gets;
  for (const auto& r : srv.seen())
    if (r.verb == "GET" && !r.last_event_id.empty())
      gets.push_back(r);
  ASSERT_EQ(gets.size(), 1u);
  EXPECT_EQ(gets[0].last_event_id, "ev-1");
  EXPECT_EQ(gets[0].session_id, "session-1");
  EXPECT_EQ(gets[0].accept, "text/event-stream");
  // Still in the same session afterwards.
  auto echoed = c->call_tool("echo", R"({"message":"after"})", 10s);
  ASSERT_TRUE(echoed) << bsm::render(echoed.error());
  EXPECT_EQ(echoed->content, "Echo: after");
}

TEST(McpHttpClient, FailsACallWhoseStreamClosedWithoutAnEventId) {
  fake_mcp_http_server srv;
  auto c = connect(srv);
  ASSERT_TRUE(c);
  auto lost = c->call_tool("unresumable", "{}", 10s);
  ASSERT_FALSE(lost);
  EXPECT_TRUE(bsm::is(lost.error(), errc::unavailable))
    << bsm::render(lost.error());
  EXPECT_NE(bsm::render(lost.error()).find("no event id"), std::string::npos)
    << bsm::render(lost.error());
  EXPECT_TRUE(c->usable());
  auto echoed = c->call_tool("echo", R"({"message":"still here"})", 10s);
  ASSERT_TRUE(echoed) << bsm::render(echoed.error());
  EXPECT_EQ(echoed->content, "Echo: still here");
}

TEST(McpHttpClient, InitializesAnewWhenTheServerForgetsTheSession) {
  fake_mcp_http_server srv;
  auto c = connect(srv);
  ASSERT_TRUE(c);
  srv.forget_session();
  auto echoed = c->call_tool("echo", R"({"message":"again"})", 10s);
  ASSERT_TRUE(echoed) << bsm::render(echoed.error());
  EXPECT_EQ(echoed->content, "Echo: again");
  EXPECT_EQ(srv.sessions(),
            (std::vector<std::string>{"session-1", "session-2"}));
  auto calls = with_method(srv, "tools/call");
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].session_id, "session-1");
  EXPECT_EQ(calls[1].session_id, "session-2");
}

TEST(McpHttpClient, RefusesMessagesOverTheLimit) {
  fake_mcp_http_server srv;
  bsm::mcp::client_options opts;
  opts.max_line_bytes = 64;
  auto c = client::connect_http(endpoint(srv), opts, 10s);
  ASSERT_FALSE(c);
  EXPECT_TRUE(bsm::is(c.error(), errc::resource_exhausted))
    << bsm::render(c.error());
}

TEST(McpHttpClient, ReportsAnUnreachableServerWithoutItsSecrets) {
  bsm::mcp::http_transport_options opts;
  // A port nothing listens on (the fake's, after it stopped).
  {
    fake_mcp_http_server srv;
    opts.url = srv.url();
  }
  auto at = opts.url.find("://");
  opts.url.insert(at + 3, "user:pw@");
  opts.url += "?token=qs-secret";
  opts.headers = {{"Authorization", "Bearer header-secret"}};
  auto c = client::connect_http(opts, {}, 10s);
  ASSERT_FALSE(c);
  EXPECT_TRUE(bsm::is(c.error(), errc::unavailable)) << bsm::render(c.error());
  auto text = bsm::render(c.error());
  for (const auto* secret : {"pw@", "qs-secret", "header-secret"})
    EXPECT_EQ(text.find(secret), std::string::npos) << text;
}

TEST(McpHttpClient, RefusesAUrlThatIsNotHttp) {
  bsm::mcp::http_transport_options opts;
  opts.url = "ftp://127.0.0.1/mcp";
  auto c = client::connect_http(opts, {}, 1s);
  ASSERT_FALSE(c);
  EXPECT_TRUE(bsm::is(c.error(), errc::invalid_argument));
}

} // namespace
