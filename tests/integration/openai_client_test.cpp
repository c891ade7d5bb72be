// The OpenAI-compatible client (agents/models/openai_client.hpp) and the
// model provider actor against a scripted upstream (scripted_upstream.hpp):
// the project's own HTTP server on 127.0.0.1:0, answering each request with
// the next reply of a script and recording what it saw.

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/after.hpp>
#include <caf/scoped_actor.hpp>
#include <nlohmann/json.hpp>

#include "agents/models/local_model.hpp"
#include "agents/models/model_provider.hpp"
#include "agents/models/openai_client.hpp"
#include "node/node_config.hpp"
#include "runtime/error.hpp"
#include "runtime/metrics/registry.hpp"
#include "runtime/system_config.hpp"

#include "scripted_upstream.hpp"

namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
namespace models = bsm::models;

using bsm::test::chunk;
using bsm::test::completion;
using bsm::test::error_body;
using bsm::test::json_reply;
using bsm::test::scripted_upstream;
using bsm::test::sse_reply;
using bsm::test::tool_call_chunk;

models::openai_endpoint endpoint_of(const scripted_upstream& up) {
  models::openai_endpoint ep;
  ep.base_url = up.base_url();
  ep.timeout = 10s;
  ep.connect_timeout = 2s;
  ep.max_retries = 2;
  ep.backoff_initial = 5ms;
  ep.backoff_max = 20ms;
  return ep;
}

bsm::v1::ModelRequest hello_request() {
  bsm::v1::ModelRequest req;
  req.mutable_model()->set_provider("openai");
  req.mutable_model()->set_name("scripted-model");
  auto* msg = req.add_messages();
  msg->set_role("user");
  msg->set_content("Say hello");
  req.set_request_id("req-1");
  return req;
}

/// A handler that appends each piece it gets to `into`: content as it is,
/// a tool call's first fragment "#<index> <id> <name> <arguments>", a
/// later one "#<index> +<arguments>".
models::delta_handler collect(std::vector<std::string>& into) {
  return [&into](const bsm::v1::ChatDelta& piece) {
    if (!piece.has_tool_call_fragment())
      return into.push_back(piece.content());
    const auto& x = piece.tool_call_fragment();
    auto head = "#" + std::to_string(x.index()) + " ";
    if (x.id().empty() && x.name().empty())
      into.push_back(head + "+" + x.arguments());
    else
      into.push_back(head + x.id() + " " + x.name() + " " + x.arguments());
  };
}

std::string message_of(const caf::error& err) {
  return bsm::render(err);
}

/// A port on 127.0.0.1 where nothing listens (bound, then closed).
uint16_t closed_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor acceptor{
    ioc, {boost::asio::ip::make_address("127.0.0.1"), 0}};
  return acceptor.local_endpoint().port();
}

} // namespace

// -- the client ---------------------------------------------------------------

TEST(OpenAiClient, ReturnsPlainCompletion) {
  scripted_upstream up;
  up.push(json_reply(200, completion("Hello!")));
  auto ep = endpoint_of(up);
  ep.api_key = "sk-test";
  auto res = models::complete(ep, hello_request(), {});
  ASSERT_TRUE(res) << message_of(res.error());
  EXPECT_EQ(res->message().role(), "assistant");
  EXPECT_EQ(res->message().content(), "Hello!");
  EXPECT_EQ(res->finish_reason(), "stop");
  EXPECT_EQ(res->usage().total_tokens(), 7u);
  EXPECT_EQ(res->model(), "scripted-model");
  EXPECT_GT(res->provider_micros(), 0u);
  auto seen = up.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].target, "/v1/chat/completions");
  EXPECT_EQ(seen[0].authorization, "Bearer sk-test");
  EXPECT_EQ(seen[0].accept, "application/json");
  EXPECT_EQ(seen[0].body["model"], "scripted-model");
  EXPECT_EQ(seen[0].body["stream"], false);
  EXPECT_EQ(seen[0].body["messages"][0]["content"], "Say hello");
}

TEST(OpenAiClient, ReturnsToolCallAndSendsNoKeyWhenNoneIsSet) {
  scripted_upstream up;
  up.push(json_reply(200, json::parse(R"({
    "id":"chatcmpl-2","object":"chat.completion","model":"scripted-model",
    "choices":[{"index":0,"message":{"role":"assistant","content":null,
      "tool_calls":[{"id":"call_w","type":"function",
        "function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},
      "finish_reason":"tool_calls"}]})")));
  auto req = hello_request();
  auto* tool = req.add_tools();
  tool->set_name("get_weather");
  tool->set_parameters_json(R"({"type":"object"})");
  auto res = models::complete(endpoint_of(up), req, {});
  ASSERT_TRUE(res) << message_of(res.error());
  EXPECT_EQ(res->finish_reason(), "tool_calls");
  ASSERT_EQ(res->message().tool_calls_size(), 1);
  EXPECT_EQ(res->message().tool_calls(0).id(), "call_w");
  EXPECT_EQ(res->message().tool_calls(0).arguments_json(),
            R"({"city":"Oslo"})");
  auto seen = up.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].authorization, "");
  EXPECT_EQ(seen[0].body["tools"][0]["function"]["name"], "get_weather");
}

TEST(OpenAiClient, StreamsContentAndAssemblesToolCallFragments) {
  scripted_upstream up;
  up.push(sse_reply({
    chunk({{"role", "assistant"}, {"content", ""}}),
    chunk({{"content", "Hel"}}),
    chunk({{"content", "lo"}}),
    chunk({{"tool_calls",
            {{{"index", 0},
              {"id", "call_s"},
              {"type", "function"},
              {"function", {{"name", "lookup"}, {"arguments", ""}}}}}}}),
    chunk({{"tool_calls",
            {{{"index", 0}, {"function", {{"arguments", "{\"q\":"}}}}}}}),
    chunk({{"tool_calls",
            {{{"index", 0}, {"function", {{"arguments", "\"bsm\"}"}}}}}}}),
    chunk(json::object(), "tool_calls"),
    R"({"id":"chatcmpl-s","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":6,"total_tokens":10}})",
    "[DONE]",
  }));
  std::vector<std::string> deltas;
  auto res
    = models::complete(endpoint_of(up), hello_request(), collect(deltas));
  ASSERT_TRUE(res) << message_of(res.error());
  EXPECT_EQ(deltas, (std::vector<std::string>{"Hel", "lo"}));
  EXPECT_EQ(res->message().content(), "Hello");
  ASSERT_EQ(res->message().tool_calls_size(), 1);
  EXPECT_EQ(res->message().tool_calls(0).name(), "lookup");
  EXPECT_EQ(res->message().tool_calls(0).arguments_json(), R"({"q":"bsm"})");
  EXPECT_EQ(res->finish_reason(), "tool_calls");
  EXPECT_EQ(res->usage().total_tokens(), 10u);
  auto seen = up.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].accept, "text/event-stream");
  EXPECT_EQ(seen[0].body["stream"], true);
  EXPECT_EQ(seen[0].body["stream_options"]["include_usage"], true);
}

TEST(OpenAiClient, RetriesAfter429HonouringRetryAfter) {
  scripted_upstream up;
  up.push(json_reply(429, error_body("Rate limit reached", "requests"),
                     {{"Retry-After", "1"}}));
  up.push(json_reply(200, completion("after the wait")));
  models::completion_control ctl;
  auto start = std::chrono::steady_clock::now();
  auto res = models::complete(endpoint_of(up), hello_request(), {}, &ctl);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(res) << message_of(res.error());
  EXPECT_EQ(res->message().content(), "after the wait");
  EXPECT_EQ(up.requests(), 2u);
  EXPECT_EQ(ctl.retries, 1u);
  // The backoff alone would be 5ms: the upstream's second was honoured.
  EXPECT_GE(elapsed, 950ms);
}

TEST(OpenAiClient, Retries500ThenSucceeds) {
  scripted_upstream up;
  up.push(
    json_reply(500, error_body("The server had an error", "server_error")));
  up.push(json_reply(200, completion("recovered")));
  models::completion_control ctl;
  auto res = models::complete(endpoint_of(up), hello_request(), {}, &ctl);
  ASSERT_TRUE(res) << message_of(res.error());
  EXPECT_EQ(res->message().content(), "recovered");
  EXPECT_EQ(up.requests(), 2u);
  EXPECT_EQ(ctl.retries, 1u);
}

TEST(OpenAiClient, Exhausted429RetriesAreResourceExhausted) {
  scripted_upstream up;
  for (int i = 0; i < 3; ++i)
    up.push(json_reply(429, error_body("Slow down", "requests"),
                       {{"retry-after-ms", "10"}}));
  auto res = models::complete(endpoint_of(up), hello_request(), {});
  ASSERT_FALSE(res);
  EXPECT_TRUE(bsm::is(res.error(), bsm::errc::resource_exhausted))
    << message_of(res.error());
  EXPECT_NE(message_of(res.error()).find("Slow down"), std::string::npos);
  EXPECT_EQ(up.requests(), 3u); // the first try and max_retries = 2
}

TEST(OpenAiClient, SlowReplyHitsTheDeadline) {
  scripted_upstream up;
  // Held past the end of the test: only a deadline can end the call, and
  // the endpoint's own would outlast the test's timeout.
  up.push_held(json_reply(200, completion("too late")));
  auto ep = endpoint_of(up);
  ep.timeout = 1h;
  auto req = hello_request();
  req.set_timeout_ms(300);
  auto res = models::complete(ep, req, {});
  ASSERT_FALSE(res);
  EXPECT_TRUE(bsm::is(res.error(), bsm::errc::deadline_exceeded))
    << message_of(res.error());
  EXPECT_EQ(up.requests(), 1u);
}

TEST(OpenAiClient, BadRequestIsInvalidArgumentWithTheUpstreamMessage) {
  scripted_upstream up;
  up.push(json_reply(400, error_body("Invalid value for 'temperature'",
                                     "invalid_request_error")));
  up.push(json_reply(200, completion("never asked for")));
  auto res = models::complete(endpoint_of(up), hello_request(), {});
  ASSERT_FALSE(res);
  EXPECT_TRUE(bsm::is(res.error(), bsm::errc::invalid_argument))
    << message_of(res.error());
  EXPECT_NE(message_of(res.error()).find("Invalid value for 'temperature'"),
            std::string::npos);
  EXPECT_NE(message_of(res.error()).find("400"), std::string::npos);
  EXPECT_EQ(up.requests(), 1u);
}

TEST(OpenAiClient, RefusedConnectionIsUnavailableAfterRetries) {
  models::openai_endpoint ep;
  ep.base_url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/v1";
  ep.max_retries = 1;
  ep.backoff_initial = 5ms;
  ep.backoff_max = 5ms;
  models::completion_control ctl;
  auto res = models::complete(ep, hello_request(), {}, &ctl);
  ASSERT_FALSE(res);
  EXPECT_TRUE(bsm::is(res.error(), bsm::errc::unavailable))
    << message_of(res.error());
  EXPECT_EQ(ctl.retries, 1u);
}

// The fragments of a call of a relayed tool go to the handler in order
// with the content; the calls of other tools do not.
TEST(OpenAiClient, StreamsTheFragmentsOfRelayedToolCallsOnly) {
  scripted_upstream up;
  up.push(sse_reply({
    chunk({{"role", "assistant"}, {"content", "On it."}}),
    tool_call_chunk(0, "call_m", "memory_get", "{}"),
    tool_call_chunk(1, "call_l", "lookup", ""),
    tool_call_chunk(1, "", "", R"({"q":)"),
    tool_call_chunk(1, "", "", R"("bsm"})"),
    chunk(json::object(), "tool_calls"),
    "[DONE]",
  }));
  auto req = hello_request();
  req.add_relay_tool_calls("lookup");
  std::vector<std::string> deltas;
  auto res = models::complete(endpoint_of(up), req, collect(deltas));
  ASSERT_TRUE(res) << message_of(res.error());
  EXPECT_EQ(deltas, (std::vector<std::string>{"On it.", "#1 call_l lookup ",
                                              "#1 +{\"q\":", "#1 +\"bsm\"}"}));
  ASSERT_EQ(res->message().tool_calls_size(), 2);
  EXPECT_EQ(res->message().tool_calls(1).arguments_json(), R"({"q":"bsm"})");
}

TEST(OpenAiClient, AnUpstreamThatIgnoredStreamHasItsRelayedCallsPassedWhole) {
  scripted_upstream up;
  up.push(json_reply(
    200, bsm::test::tool_calls_completion(
           {bsm::test::tool_call("call_1", "memory_get", "{}"),
            bsm::test::tool_call("call_2", "lookup", R"({"q":"x"})")})));
  auto req = hello_request();
  req.add_relay_tool_calls("lookup");
  std::vector<std::string> deltas;
  auto res = models::complete(endpoint_of(up), req, collect(deltas));
  ASSERT_TRUE(res) << message_of(res.error());
  EXPECT_EQ(deltas,
            (std::vector<std::string>{"#1 call_2 lookup {\"q\":\"x\"}"}));
}

TEST(OpenAiClient, NeverRetriesAStreamOnceAToolCallFragmentWasForwarded) {
  scripted_upstream up;
  up.push(sse_reply({
    tool_call_chunk(0, "call_l", "lookup", "{"),
    error_body("The server had an error", "server_error").dump(),
  }));
  up.push(json_reply(200, completion("must not be asked")));
  auto req = hello_request();
  req.add_relay_tool_calls("lookup");
  std::vector<std::string> deltas;
  auto res = models::complete(endpoint_of(up), req, collect(deltas));
  ASSERT_FALSE(res);
  EXPECT_TRUE(bsm::is(res.error(), bsm::errc::unavailable))
    << message_of(res.error());
  EXPECT_EQ(deltas, std::vector<std::string>{"#0 call_l lookup {"});
  EXPECT_EQ(up.requests(), 1u);
}

TEST(OpenAiClient, NeverRetriesAStreamOnceContentWasForwarded) {
  scripted_upstream up;
  up.push(sse_reply({
    chunk({{"role", "assistant"}, {"content", "Par"}}),
    error_body("The server had an error", "server_error").dump(),
  }));
  up.push(json_reply(200, completion("must not be asked")));
  std::vector<std::string> deltas;
  auto res
    = models::complete(endpoint_of(up), hello_request(), collect(deltas));
  ASSERT_FALSE(res);
  EXPECT_TRUE(bsm::is(res.error(), bsm::errc::unavailable))
    << message_of(res.error());
  EXPECT_NE(message_of(res.error()).find("The server had an error"),
            std::string::npos);
  EXPECT_EQ(deltas, std::vector<std::string>{"Par"});
  EXPECT_EQ(up.requests(), 1u);
}

TEST(OpenAiClient, RetriesAStreamThatFailedBeforeAnyContent) {
  scripted_upstream up;
  up.push(sse_reply({
    error_body("overloaded", "server_error").dump(),
  }));
  up.push(sse_reply(
    {chunk({{"content", "ok"}}), chunk(json::object(), "stop"), "[DONE]"}));
  std::vector<std::string> deltas;
  auto res
    = models::complete(endpoint_of(up), hello_request(), collect(deltas));
  ASSERT_TRUE(res) << message_of(res.error());
  EXPECT_EQ(deltas, std::vector<std::string>{"ok"});
  EXPECT_EQ(up.requests(), 2u);
}

// -- the model provider actor -------------------------------------------------

namespace {

class ModelProviderActor : public testing::Test {
protected:
  void start(bsm::model_provider_options opts) {
    auto spawned = bsm::spawn_model_provider(sys, std::move(opts), metrics);
    ASSERT_TRUE(spawned) << bsm::render(spawned.error());
    provider = *spawned;
  }

  bsm::model_provider_options options() {
    bsm::model_provider_options opts;
    opts.openai = endpoint_of(up);
    return opts;
  }

  caf::expected<bsm::v1::ModelResponse> ask(const bsm::v1::ModelRequest& req) {
    caf::expected<bsm::v1::ModelResponse> result{caf::error{}};
    self->request(provider, caf::infinite, req)
      .receive([&](bsm::v1::ModelResponse& res) { result = std::move(res); },
               [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  /// The deltas in `sink`'s mailbox, in order, waiting up to 5 s for each
  /// of `n` and then briefly for more.
  std::vector<std::string> deltas_of(caf::scoped_actor& sink, size_t n) {
    std::vector<std::string> result;
    bool more = true;
    while (more) {
      auto wait = result.size() < n ? std::chrono::milliseconds{5000}
                                    : std::chrono::milliseconds{100};
      sink->receive(
        [&](bsm::v1::ChatDelta& delta) { result.push_back(delta.content()); },
        caf::after(wait) >> [&] { more = false; });
    }
    return result;
  }

  uint64_t count(const std::string& provider_label,
                 const std::string& outcome) {
    return metrics.requests.with({provider_label, outcome}).value();
  }

  void TearDown() override {
    if (provider)
      self->send_exit(provider, caf::exit_reason::user_shutdown);
  }

  // Outlive the actor system: its workers talk to the upstream, and the
  // provider holds the series.
  scripted_upstream up;
  bsm::metrics::registry reg;
  bsm::model_metrics metrics = bsm::model_metrics::make(reg);
  bsm::system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  bsm::model_provider_actor provider;
};

} // namespace

TEST_F(ModelProviderActor, StreamsOpenAiDeltasToTheSinkInOrder) {
  up.push(sse_reply({chunk({{"role", "assistant"}, {"content", ""}}),
                     chunk({{"content", "one "}}), chunk({{"content", "two "}}),
                     chunk({{"content", "three"}}),
                     chunk(json::object(), "stop"), "[DONE]"}));
  start(options());
  caf::scoped_actor sink{sys};
  caf::expected<bsm::v1::ModelResponse> result{caf::error{}};
  self
    ->request(provider, caf::infinite, hello_request(),
              caf::actor_cast<caf::actor>(sink.ptr()))
    .receive([&](bsm::v1::ModelResponse& res) { result = std::move(res); },
             [&](caf::error& err) { result = std::move(err); });
  ASSERT_TRUE(result) << bsm::render(result.error());
  EXPECT_EQ(result->message().content(), "one two three");
  EXPECT_EQ(deltas_of(sink, 3),
            (std::vector<std::string>{"one ", "two ", "three"}));
  EXPECT_EQ(count("openai", "ok"), 1u);
  EXPECT_EQ(metrics.duration.with({"openai"}).count(), 1u);
}

TEST_F(ModelProviderActor, AnswersLocalRequestsInline) {
  start(options());
  auto req = hello_request();
  req.mutable_model()->set_provider("local");
  req.mutable_model()->set_name("local");
  auto res = ask(req);
  ASSERT_TRUE(res) << bsm::render(res.error());
  EXPECT_EQ(res->message().content().rfind(models::honesty_marker, 0), 0u);
  caf::scoped_actor sink{sys};
  caf::expected<bsm::v1::ModelResponse> streamed{caf::error{}};
  self
    ->request(provider, caf::infinite, req,
              caf::actor_cast<caf::actor>(sink.ptr()))
    .receive([&](bsm::v1::ModelResponse& x) { streamed = std::move(x); },
             [&](caf::error& err) { streamed = std::move(err); });
  ASSERT_TRUE(streamed);
  // A word at a time, in order, the whole content.
  const auto& content = streamed->message().content();
  std::vector<std::string> words;
  for (auto piece : models::word_pieces(content))
    words.emplace_back(piece);
  ASSERT_GT(words.size(), 1u);
  EXPECT_EQ(deltas_of(sink, words.size()), words);
  EXPECT_EQ(count("local", "ok"), 2u);
  EXPECT_EQ(up.requests(), 0u);
}

TEST_F(ModelProviderActor, RefusesUnknownProviderAndUnsetKeyVariable) {
  start(options());
  auto req = hello_request();
  req.mutable_model()->set_provider("anthropic");
  auto res = ask(req);
  ASSERT_FALSE(res);
  EXPECT_TRUE(bsm::is(res.error(), bsm::errc::invalid_argument));
  EXPECT_EQ(count("unknown", "invalid_argument"), 1u);
  req.mutable_model()->set_provider("openai");
  req.mutable_model()->set_api_key_env("BSM_TEST_SURELY_UNSET_KEY");
  res = ask(req);
  ASSERT_FALSE(res);
  EXPECT_TRUE(bsm::is(res.error(), bsm::errc::invalid_argument));
  EXPECT_EQ(up.requests(), 0u);
}

TEST_F(ModelProviderActor, UsesTheKeyOfTheRequestsApiKeyEnv) {
  up.push(json_reply(200, completion("a")));
  up.push(json_reply(200, completion("b")));
  auto opts = options();
  opts.openai.api_key = "sk-node";
  opts.environment = {{"TEAM_KEY", "sk-team"}};
  start(opts);
  ASSERT_TRUE(ask(hello_request()));
  auto req = hello_request();
  req.mutable_model()->set_api_key_env("TEAM_KEY");
  ASSERT_TRUE(ask(req));
  auto seen = up.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].authorization, "Bearer sk-node");
  EXPECT_EQ(seen[1].authorization, "Bearer sk-team");
}

TEST_F(ModelProviderActor, QueuesBeyondConcurrencyAndRefusesWhenFull) {
  up.push_delayed(300ms, json_reply(200, completion("first")));
  up.push_delayed(300ms, json_reply(200, completion("second")));
  auto opts = options();
  opts.max_concurrency = 1;
  opts.max_queued = 1;
  start(opts);
  // All three are sent before any answer: one runs, one waits, one is
  // refused.
  auto first = self->request(provider, caf::infinite, hello_request());
  auto second = self->request(provider, caf::infinite, hello_request());
  auto third = self->request(provider, caf::infinite, hello_request());
  std::vector<std::string> outcomes;
  auto collect = [&](auto& handle) {
    handle.receive(
      [&](bsm::v1::ModelResponse& res) {
        outcomes.push_back(res.message().content());
      },
      [&](caf::error& err) {
        outcomes.push_back(bsm::is(err, bsm::errc::resource_exhausted)
                             ? "resource_exhausted"
                             : bsm::render(err));
      });
  };
  collect(first);
  collect(second);
  collect(third);
  EXPECT_EQ(outcomes, (std::vector<std::string>{"first", "second",
                                                "resource_exhausted"}));
  EXPECT_EQ(up.requests(), 2u);
  EXPECT_EQ(count("openai", "resource_exhausted"), 1u);
}

TEST(ModelProvider, ResolvesEndpointOverridesWithoutLeakingTheNodeKey) {
  bsm::model_provider_options opts;
  opts.openai.base_url = "https://api.openai.com/v1";
  opts.openai.api_key = "sk-node";
  opts.environment = {{"LOCAL_KEY", "sk-local"}, {"EMPTY", ""}};
  bsm::v1::ModelSettings model;
  auto same = bsm::resolve_endpoint(opts, model);
  ASSERT_TRUE(same);
  EXPECT_EQ(same->api_key, "sk-node");
  model.set_base_url("http://127.0.0.1:11434/v1");
  auto other = bsm::resolve_endpoint(opts, model);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->base_url, "http://127.0.0.1:11434/v1");
  EXPECT_EQ(other->api_key, "");
  model.set_api_key_env("LOCAL_KEY");
  auto keyed = bsm::resolve_endpoint(opts, model);
  ASSERT_TRUE(keyed);
  EXPECT_EQ(keyed->api_key, "sk-local");
  model.set_api_key_env("EMPTY");
  EXPECT_FALSE(bsm::resolve_endpoint(opts, model));
  model.set_api_key_env("");
  model.set_base_url("file:///etc/passwd");
  EXPECT_FALSE(bsm::resolve_endpoint(opts, model));
}

TEST(ModelProvider, OptionsComeFromTheConfigAndTheEnvironment) {
  bsm::node_config cfg;
  cfg.openai.base_url = "http://127.0.0.1:8000/v1";
  cfg.openai.api_key_env = "MY_OPENAI_KEY";
  cfg.openai.max_concurrency = 3;
  cfg.openai.max_retries = 4;
  auto opts = bsm::model_provider_options::from(
    cfg.openai, {{"MY_OPENAI_KEY", "sk-from-env"}});
  EXPECT_EQ(opts.openai.base_url, "http://127.0.0.1:8000/v1");
  EXPECT_EQ(opts.openai.api_key, "sk-from-env");
  EXPECT_EQ(opts.openai.max_retries, 4u);
  EXPECT_EQ(opts.max_concurrency, 3u);
  EXPECT_EQ(bsm::validate(opts), caf::error{});
  cfg.openai.api_key = "sk-from-file";
  EXPECT_EQ(bsm::model_provider_options::from(
              cfg.openai, {{"MY_OPENAI_KEY", "sk-from-env"}})
              .openai.api_key,
            "sk-from-file");
  opts.max_concurrency = 0;
  EXPECT_NE(bsm::validate(opts), caf::error{});
}
