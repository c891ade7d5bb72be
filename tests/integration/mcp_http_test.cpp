// The MCP client over Streamable HTTP (agents/mcp/http_transport.hpp)
// against a fake server in the test process (fake_mcp_http_server.hpp):
// sessions, JSON and event-stream answers, resumption with Last-Event-ID
// after a graceful close, a new handshake after a 404, DELETE at the end;
// the server's requests during a call (elicitation, sampling, roots) and
// its progress notifications.

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
  ASSERT_EQ(tools->size(), 7u);
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

// -- the server's requests during a call --------------------------------------

bsm::mcp::client_options with_elicitation(bsm::mcp::elicitation_policy p) {
  bsm::mcp::client_options opts;
  opts.on_elicitation = [p](const std::string& params) {
    return bsm::mcp::answer_elicitation(p, params);
  };
  return opts;
}

/// The client's answer as the fake's tool reports it.
nlohmann::json answer_of(const bsm::mcp::tool_result& result) {
  return nlohmann::json::parse(result.content, nullptr, false);
}

TEST(McpHttpClient, DeclaresOnlyTheCapabilitiesItHasHandlersFor) {
  fake_mcp_http_server bare;
  ASSERT_TRUE(connect(bare));
  EXPECT_EQ(bare.initialize_params()["capabilities"], nlohmann::json::object());
  fake_mcp_http_server full;
  auto opts = with_elicitation(bsm::mcp::elicitation_policy::decline);
  opts.on_sampling = [](const std::string&) {
    return bsm::mcp::rpc_answer::ok("{}");
  };
  opts.roots = std::vector<bsm::mcp::root>{};
  ASSERT_TRUE(connect(full, opts));
  EXPECT_EQ(full.initialize_params()["capabilities"],
            nlohmann::json::parse(R"({"elicitation":{"form":{}},
              "sampling":{},"roots":{"listChanged":false}})"));
}

TEST(McpHttpClient, AcceptsAnElicitationWithTheSchemasDefaults) {
  fake_mcp_http_server srv;
  auto c
    = connect(srv, with_elicitation(bsm::mcp::elicitation_policy::defaults));
  ASSERT_TRUE(c);
  auto r = c->call_tool("elicit", "{}", 10s);
  ASSERT_TRUE(r) << bsm::render(r.error());
  auto answer = answer_of(*r);
  EXPECT_EQ(answer["result"]["action"], "accept") << r->content;
  EXPECT_EQ(answer["result"]["content"],
            nlohmann::json::parse(R"({"name":"John Doe","age":30,
              "score":95.5,"status":"active","verified":true})"));
  // A required field without a default: declined.
  auto required = c->call_tool(
    "elicit",
    R"({"schema":{"type":"object","properties":{"why":{"type":"string"}},
        "required":["why"]}})",
    10s);
  ASSERT_TRUE(required) << bsm::render(required.error());
  EXPECT_EQ(answer_of(*required)["result"]["action"], "decline")
    << required->content;
}

TEST(McpHttpClient, DeclinesAnElicitationUnderThePolicyDecline) {
  fake_mcp_http_server srv;
  auto c
    = connect(srv, with_elicitation(bsm::mcp::elicitation_policy::decline));
  ASSERT_TRUE(c);
  auto r = c->call_tool("elicit", "{}", 10s);
  ASSERT_TRUE(r) << bsm::render(r.error());
  EXPECT_EQ(answer_of(*r),
            nlohmann::json::parse(R"({"result":{"action":"decline"}})"));
}

TEST(McpHttpClient, RefusesSamplingAndRootsItDoesNotOffer) {
  fake_mcp_http_server srv;
  auto c = connect(srv);
  ASSERT_TRUE(c);
  auto sampled = c->call_tool("sample", R"({"text":"hi"})", 10s);
  ASSERT_TRUE(sampled) << bsm::render(sampled.error());
  auto error = answer_of(*sampled)["error"];
  EXPECT_EQ(error["code"], -32601) << sampled->content;
  EXPECT_NE(error["message"].get<std::string>().find(
              "sampling is not offered to this server"),
            std::string::npos)
    << sampled->content;
  auto roots = c->call_tool("roots", "{}", 10s);
  ASSERT_TRUE(roots) << bsm::render(roots.error());
  EXPECT_EQ(answer_of(*roots)["error"]["code"], -32601) << roots->content;
  // The client goes on in the same session.
  auto echoed = c->call_tool("echo", R"({"message":"still"})", 10s);
  ASSERT_TRUE(echoed) << bsm::render(echoed.error());
  EXPECT_EQ(echoed->content, "Echo: still");
}

TEST(McpHttpClient, AnswersSamplingAndRootsThroughItsHandlers) {
  fake_mcp_http_server srv;
  bsm::mcp::client_options opts;
  std::string asked;
  opts.on_sampling = [&asked](const std::string& params) {
    asked = params;
    return bsm::mcp::rpc_answer::ok(
      R"({"role":"assistant","content":{"type":"text","text":"sampled"},"model":"m"})");
  };
  opts.roots = std::vector<bsm::mcp::root>{{"file:///srv/a", "a"}};
  auto c = connect(srv, opts);
  ASSERT_TRUE(c);
  auto sampled = c->call_tool("sample", R"({"text":"hi"})", 10s);
  ASSERT_TRUE(sampled) << bsm::render(sampled.error());
  EXPECT_EQ(answer_of(*sampled)["result"]["content"]["text"], "sampled");
  EXPECT_NE(asked.find(R"("text":"hi")"), std::string::npos) << asked;
  auto roots = c->call_tool("roots", "{}", 10s);
  ASSERT_TRUE(roots) << bsm::render(roots.error());
  EXPECT_EQ(
    answer_of(*roots)["result"],
    nlohmann::json::parse(R"({"roots":[{"uri":"file:///srv/a","name":"a"}]})"));
}

TEST(McpHttpClient, ProgressExtendsTheCallsDeadline) {
  fake_mcp_http_server srv;
  std::vector<bsm::mcp::progress_update> updates;
  bsm::mcp::client_options opts;
  opts.on_progress = [&updates](const bsm::mcp::progress_update& x) {
    updates.push_back(x);
  };
  auto c = connect(srv, opts);
  ASSERT_TRUE(c);
  // 10 steps of 300ms: 3.3s in all, past the 2s timeout, but never 2s
  // without a sign of life.
  auto r
    = c->call_tool("progress", R"({"steps":10,"interval_ms":300})", 2s, 60s);
  ASSERT_TRUE(r) << bsm::render(r.error());
  EXPECT_EQ(r->content, "done after 10 steps");
  ASSERT_EQ(updates.size(), 10u);
  EXPECT_EQ(updates[9].progress, 10);
  EXPECT_EQ(updates[9].total, 10);
  EXPECT_EQ(updates[9].message, "step 10");
  // Every call carries a token of its own, and progress names it.
  auto tokens = srv.progress_tokens();
  ASSERT_EQ(tokens.size(), 1u);
  ASSERT_TRUE(tokens[0].is_string());
  EXPECT_EQ(updates[0].token_json, tokens[0].dump());
}

TEST(McpHttpClient, ProgressExtendsNoFurtherThanTheMaximum) {
  fake_mcp_http_server srv;
  auto c = connect(srv);
  ASSERT_TRUE(c);
  // Progress every 200ms for 1.8s, but the call may take 1s at most.
  auto r
    = c->call_tool("progress", R"({"steps":8,"interval_ms":200})", 600ms, 1s);
  ASSERT_FALSE(r);
  EXPECT_TRUE(bsm::is(r.error(), errc::deadline_exceeded))
    << bsm::render(r.error());
  // Without a maximum above the timeout, progress does not extend it.
  auto plain
    = c->call_tool("progress", R"({"steps":8,"interval_ms":200})", 600ms);
  ASSERT_FALSE(plain);
  EXPECT_TRUE(bsm::is(plain.error(), errc::deadline_exceeded))
    << bsm::render(plain.error());
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
