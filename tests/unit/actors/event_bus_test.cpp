// The event bus on a real actor system, with scoped actors as subscribers.
// "No delivery" is shown by order, not by waiting: the bus delivers in
// publish order, so an event published before one that arrives first would
// have arrived before it.

#include "actors/event_bus.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <nlohmann/json.hpp>

#include "runtime/error.hpp"
#include "runtime/system_config.hpp"
#include "tests/common/poll.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::v1::Event;

class EventBus : public ::testing::Test {
protected:
  ~EventBus() override {
    if (bus)
      self->send_exit(bus, caf::exit_reason::user_shutdown);
  }

  void start(bsm::event_bus_options opts = {}) {
    auto spawned = bsm::spawn_event_bus(sys, opts, m, interest);
    ASSERT_TRUE(spawned) << bsm::render(spawned.error());
    bus = *spawned;
  }

  caf::expected<uint64_t> subscribe(caf::scoped_actor& who,
                                    const std::string& pattern) {
    bsm::v1::SubscribeRequest req;
    req.set_pattern(pattern);
    caf::expected<uint64_t> result{caf::error{}};
    who->request(bus, 5s, req)
      .receive(
        [&](bsm::v1::SubscribeResponse& resp) {
          result = resp.subscription_id();
        },
        [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  uint64_t must_subscribe(caf::scoped_actor& who, const std::string& pattern) {
    auto id = subscribe(who, pattern);
    EXPECT_TRUE(id) << bsm::render(id.error());
    return id ? *id : 0;
  }

  caf::error unsubscribe(uint64_t id) {
    bsm::v1::UnsubscribeRequest req;
    req.set_subscription_id(id);
    caf::error result;
    self->request(bus, 5s, req)
      .receive([](bsm::v1::UnsubscribeResponse&) {},
               [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  void publish(const std::string& topic, const std::string& data = "",
               int64_t time = 0, const std::string& source = "test") {
    bsm::v1::PublishRequest req;
    req.mutable_event()->set_topic(topic);
    req.mutable_event()->set_data_json(data);
    req.mutable_event()->set_time_unix_ms(time);
    req.mutable_event()->set_source(source);
    self->send(bus, std::move(req));
  }

  std::optional<Event> next_event(caf::scoped_actor& who) {
    std::optional<Event> result;
    who->receive([&](Event& ev) { result = std::move(ev); },
                 caf::after(5s) >> [] {});
    return result;
  }

  /// The topics of the next `n` events `who` receives.
  std::vector<std::string> next_topics(caf::scoped_actor& who, size_t n) {
    std::vector<std::string> result;
    for (size_t i = 0; i < n; ++i) {
      auto ev = next_event(who);
      if (!ev) {
        ADD_FAILURE() << "no event after " << result.size();
        break;
      }
      result.push_back(ev->topic());
    }
    return result;
  }

  /// Waits (bounded) until the subscription gauge reads `n`.
  bool await_subscriptions(double n) {
    for (int i = 0; i < 500; ++i) {
      if (m.subscriptions.value() == n)
        return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  // The registry outlives the actor system: the bus holds its series.
  bsm::metrics::registry reg;
  bsm::event_metrics m = bsm::event_metrics::make(reg);
  std::shared_ptr<bsm::events::topic_interest> interest
    = std::make_shared<bsm::events::topic_interest>();
  bsm::system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  caf::scoped_actor sub{sys};
  bsm::event_bus_actor bus;
};

TEST_F(EventBus, DeliversMatchingEventsOnly) {
  start();
  must_subscribe(sub, "agent.*.completed");
  publish("agent.a.started");
  publish("agent.a.completed", R"({"steps":3})", 1234, "agents/a");
  publish("task.created");
  publish("agent.b.completed");
  auto first = next_event(sub);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->topic(), "agent.a.completed");
  EXPECT_EQ(first->time_unix_ms(), 1234);
  EXPECT_EQ(first->source(), "agents/a");
  EXPECT_EQ(nlohmann::json::parse(first->data_json())["steps"], 3);
  EXPECT_EQ(next_topics(sub, 1), std::vector<std::string>{"agent.b.completed"});
  EXPECT_EQ(m.published.value(), 4u);
  EXPECT_EQ(m.delivered.value(), 2u);
}

TEST_F(EventBus, HashPatternMatchesTheWholeSubtree) {
  start();
  must_subscribe(sub, "task.#");
  publish("tasks.x");
  publish("task");
  publish("other.task.x");
  publish("task.a.b");
  EXPECT_EQ(next_topics(sub, 2),
            (std::vector<std::string>{"task", "task.a.b"}));
}

TEST_F(EventBus, DeliversToEverySubscriberWhosePatternMatches) {
  start();
  caf::scoped_actor other{sys};
  must_subscribe(sub, "#");
  must_subscribe(other, "b.*");
  publish("a.x");
  publish("b.y");
  EXPECT_EQ(next_topics(sub, 2), (std::vector<std::string>{"a.x", "b.y"}));
  EXPECT_EQ(next_topics(other, 1), std::vector<std::string>{"b.y"});
}

TEST_F(EventBus, DeliversEachEventOnceWhenSeveralPatternsOfASubscriberMatch) {
  start();
  must_subscribe(sub, "#");
  must_subscribe(sub, "a.*");
  must_subscribe(sub, "a.b");
  publish("a.b");
  publish("z");
  EXPECT_EQ(next_topics(sub, 2), (std::vector<std::string>{"a.b", "z"}));
  EXPECT_EQ(m.delivered.value(), 2u);
}

TEST_F(EventBus, UnsubscribeStopsDeliveryOfThatSubscriptionOnly) {
  start();
  auto a = must_subscribe(sub, "a.#");
  auto b = must_subscribe(sub, "b.#");
  EXPECT_NE(a, b);
  EXPECT_NE(a, 0u);
  ASSERT_FALSE(unsubscribe(a));
  publish("a.x");
  publish("b.y");
  EXPECT_EQ(next_topics(sub, 1), std::vector<std::string>{"b.y"});
  EXPECT_EQ(m.subscriptions.value(), 1.0);
}

TEST_F(EventBus, UnsubscribeOfUnknownIdIsNotFound) {
  start();
  auto id = must_subscribe(sub, "#");
  ASSERT_FALSE(unsubscribe(id));
  EXPECT_TRUE(bsm::is(unsubscribe(id), bsm::errc::not_found));
  EXPECT_TRUE(bsm::is(unsubscribe(4711), bsm::errc::not_found));
}

TEST_F(EventBus, SubscriberDeathRemovesItsSubscriptions) {
  bsm::event_bus_options opts;
  opts.max_subscriptions = 2;
  start(opts);
  {
    caf::scoped_actor doomed{sys};
    must_subscribe(doomed, "#");
    must_subscribe(doomed, "a.#");
    EXPECT_EQ(m.subscriptions.value(), 2.0);
    EXPECT_TRUE(
      bsm::is(subscribe(sub, "#").error(), bsm::errc::resource_exhausted));
  } // `doomed` terminates here; the bus sees its down_msg.
  ASSERT_TRUE(await_subscriptions(0.0));
  // Its slots are free again, and nothing goes to the dead subscriber.
  must_subscribe(sub, "#");
  publish("a.x");
  EXPECT_EQ(next_topics(sub, 1), std::vector<std::string>{"a.x"});
  EXPECT_EQ(m.delivered.value(), 1u);
}

// The publishers' question "does anyone want this topic?" follows the
// subscriptions: made, ended, their subscriber gone, their bus gone.
TEST_F(EventBus, KeepsTheTopicsItsSubscribersWant) {
  start();
  EXPECT_FALSE(interest->wants("task.running"));
  auto tasks = must_subscribe(sub, "task.#");
  EXPECT_TRUE(interest->wants("task.running"));
  EXPECT_FALSE(interest->wants("workflow.run.succeeded"));
  ASSERT_FALSE(unsubscribe(tasks));
  EXPECT_FALSE(interest->wants("task.running"));
  {
    caf::scoped_actor doomed{sys};
    must_subscribe(doomed, "workflow.#");
    EXPECT_TRUE(interest->wants("workflow.run.succeeded"));
  }
  ASSERT_TRUE(await_subscriptions(0.0));
  EXPECT_FALSE(interest->wants("workflow.run.succeeded"));
  must_subscribe(sub, "#");
  EXPECT_TRUE(interest->wants("anything.at.all"));
  self->send_exit(bus, caf::exit_reason::user_shutdown);
  bus = nullptr;
  EXPECT_TRUE(
    bsm::test::poll_until([&] { return !interest->wants("anything.at.all"); }));
}

TEST_F(EventBus, RejectsInvalidPatterns) {
  start();
  for (const char* pattern : {"", "a..b", "a.#.b", "a*", "a b"}) {
    auto id = subscribe(sub, pattern);
    ASSERT_FALSE(id) << pattern;
    EXPECT_TRUE(bsm::is(id.error(), bsm::errc::invalid_argument))
      << pattern << ": " << bsm::render(id.error());
  }
  EXPECT_EQ(m.subscriptions.value(), 0.0);
}

TEST_F(EventBus, RefusesSubscriptionsBeyondTheLimitUntilOneEnds) {
  bsm::event_bus_options opts;
  opts.max_subscriptions = 2;
  start(opts);
  must_subscribe(sub, "a");
  auto second = must_subscribe(sub, "b");
  auto third = subscribe(sub, "c");
  ASSERT_FALSE(third);
  EXPECT_TRUE(bsm::is(third.error(), bsm::errc::resource_exhausted))
    << bsm::render(third.error());
  ASSERT_FALSE(unsubscribe(second));
  EXPECT_TRUE(subscribe(sub, "c"));
}

TEST_F(EventBus, DropsAndCountsInvalidEvents) {
  bsm::event_bus_options opts;
  opts.max_data_bytes = 32;
  start(opts);
  must_subscribe(sub, "#");
  publish("bad topic");
  publish("a..b");
  publish("ok.array", "[1,2]");
  publish("ok.broken", R"({"a":)");
  publish("ok.big", R"({"text":")" + std::string(40, 'x') + R"("})");
  publish("ok.good", "", 0, "");
  auto ev = next_event(sub);
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->topic(), "ok.good");
  EXPECT_EQ(ev->data_json(), "{}");
  EXPECT_GT(ev->time_unix_ms(), 0);
  EXPECT_EQ(m.dropped_invalid_topic.value(), 2u);
  EXPECT_EQ(m.dropped_invalid_data.value(), 2u);
  EXPECT_EQ(m.dropped_too_large.value(), 1u);
  EXPECT_EQ(m.published.value(), 1u);
}

TEST_F(EventBus, MetricsAppearInTheTextFormat) {
  start();
  auto text = reg.to_text();
  for (const char* name :
       {"bsm_events_published_total", "bsm_events_delivered_total",
        "bsm_events_dropped_total{reason=\"invalid_topic\"}",
        "bsm_event_subscriptions"})
    EXPECT_NE(text.find(name), std::string::npos) << name;
}

TEST(EventBusOptions, RejectsZeroLimits) {
  bsm::event_bus_options opts;
  EXPECT_FALSE(bsm::validate(opts));
  opts.max_subscriptions = 0;
  EXPECT_TRUE(bsm::is(bsm::validate(opts), bsm::errc::invalid_argument));
  opts = {};
  opts.max_data_bytes = 0;
  EXPECT_TRUE(bsm::is(bsm::validate(opts), bsm::errc::invalid_argument));
}

TEST(EventBusState, CountsSubscriptionsAcrossIncarnations) {
  bsm::metrics::registry reg;
  auto m = bsm::event_metrics::make(reg);
  bsm::system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor who{sys};
  {
    bsm::event_bus_state st;
    st.metrics.emplace(m);
    ASSERT_TRUE(
      st.subscribe(caf::actor_cast<caf::strong_actor_ptr>(who), "a.#"));
    ASSERT_TRUE(st.subscribe(caf::actor_cast<caf::strong_actor_ptr>(who), "b"));
    EXPECT_EQ(m.subscriptions.value(), 2.0);
    EXPECT_EQ(st.recipients("a.x").size(), 1u);
    EXPECT_TRUE(st.recipients("c").empty());
  } // A bus that terminates takes its subscriptions off the gauge.
  EXPECT_EQ(m.subscriptions.value(), 0.0);
}

} // namespace
