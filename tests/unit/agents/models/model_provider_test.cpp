// The model provider's refusals: options out of range, request overrides
// that cannot apply, unknown providers, and openai requests beyond its
// workers and queue. The upstream is a real loopback socket that accepts
// connections and never answers, so calls end by their own deadline.

#include "agents/models/model_provider.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "runtime/error.hpp"
#include "runtime/system_config.hpp"

namespace {

using namespace std::chrono_literals;

/// A loopback listener that never accepts: connections complete in the
/// backlog and every request waits for an answer that does not come.
class silent_upstream {
public:
  silent_upstream() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0
        && ::listen(fd_, 16) == 0
        && ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      port_ = ntohs(addr.sin_port);
  }

  ~silent_upstream() {
    if (fd_ >= 0)
      ::close(fd_);
  }

  silent_upstream(const silent_upstream&) = delete;
  silent_upstream& operator=(const silent_upstream&) = delete;

  /// 0 if the listener could not be set up.
  uint16_t port() const noexcept {
    return port_;
  }

  std::string base_url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/v1";
  }

private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

bsm::v1::ModelRequest openai_request(uint32_t timeout_ms) {
  bsm::v1::ModelRequest req;
  req.mutable_model()->set_provider("openai");
  req.mutable_model()->set_name("gpt-test");
  auto* msg = req.add_messages();
  msg->set_role("user");
  msg->set_content("hello");
  req.set_timeout_ms(timeout_ms);
  return req;
}

TEST(ModelProviderOptions, ValidateRefusesOptionsOutsideTheirRange) {
  EXPECT_FALSE(bsm::validate(bsm::model_provider_options{}));
  std::vector<std::function<void(bsm::model_provider_options&)>> breaks{
    [](auto& o) { o.max_concurrency = 0; },
    [](auto& o) { o.max_concurrency = 257; },
    [](auto& o) { o.openai.base_url = "ftp://example.org"; },
    [](auto& o) { o.openai.base_url = "http://"; },
    [](auto& o) { o.openai.timeout = 0ms; },
    [](auto& o) { o.openai.connect_timeout = -1ms; },
    [](auto& o) {
      o.openai.backoff_initial = 2s;
      o.openai.backoff_max = 1s;
    },
  };
  for (size_t i = 0; i < breaks.size(); ++i) {
    bsm::model_provider_options opts;
    breaks[i](opts);
    auto err = bsm::validate(opts);
    EXPECT_TRUE(bsm::is(err, bsm::errc::invalid_argument)) << "case " << i;
  }
}

TEST(ModelProviderOptions, ResolveEndpointKeepsTheNodesKeyForItsOwnUpstream) {
  bsm::model_provider_options opts;
  opts.openai.base_url = "http://upstream:8000/v1";
  opts.openai.api_key = "node-key";
  opts.environment = {{"TEAM_KEY", "team-key"}, {"EMPTY_KEY", ""}};
  bsm::v1::ModelSettings model;
  auto same = bsm::resolve_endpoint(opts, model);
  ASSERT_TRUE(same);
  EXPECT_EQ(same->api_key, "node-key");
  model.set_base_url("http://other:9000/v1");
  auto other = bsm::resolve_endpoint(opts, model);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->base_url, "http://other:9000/v1");
  EXPECT_EQ(other->api_key, "");
  model.set_api_key_env("TEAM_KEY");
  auto team = bsm::resolve_endpoint(opts, model);
  ASSERT_TRUE(team);
  EXPECT_EQ(team->api_key, "team-key");
  for (auto var : {"EMPTY_KEY", "UNSET_KEY"}) {
    model.set_api_key_env(var);
    auto missing = bsm::resolve_endpoint(opts, model);
    ASSERT_FALSE(missing) << var;
    EXPECT_TRUE(bsm::is(missing.error(), bsm::errc::invalid_argument));
  }
  model.set_api_key_env("");
  model.set_base_url("file:///etc/passwd");
  auto bad = bsm::resolve_endpoint(opts, model);
  ASSERT_FALSE(bad);
  EXPECT_TRUE(bsm::is(bad.error(), bsm::errc::invalid_argument));
}

TEST(ModelProviderOptions,
     FromTakesTheKeyFromTheEnvironmentWhenTheConfigHasNone) {
  bsm::openai_options openai;
  openai.api_key_env = "BSM_TEST_KEY";
  openai.max_concurrency = 3;
  auto opts
    = bsm::model_provider_options::from(openai, {{"BSM_TEST_KEY", "k"}});
  EXPECT_EQ(opts.openai.api_key, "k");
  EXPECT_EQ(opts.max_concurrency, 3u);
  openai.api_key = "configured";
  EXPECT_EQ(bsm::model_provider_options::from(openai, {{"BSM_TEST_KEY", "k"}})
              .openai.api_key,
            "configured");
}

class ModelProvider : public ::testing::Test {
protected:
  ~ModelProvider() override {
    if (provider)
      caf::anon_send_exit(provider, caf::exit_reason::user_shutdown);
  }

  void start(bsm::model_provider_options opts) {
    auto p = bsm::spawn_model_provider(sys, std::move(opts), metrics);
    ASSERT_TRUE(p) << bsm::render(p.error());
    provider = *p;
  }

  uint64_t answered(const std::string& provider_label,
                    const std::string& outcome) {
    return metrics.requests.with({provider_label, outcome}).value();
  }

  bsm::system_config cfg;
  caf::actor_system sys{cfg};
  bsm::metrics::registry reg;
  bsm::model_metrics metrics = bsm::model_metrics::make(reg);
  bsm::model_provider_actor provider;
};

TEST_F(ModelProvider, SpawnRefusesInvalidOptions) {
  bsm::model_provider_options opts;
  opts.max_concurrency = 0;
  auto p = bsm::spawn_model_provider(sys, opts, metrics);
  ASSERT_FALSE(p);
  EXPECT_TRUE(bsm::is(p.error(), bsm::errc::invalid_argument));
}

TEST_F(ModelProvider, RefusesUnknownProvidersAndIncompleteOpenaiRequests) {
  start({});
  caf::scoped_actor self{sys};
  auto refused = [&](bsm::v1::ModelRequest req) {
    caf::error result;
    self->request(provider, 10s, std::move(req))
      .receive([&](bsm::v1::ModelResponse&) {},
               [&](caf::error& err) { result = std::move(err); });
    return result;
  };
  bsm::v1::ModelRequest unknown;
  unknown.mutable_model()->set_provider("oracle");
  EXPECT_TRUE(bsm::is(refused(unknown), bsm::errc::invalid_argument));
  auto nameless = openai_request(1000);
  nameless.mutable_model()->clear_name();
  EXPECT_TRUE(bsm::is(refused(nameless), bsm::errc::invalid_argument));
  auto keyless = openai_request(1000);
  keyless.mutable_model()->set_api_key_env("BSM_NOT_SET_ANYWHERE");
  EXPECT_TRUE(bsm::is(refused(keyless), bsm::errc::invalid_argument));
  EXPECT_EQ(answered("unknown", "invalid_argument"), 1u);
  EXPECT_EQ(answered("openai", "invalid_argument"), 2u);
}

TEST_F(ModelProvider, StreamsALocalAnswerAsOneDelta) {
  start({});
  caf::scoped_actor self{sys};
  bsm::v1::ModelRequest req;
  req.mutable_model()->set_provider("local");
  req.mutable_model()->set_name("local");
  auto* msg = req.add_messages();
  msg->set_role("user");
  msg->set_content("hello");
  std::vector<std::string> seen;
  self->request(provider, 10s, req, caf::actor_cast<caf::actor>(self))
    .receive(
      [&](bsm::v1::ModelResponse& res) {
        seen.push_back("reply:" + res.message().content());
      },
      [&](caf::error& err) { seen.push_back(bsm::render(err)); });
  self->receive([&](bsm::v1::ChatDelta& d) { seen.push_back(d.content()); },
                caf::after(0s) >> [] {});
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ("reply:" + seen[1], seen[0]);
  EXPECT_EQ(answered("local", "ok"), 1u);
}

TEST_F(ModelProvider, RefusesOpenaiRequestsBeyondItsWorkersAndQueue) {
  silent_upstream upstream;
  ASSERT_NE(upstream.port(), 0);
  bsm::model_provider_options opts;
  opts.openai.base_url = upstream.base_url();
  opts.openai.max_retries = 0;
  opts.max_concurrency = 1;
  opts.max_queued = 1;
  start(opts);
  caf::scoped_actor self{sys};
  // One runs on the only worker, one waits, the third is refused. The
  // first two end by their own deadline; the waiting one runs after the
  // first on the released worker.
  std::vector<decltype(self->request(provider, 60s, openai_request(300)))>
    calls;
  for (int i = 0; i < 3; ++i)
    calls.push_back(self->request(provider, 60s, openai_request(300)));
  std::vector<caf::error> outcomes;
  for (auto& call : calls)
    call.receive([&](bsm::v1::ModelResponse&) { outcomes.emplace_back(); },
                 [&](caf::error& err) { outcomes.push_back(std::move(err)); });
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_TRUE(bsm::is(outcomes[2], bsm::errc::resource_exhausted))
    << bsm::render(outcomes[2]);
  for (size_t i = 0; i < 2; ++i)
    EXPECT_TRUE(bsm::is(outcomes[i], bsm::errc::deadline_exceeded)
                || bsm::is(outcomes[i], bsm::errc::unavailable))
      << bsm::render(outcomes[i]);
  EXPECT_EQ(answered("openai", "resource_exhausted"), 1u);
}

} // namespace
