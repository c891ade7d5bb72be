// What a configured MCP server may ask of the node during a tool call
// (agents/mcp/client_features.hpp), through the real tool host subtree,
// model provider and event bus in one actor system, against fake
// Streamable HTTP servers in the test process (fake_mcp_http_server.hpp):
// "open" (elicitation: defaults, allow_sampling, roots, max_call_time) and
// "closed" (the defaults: decline, no sampling, no roots, no extension).

#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/after.hpp>
#include <caf/scoped_actor.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "actors/event_bus.hpp"
#include "agents/models/model_provider.hpp"
#include "agents/tools/tool_host.hpp"
#include "fake_mcp_http_server.hpp"
#include "runtime/error.hpp"
#include "runtime/metrics/registry.hpp"
#include "runtime/supervision/supervisor.hpp"
#include "runtime/system_config.hpp"
#include "tests/common/poll.hpp"

namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

class McpServerRequests : public ::testing::Test {
protected:
  bsm::system_config cfg;
  caf::actor_system sys{cfg};
  bsm::metrics::registry reg;
  std::shared_ptr<bsm::name_registry> names
    = std::make_shared<bsm::name_registry>();
  bsm::test::fake_mcp_http_server open_srv;
  bsm::test::fake_mcp_http_server closed_srv;
  std::vector<caf::actor> actors;

  void SetUp() override {
    auto bus = bsm::spawn_event_bus(sys, {}, bsm::event_metrics::make(reg));
    ASSERT_TRUE(bus) << bsm::render(bus.error());
    keep(bsm::event_bus_path, caf::actor_cast<caf::actor>(*bus));
    auto provider
      = bsm::spawn_model_provider(sys, {}, bsm::model_metrics::make(reg));
    ASSERT_TRUE(provider) << bsm::render(provider.error());
    keep(bsm::model_provider_path, caf::actor_cast<caf::actor>(*provider));
    bsm::tool_host_options opts;
    opts.tools.call_timeout = 1s;
    opts.tools.max_call_time = 1s;
    bsm::mcp_server_config open_cfg;
    open_cfg.name = "open";
    open_cfg.url = open_srv.url();
    open_cfg.elicitation = bsm::mcp::elicitation_policy::defaults;
    open_cfg.allow_sampling = true;
    open_cfg.roots = {{"file:///srv/shared", "shared"}};
    open_cfg.max_call_time = 60s;
    bsm::mcp_server_config closed_cfg;
    closed_cfg.name = "closed";
    closed_cfg.url = closed_srv.url();
    opts.tools.mcp_servers = {open_cfg, closed_cfg};
    opts.poll_interval = 100ms;
    opts.stop_grace = 300ms;
    opts.names = names;
    bsm::supervision_options sup;
    bsm::supervision_env env;
    env.names = names;
    bsm::supervisor_options root_opts;
    root_opts.children.push_back(bsm::tool_host_child(opts, sup, env));
    auto root = bsm::spawn_supervisor(sys, std::move(root_opts), env);
    ASSERT_TRUE(root) << bsm::render(root.error());
    actors.push_back(*root);
    ASSERT_TRUE(bsm::test::poll_until([&] {
      auto tools = list();
      return tools && tools->tools_size() == 14;
    }));
  }

  void TearDown() override {
    caf::scoped_actor self{sys};
    for (auto i = actors.rbegin(); i != actors.rend(); ++i) {
      self->monitor(*i);
      self->send_exit(*i, caf::exit_reason::user_shutdown);
      self->receive([](caf::down_msg&) {});
    }
  }

  void keep(const std::string& path, caf::actor x) {
    ASSERT_FALSE(names->put(path, x));
    actors.push_back(std::move(x));
  }

  caf::actor host() {
    auto x = names->get(bsm::tool_host_path);
    return x ? *x : caf::actor{};
  }

  caf::expected<bsm::v1::ToolListResponse> list() {
    caf::expected<bsm::v1::ToolListResponse> result = caf::error{};
    if (!host())
      return result;
    caf::scoped_actor self{sys};
    self->request(host(), 10s, bsm::v1::ToolListRequest{})
      .receive([&](bsm::v1::ToolListResponse& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  /// A call as an agent's turn makes it: with agent, session and model.
  static bsm::v1::ToolCallRequest request(const std::string& name,
                                          const std::string& args) {
    bsm::v1::ToolCallRequest req;
    req.set_name(name);
    req.set_arguments_json(args);
    req.set_agent("writer");
    req.set_session_id("s-1");
    req.set_turn_id("t-1");
    req.mutable_model()->set_provider("local");
    req.mutable_model()->set_name("local");
    return req;
  }

  caf::expected<bsm::v1::ToolCallResponse>
  call(const bsm::v1::ToolCallRequest& req) {
    caf::expected<bsm::v1::ToolCallResponse> result = caf::error{};
    caf::scoped_actor self{sys};
    self->request(host(), 60s, req)
      .receive([&](bsm::v1::ToolCallResponse& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  /// The client's answer, as the fake server's tool reports it.
  json answer(const std::string& tool, const std::string& args = "{}") {
    auto r = call(request(tool, args));
    if (!r) {
      ADD_FAILURE() << tool << ": " << bsm::render(r.error());
      return {};
    }
    EXPECT_EQ(r->sampling_usage().total_tokens(), 0u) << tool;
    return json::parse(r->content(), nullptr, false);
  }
};

} // namespace

TEST_F(McpServerRequests, SamplingIsAnsweredByTheCallingAgentsModel) {
  auto r = call(request("open__sample", R"({"text":"hello there"})"));
  ASSERT_TRUE(r) << bsm::render(r.error());
  auto doc = json::parse(r->content(), nullptr, false);
  ASSERT_TRUE(doc.contains("result")) << r->content();
  EXPECT_EQ(doc["result"]["role"], "assistant");
  EXPECT_EQ(doc["result"]["model"], "local");
  EXPECT_EQ(doc["result"]["content"]["text"].get<std::string>().rfind(
              "(local provider:", 0),
            0u)
    << r->content();
  // The tokens come back for the agent to count.
  EXPECT_GT(r->sampling_usage().prompt_tokens(), 0u);
  EXPECT_EQ(r->sampling_usage().total_tokens(),
            r->sampling_usage().prompt_tokens()
              + r->sampling_usage().completion_tokens());
  EXPECT_EQ(open_srv.initialize_params()["capabilities"],
            json::parse(R"({"elicitation":{"form":{}},"sampling":{},
              "roots":{"listChanged":false}})"));
}

TEST_F(McpServerRequests, SamplingWithoutPermissionGetsAClearError) {
  auto doc = answer("closed__sample", R"({"text":"hello"})");
  EXPECT_EQ(doc["error"]["code"], -32601) << doc;
  EXPECT_NE(doc["error"]["message"].get<std::string>().find(
              "sampling is not offered to this server"),
            std::string::npos)
    << doc;
  EXPECT_EQ(closed_srv.initialize_params()["capabilities"],
            json::parse(R"({"elicitation":{"form":{}}})"));
}

TEST_F(McpServerRequests, SamplingOutsideAnAgentsCallIsRefused) {
  auto req = request("open__sample", R"({"text":"hello"})");
  req.clear_model();
  auto r = call(req);
  ASSERT_TRUE(r) << bsm::render(r.error());
  auto doc = json::parse(r->content(), nullptr, false);
  EXPECT_EQ(doc["error"]["code"], -32600) << r->content();
}

TEST_F(McpServerRequests, ElicitationFollowsEachServersPolicy) {
  auto accepted = answer("open__elicit");
  EXPECT_EQ(accepted["result"]["action"], "accept") << accepted;
  EXPECT_EQ(accepted["result"]["content"]["name"], "John Doe") << accepted;
  auto declined = answer("closed__elicit");
  EXPECT_EQ(declined["result"], json::parse(R"({"action":"decline"})"))
    << declined;
}

TEST_F(McpServerRequests, RootsAreListedWhereConfigured) {
  EXPECT_EQ(
    answer("open__roots")["result"],
    json::parse(R"({"roots":[{"uri":"file:///srv/shared","name":"shared"}]})"));
  EXPECT_EQ(answer("closed__roots")["error"]["code"], -32601);
}

TEST_F(McpServerRequests, ProgressGoesToTheBusAndExtendsTheDeadline) {
  caf::scoped_actor watcher{sys};
  bsm::v1::SubscribeRequest sub;
  sub.set_pattern("mcp.progress");
  auto bus = names->get(bsm::event_bus_path);
  ASSERT_TRUE(bus);
  bool subscribed = false;
  watcher->request(caf::actor_cast<bsm::event_bus_actor>(*bus), 5s, sub)
    .receive([&](bsm::v1::SubscribeResponse&) { subscribed = true; },
             [](caf::error&) {});
  ASSERT_TRUE(subscribed);
  // 6 steps of 300ms: 2.1s, past the 1s call_timeout, each step within it.
  auto r = call(request("open__progress", R"({"steps":6,"interval_ms":300})"));
  ASSERT_TRUE(r) << bsm::render(r.error());
  EXPECT_EQ(r->content(), "done after 6 steps");
  std::vector<json> events;
  for (int i = 0; i < 6; ++i)
    watcher->receive(
      [&](bsm::v1::Event& ev) {
        EXPECT_EQ(ev.topic(), "mcp.progress");
        EXPECT_EQ(ev.source(), "tools/mcp_open");
        events.push_back(json::parse(ev.data_json()));
      },
      caf::after(10s) >> [] {});
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[0], json::parse(R"({"agent":"writer","session_id":"s-1",
    "turn_id":"t-1","server":"open","tool":"progress","progress":1,
    "total":6,"message":"step 1"})"));
  EXPECT_EQ(events[5]["progress"], 6);
  // Where max_call_time is the call_timeout, progress extends nothing.
  auto cut
    = call(request("closed__progress", R"({"steps":6,"interval_ms":300})"));
  ASSERT_FALSE(cut);
  EXPECT_TRUE(bsm::is(cut.error(), bsm::errc::deadline_exceeded))
    << bsm::render(cut.error());
}
