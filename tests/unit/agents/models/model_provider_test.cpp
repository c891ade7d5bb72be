// The model provider's refusals that the in-process provider tests of
// tests/integration/openai_client_test.cpp leave out: every rule of
// validate(), a spawn with invalid options, and an openai request without
// a model name.

#include "agents/models/model_provider.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "runtime/error.hpp"
#include "runtime/system_config.hpp"

namespace {

using namespace std::chrono_literals;

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

class ModelProvider : public ::testing::Test {
protected:
  bsm::system_config cfg;
  caf::actor_system sys{cfg};
  bsm::metrics::registry reg;
  bsm::model_metrics metrics = bsm::model_metrics::make(reg);
};

TEST_F(ModelProvider, SpawnRefusesInvalidOptions) {
  bsm::model_provider_options opts;
  opts.max_concurrency = 0;
  auto p = bsm::spawn_model_provider(sys, opts, metrics);
  ASSERT_FALSE(p);
  EXPECT_TRUE(bsm::is(p.error(), bsm::errc::invalid_argument));
}

TEST_F(ModelProvider, RefusesAnOpenaiRequestWithoutAModelName) {
  auto provider = bsm::spawn_model_provider(sys, {}, metrics);
  ASSERT_TRUE(provider) << bsm::render(provider.error());
  bsm::v1::ModelRequest req;
  req.mutable_model()->set_provider("openai");
  caf::scoped_actor self{sys};
  caf::error refused;
  self->request(*provider, 10s, req)
    .receive([](bsm::v1::ModelResponse&) {},
             [&](caf::error& err) { refused = std::move(err); });
  EXPECT_TRUE(bsm::is(refused, bsm::errc::invalid_argument))
    << bsm::render(refused);
  EXPECT_EQ(metrics.requests.with({"openai", "invalid_argument"}).value(), 1u);
  caf::anon_send_exit(*provider, caf::exit_reason::user_shutdown);
}

} // namespace
