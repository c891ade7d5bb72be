// A plugin's actor kind (plugin_kinds.hpp): its handler's answers as a
// plain function, and its actor on a real actor system: an ask answered
// with the reply type, a failure and an unparsable reply as errors, an
// undeclared type refused, and a throwing handler answered with an error
// before the actor exits for its supervisor to restart.

#include "plugins/plugin_kinds.hpp"

#include <caf/scoped_actor.hpp>
#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "runtime/system_config.hpp"

namespace {

using bsm::plugins::outcome;

struct fixture {
  std::shared_ptr<bsm::type_registry> types
    = std::make_shared<bsm::type_registry>(
      bsm::type_registry::with_bsm_v1_types());
  bsm::plugins::plugin_ptr plugin;

  fixture() {
    bsm::plugins::plugin_loader loader{
      [t = types](const std::string& x) { return t->contains(x); }, {}};
    auto p = loader.load(TEST_PLUGIN_GOOD);
    if (!p)
      throw std::runtime_error(bsm::render(p.error()));
    plugin = *p;
  }

  const bsm::plugin::actor_kind_spec& kind() const {
    return plugin->contents().actor_kinds.at(0);
  }
};

bsm::v1::PingRequest ping(uint64_t sequence) {
  bsm::v1::PingRequest req;
  req.set_sequence(sequence);
  return req;
}

TEST(PluginKinds, HandleMessageReportsEachOutcome) {
  fixture f;
  auto ok = bsm::plugins::handle_message(
    f.kind(), {"bsm.v1.PingRequest", R"({"sequence":"5"})"});
  EXPECT_EQ(ok.how, outcome::ok);
  EXPECT_EQ(ok.reply.type_name, "bsm.v1.PingResponse");
  EXPECT_FALSE(ok.error);
  auto failed = bsm::plugins::handle_message(
    f.kind(), {"bsm.v1.PingRequest", R"({"sequence":"7"})"});
  EXPECT_EQ(failed.how, outcome::error);
  EXPECT_EQ(bsm::render(failed.error),
            "internal: actor kind 'pinger': seven is refused");
  auto thrown = bsm::plugins::handle_message(
    f.kind(), {"bsm.v1.PingRequest", R"({"sequence":"13"})"});
  EXPECT_EQ(thrown.how, outcome::exception);
  EXPECT_EQ(bsm::render(thrown.error),
            "internal: actor kind 'pinger' failed: thirteen is unlucky");
}

TEST(PluginKinds, TheActorAnswersRefusesAndExitsAfterAThrow) {
  fixture f;
  bsm::system_config cfg;
  caf::actor_system sys{cfg};
  bsm::metrics::registry reg;
  bsm::plugins::plugin_set set;
  set.loaded.push_back(f.plugin);
  auto metrics = bsm::plugins::plugin_metrics::make(reg, set);
  auto actor
    = bsm::plugins::spawn_kind(sys, {f.plugin, 0, f.types.get(), metrics});
  caf::scoped_actor self{sys};
  constexpr auto timeout = std::chrono::seconds{30};
  self->request(actor, timeout, ping(5))
    .receive(
      [](const bsm::v1::PingResponse& resp) {
        EXPECT_EQ(resp.sequence(), 5u);
        EXPECT_EQ(resp.node(), "pinger");
      },
      [](const caf::error& err) { FAIL() << bsm::render(err); });
  auto expect_error = [&](auto msg, bsm::errc code, const std::string& text) {
    self->request(actor, timeout, std::move(msg))
      .receive([](const bsm::v1::PingResponse&) { FAIL() << "an answer"; },
               [&](const caf::error& err) {
                 EXPECT_TRUE(bsm::is(err, code)) << bsm::render(err);
                 EXPECT_NE(bsm::render(err).find(text), std::string::npos)
                   << bsm::render(err);
               });
  };
  expect_error(ping(7), bsm::errc::internal, "seven is refused");
  expect_error(ping(8), bsm::errc::internal, "that does not parse");
  expect_error(bsm::v1::NodeInfoRequest{}, bsm::errc::invalid_argument,
               "takes bsm.v1.PingRequest");
  // Still there after errors; a throw ends it after its answer.
  self->monitor(actor);
  expect_error(ping(13), bsm::errc::internal, "thirteen is unlucky");
  bool down = false;
  self->receive([&](const caf::down_msg& msg) {
    down = true;
    EXPECT_TRUE(bsm::is(msg.reason, bsm::errc::internal));
  });
  EXPECT_TRUE(down);
  auto text = reg.to_text();
  EXPECT_NE(text.find("bsm_plugin_messages_total{kind=\"pinger\","
                      "outcome=\"exception\"} 1"),
            std::string::npos)
    << text;
  EXPECT_NE(text.find("bsm_plugin_messages_total{kind=\"pinger\","
                      "outcome=\"refused\"} 2"),
            std::string::npos)
    << text;
}

} // namespace
