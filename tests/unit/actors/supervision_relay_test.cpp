// The supervision relay between a real supervisor and a real event bus,
// found by name in a real name registry, with a scoped actor subscribed to
// the bus.

#include "actors/supervision_relay.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <nlohmann/json.hpp>

#include "runtime/error.hpp"
#include "runtime/supervision/supervisor.hpp"
#include "runtime/system_config.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::v1::Event;
using bsm::v1::SupervisionEvent;
using crash_atom = caf::atom_constant<caf::atom("crash")>;

/// A worker that crashes on command.
caf::behavior worker(caf::event_based_actor* self) {
  return {
    [self](crash_atom) {
      self->quit(bsm::make_error(bsm::errc::internal, "crash on command"));
    },
  };
}

bsm::child_spec worker_child(const std::string& name) {
  bsm::child_spec spec;
  spec.name = name;
  spec.shutdown_timeout = 2s;
  spec.start = [](caf::actor_system& s,
                  const std::string&) -> caf::expected<caf::actor> {
    return s.spawn(worker);
  };
  return spec;
}

class SupervisionRelay : public ::testing::Test {
protected:
  ~SupervisionRelay() override {
    for (auto& handle : {sup, relay, caf::actor_cast<caf::actor>(bus)})
      if (handle)
        self->send_exit(handle, caf::exit_reason::user_shutdown);
  }

  /// Spawns a bus (not registered yet) and subscribes `sub` to `pattern`.
  void start_bus(const std::string& pattern = "supervision.#") {
    auto spawned = bsm::spawn_event_bus(sys, {}, m);
    ASSERT_TRUE(spawned) << bsm::render(spawned.error());
    bus = *spawned;
    subscribe(bus, pattern);
  }

  void subscribe(const bsm::event_bus_actor& to, const std::string& pattern) {
    bsm::v1::SubscribeRequest req;
    req.set_pattern(pattern);
    sub->request(to, 5s, req)
      .receive([](bsm::v1::SubscribeResponse&) {},
               [](caf::error& err) { FAIL() << bsm::render(err); });
  }

  void register_bus() {
    ASSERT_FALSE(
      names->put(bsm::event_bus_path, caf::actor_cast<caf::actor>(bus)));
  }

  void start_relay(bsm::supervision_relay_options opts = {}) {
    opts.retry_interval = 20ms;
    auto spawned = bsm::spawn_supervision_relay(sys, names, opts, m);
    ASSERT_TRUE(spawned) << bsm::render(spawned.error());
    relay = *spawned;
  }

  void start_supervisor(std::string path,
                        std::vector<bsm::child_spec> children) {
    bsm::supervisor_options opts;
    opts.path = std::move(path);
    opts.max_restarts = 100;
    opts.period = 60s;
    opts.backoff_initial = 1ms;
    opts.backoff_max = 5ms;
    opts.children = std::move(children);
    bsm::supervision_env env;
    env.names = names;
    env.observer = relay;
    auto spawned = bsm::spawn_supervisor(sys, std::move(opts), env);
    ASSERT_TRUE(spawned) << bsm::render(spawned.error());
    sup = *spawned;
  }

  /// Waits (bounded) until `path` names an actor other than `before`.
  caf::actor await_name(const std::string& path, caf::actor before = {}) {
    for (int i = 0; i < 500; ++i) {
      if (auto handle = names->get(path); handle && *handle != before)
        return *handle;
      std::this_thread::sleep_for(10ms);
    }
    ADD_FAILURE() << "nothing new registered as " << path;
    return {};
  }

  std::optional<Event> next_event() {
    std::optional<Event> result;
    sub->receive([&](Event& ev) { result = std::move(ev); },
                 caf::after(5s) >> [] {});
    return result;
  }

  /// The next `n` events as "topic child".
  std::vector<std::string> next_events(size_t n) {
    std::vector<std::string> result;
    for (size_t i = 0; i < n; ++i) {
      auto ev = next_event();
      if (!ev) {
        ADD_FAILURE() << "no event after " << result.size();
        break;
      }
      auto data = nlohmann::json::parse(ev->data_json());
      result.push_back(ev->topic() + " " + data["child"].get<std::string>());
    }
    return result;
  }

  /// Skips events until one with `topic` about `child` arrives.
  std::optional<Event> await_event(const std::string& topic,
                                   const std::string& child) {
    for (int i = 0; i < 100; ++i) {
      auto ev = next_event();
      if (!ev)
        break;
      if (ev->topic() == topic
          && nlohmann::json::parse(ev->data_json())["child"] == child)
        return ev;
    }
    ADD_FAILURE() << "no " << topic << " for " << child;
    return std::nullopt;
  }

  bool await_dropped(uint64_t n) {
    for (int i = 0; i < 500 && m.dropped_relay_overflow.value() < n; ++i)
      std::this_thread::sleep_for(10ms);
    return m.dropped_relay_overflow.value() == n;
  }

  // The registry outlives the actor system: bus and relay hold its series.
  bsm::metrics::registry reg;
  bsm::event_metrics m = bsm::event_metrics::make(reg);
  std::shared_ptr<bsm::name_registry> names
    = std::make_shared<bsm::name_registry>();
  bsm::system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  caf::scoped_actor sub{sys};
  bsm::event_bus_actor bus;
  caf::actor relay;
  caf::actor sup;
};

TEST_F(SupervisionRelay, PublishesSupervisionEventsInOrder) {
  start_bus();
  register_bus();
  start_relay();
  start_supervisor("sup", {worker_child("worker")});
  auto started = next_event();
  ASSERT_TRUE(started);
  EXPECT_EQ(started->topic(), "supervision.child_started");
  EXPECT_EQ(started->source(), "sup");
  EXPECT_GT(started->time_unix_ms(), 0);
  caf::anon_send(await_name("sup/worker"), crash_atom::value);
  auto crashed = next_event();
  ASSERT_TRUE(crashed);
  EXPECT_EQ(crashed->topic(), "supervision.child_crashed");
  auto data = nlohmann::json::parse(crashed->data_json());
  EXPECT_EQ(data["supervisor"], "sup");
  EXPECT_EQ(data["child"], "sup/worker");
  EXPECT_NE(data["reason"].get<std::string>().find("crash on command"),
            std::string::npos)
    << data.dump();
  EXPECT_EQ(data["restarts"], 0);
  auto restarted = next_event();
  ASSERT_TRUE(restarted);
  EXPECT_EQ(restarted->topic(), "supervision.child_restarted");
  EXPECT_EQ(nlohmann::json::parse(restarted->data_json())["backoff_ms"], 1);
  auto again = next_event();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->topic(), "supervision.child_started");
  EXPECT_EQ(nlohmann::json::parse(again->data_json())["restarts"], 1);
}

TEST_F(SupervisionRelay, DeliversEventsFromBeforeTheBusWasRegistered) {
  start_relay();
  start_supervisor("sup", {worker_child("worker")});
  auto first = await_name("sup/worker");
  caf::anon_send(first, crash_atom::value);
  await_name("sup/worker", first);
  // Only now does a bus appear; subscribe before it can be found.
  start_bus();
  register_bus();
  EXPECT_EQ(next_events(4), (std::vector<std::string>{
                              "supervision.child_started sup/worker",
                              "supervision.child_crashed sup/worker",
                              "supervision.child_restarted sup/worker",
                              "supervision.child_started sup/worker",
                            }));
  EXPECT_EQ(m.dropped_relay_overflow.value(), 0u);
}

TEST_F(SupervisionRelay, DropsTheOldestEventsWhenTheBufferIsFull) {
  bsm::supervision_relay_options opts;
  opts.max_buffered = 3;
  start_relay(opts);
  for (int i = 1; i <= 5; ++i) {
    SupervisionEvent ev;
    ev.set_kind(SupervisionEvent::KIND_CHILD_STOPPED);
    ev.set_child("c" + std::to_string(i));
    self->send(relay, ev);
  }
  // Two drops prove the relay has buffered all five without a bus.
  ASSERT_TRUE(await_dropped(2));
  start_bus();
  register_bus();
  EXPECT_EQ(next_events(3), (std::vector<std::string>{
                              "supervision.child_stopped c3",
                              "supervision.child_stopped c4",
                              "supervision.child_stopped c5",
                            }));
}

TEST_F(SupervisionRelay, FindsTheBusAgainAfterItRestarts) {
  // The node's wiring: the bus is the root's child "events", the relay the
  // root's observer.
  start_relay();
  start_supervisor("", {bsm::event_bus_child({}, m), worker_child("worker")});
  auto first_bus = await_name(bsm::event_bus_path);
  subscribe(caf::actor_cast<bsm::event_bus_actor>(first_bus), "supervision.*");
  caf::anon_send(await_name("worker"), crash_atom::value);
  auto crashed = await_event("supervision.child_crashed", "worker");
  ASSERT_TRUE(crashed);
  EXPECT_EQ(crashed->source(), "root");
  // Kill the bus; its supervisor starts a new one under the same name.
  self->send_exit(first_bus, caf::exit_reason::kill);
  auto second_bus = await_name(bsm::event_bus_path, first_bus);
  subscribe(caf::actor_cast<bsm::event_bus_actor>(second_bus), "supervision.*");
  auto worker_now = await_name("worker");
  caf::anon_send(worker_now, crash_atom::value);
  EXPECT_TRUE(await_event("supervision.child_crashed", "worker"));
  EXPECT_TRUE(await_event("supervision.child_started", "worker"));
}

TEST(SupervisionRelayEvent, MapsKindSourceAndData) {
  SupervisionEvent ev;
  ev.set_kind(SupervisionEvent::KIND_CHILD_RESTARTED);
  ev.set_supervisor("hub");
  ev.set_child("hub/task_queue");
  ev.set_reason("internal: boom");
  ev.set_backoff_ms(200);
  ev.set_restarts(3);
  ev.set_time_unix_ms(1700000000000);
  auto out = bsm::to_bus_event(ev);
  EXPECT_EQ(out.topic(), "supervision.child_restarted");
  EXPECT_EQ(out.source(), "hub");
  EXPECT_EQ(out.time_unix_ms(), 1700000000000);
  EXPECT_EQ(nlohmann::json::parse(out.data_json()),
            nlohmann::json::parse(R"({"supervisor":"hub",
              "child":"hub/task_queue","reason":"internal: boom",
              "backoff_ms":200,"restarts":3})"));
}

TEST(SupervisionRelayEvent, NamesEveryKindAndTheRoot) {
  const std::pair<SupervisionEvent::Kind, const char*> kinds[] = {
    {SupervisionEvent::KIND_CHILD_STARTED, "supervision.child_started"},
    {SupervisionEvent::KIND_CHILD_CRASHED, "supervision.child_crashed"},
    {SupervisionEvent::KIND_CHILD_RESTARTED, "supervision.child_restarted"},
    {SupervisionEvent::KIND_CHILD_STOPPED, "supervision.child_stopped"},
    {SupervisionEvent::KIND_ESCALATED, "supervision.escalated"},
    {SupervisionEvent::KIND_CHILD_KILLED, "supervision.child_killed"},
  };
  for (auto [kind, topic] : kinds) {
    SupervisionEvent ev;
    ev.set_kind(kind);
    auto out = bsm::to_bus_event(ev);
    EXPECT_EQ(out.topic(), topic);
    EXPECT_EQ(out.source(), "root");
    EXPECT_GT(out.time_unix_ms(), 0);
    EXPECT_FALSE(bsm::events::validate_topic(out.topic()));
  }
}

TEST(SupervisionRelayEvent, KeepsDataValidForAnyReasonBytes) {
  SupervisionEvent ev;
  ev.set_kind(SupervisionEvent::KIND_CHILD_CRASHED);
  ev.set_reason("bad \xff\xfe bytes \"quoted\"");
  auto out = bsm::to_bus_event(ev);
  ASSERT_TRUE(nlohmann::json::accept(out.data_json())) << out.data_json();
  auto reason = nlohmann::json::parse(out.data_json())["reason"];
  EXPECT_NE(reason.get<std::string>().find("\"quoted\""), std::string::npos);
}

TEST(SupervisionRelayOptions, RejectsBadValues) {
  bsm::supervision_relay_options opts;
  EXPECT_FALSE(bsm::validate(opts));
  opts.bus_path = "Not A Path";
  EXPECT_TRUE(bsm::is(bsm::validate(opts), bsm::errc::invalid_argument));
  opts = {};
  opts.max_buffered = 0;
  EXPECT_TRUE(bsm::is(bsm::validate(opts), bsm::errc::invalid_argument));
  opts = {};
  opts.retry_interval = std::chrono::milliseconds{0};
  EXPECT_TRUE(bsm::is(bsm::validate(opts), bsm::errc::invalid_argument));
}

} // namespace
