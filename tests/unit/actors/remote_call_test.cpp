// Asks and tells by path across two nodes in one process: node A's
// directory routes to node B, whose real cluster ingress serves the call
// (the handle a real connection would give). Covers routing errors (no
// such name, owner down, not connected), a message of an unregistered
// type, and an owner that goes away between routing and answering.

#include "actors/remote_call.hpp"

#include <gtest/gtest.h>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <spdlog/sinks/null_sink.h>

#include "actors/cluster_ingress.hpp"
#include "actors/node_info_actor.hpp"
#include "runtime/system_config.hpp"
#include "tests/common/actor_down.hpp"

namespace {

using namespace std::chrono_literals;

class RemoteCall : public ::testing::Test {
protected:
  RemoteCall() {
    dir_a->set_incarnation(5);
    dir_b->set_incarnation(3);
    dir_a->set_members(
      {member("node-b", 3, bsm::v1::MEMBER_STATE_UP,
              {"remote/info", "remote/probe"}),
       member("node-c", 1, bsm::v1::MEMBER_STATE_DOWN, {"down/info"}),
       member("node-d", 1, bsm::v1::MEMBER_STATE_UP, {"unconnected/info"})});
    dir_b->set_members({member("node-a", 5, bsm::v1::MEMBER_STATE_UP, {})});
    ingress_b = sys.spawn(bsm::cluster_ingress, ingress_env(names_b, dir_b));
    dir_a->set_connection("node-b", caf::actor_cast<caf::actor>(ingress_b));
    bsm::node_info_options info;
    info.node_name = "node-b";
    info_b = sys.spawn(bsm::node_info, info);
    EXPECT_FALSE(
      names_b->put("remote/info", caf::actor_cast<caf::actor>(info_b)));
    info.node_name = "node-a";
    info_a = sys.spawn(bsm::node_info, info);
    EXPECT_FALSE(
      names_a->put("local/info", caf::actor_cast<caf::actor>(info_a)));
    env_a.names = names_a;
    env_a.directory = dir_a;
    env_a.types = &types;
  }

  ~RemoteCall() override {
    for (auto& handle : {caf::actor_cast<caf::actor>(ingress_b),
                         caf::actor_cast<caf::actor>(info_a),
                         caf::actor_cast<caf::actor>(info_b)})
      caf::anon_send_exit(handle, caf::exit_reason::user_shutdown);
  }

  static bsm::cluster::member_info member(const std::string& name,
                                          uint64_t incarnation,
                                          bsm::v1::MemberState state,
                                          std::vector<std::string> names) {
    bsm::cluster::member_info m;
    m.record.set_name(name);
    m.record.set_incarnation(incarnation);
    for (auto& n : names)
      m.record.add_names(n);
    m.state = state;
    return m;
  }

  bsm::cluster_ingress_env
  ingress_env(std::shared_ptr<bsm::name_registry> names,
              std::shared_ptr<bsm::cluster::directory> dir) {
    bsm::cluster_ingress_env env;
    env.names = std::move(names);
    env.directory = std::move(dir);
    env.types = &types;
    env.log = std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::null_sink_mt>());
    return env;
  }

  static caf::message ping(uint64_t sequence) {
    bsm::v1::PingRequest req;
    req.set_sequence(sequence);
    return caf::make_message(std::move(req));
  }

  /// Whose timer ends an ask: CAF's clock, or the asker's own
  /// (actors/timed_request.hpp).
  enum class timed_by { caf_clock, own_timer };

  struct asker_state {
    bsm::request_deadlines deadlines;
  };

  /// Runs ask_anywhere from an actor of node A; the answer (a PingResponse)
  /// or the error as the result.
  caf::expected<bsm::v1::PingResponse>
  ask(const std::string& path, timed_by timer = timed_by::caf_clock,
      std::chrono::milliseconds timeout = 10s) {
    caf::scoped_actor waiter{sys};
    auto env = env_a;
    auto to = caf::actor_cast<caf::actor>(waiter);
    sys.spawn(
      [env, path, to, timer, timeout](caf::stateful_actor<asker_state>* self) {
        auto* deadlines
          = timer == timed_by::own_timer ? &self->state.deadlines : nullptr;
        bsm::ask_anywhere(
          self, env, path, ping(9), timeout,
          [self, to](caf::message reply) {
            self->send(to, std::move(reply));
            self->quit();
          },
          [self, to](caf::error err) {
            self->send(to, std::move(err));
            self->quit();
          },
          deadlines);
        return caf::behavior{
          [self](bsm::atom::deadline) { self->state.deadlines.on_timer(self); },
        };
      });
    caf::expected<bsm::v1::PingResponse> result{caf::error{}};
    waiter->receive([&](bsm::v1::PingResponse& x) { result = std::move(x); },
                    [&](caf::error& err) { result = std::move(err); },
                    caf::after(30s) >>
                      [&] {
                        result = bsm::make_error(bsm::errc::deadline_exceeded,
                                                 "no answer in the test");
                      });
    return result;
  }

  bsm::system_config cfg;
  caf::actor_system sys{cfg};
  bsm::type_registry types = bsm::type_registry::with_bsm_v1_types();
  std::shared_ptr<bsm::name_registry> names_a
    = std::make_shared<bsm::name_registry>();
  std::shared_ptr<bsm::name_registry> names_b
    = std::make_shared<bsm::name_registry>();
  std::shared_ptr<bsm::cluster::directory> dir_a
    = std::make_shared<bsm::cluster::directory>("node-a", names_a);
  std::shared_ptr<bsm::cluster::directory> dir_b
    = std::make_shared<bsm::cluster::directory>("node-b", names_b);
  bsm::remote_call_env env_a;
  bsm::cluster_ingress_actor ingress_b;
  bsm::node_info_actor info_a;
  bsm::node_info_actor info_b;
};

TEST_F(RemoteCall, RoutesEveryPathHereWithoutADirectory) {
  bsm::remote_call_env local = env_a;
  local.directory = nullptr;
  auto here = bsm::route_call(local, "local/info");
  ASSERT_TRUE(here) << bsm::render(here.error());
  EXPECT_TRUE(here->local);
  auto missing = bsm::route_call(local, "remote/info");
  ASSERT_FALSE(missing);
  EXPECT_TRUE(bsm::is(missing.error(), bsm::errc::not_found));
}

TEST_F(RemoteCall, RoutesToTheOwnerAndRefusesOneDownOrNotConnected) {
  auto local = bsm::route_call(env_a, "local/info");
  ASSERT_TRUE(local) << bsm::render(local.error());
  EXPECT_TRUE(local->local);
  auto remote = bsm::route_call(env_a, "remote/info");
  ASSERT_TRUE(remote) << bsm::render(remote.error());
  EXPECT_FALSE(remote->local);
  EXPECT_EQ(remote->node, "node-b");
  EXPECT_EQ(remote->remote, caf::actor_cast<caf::actor>(ingress_b));
  for (auto path : {"down/info", "unconnected/info"}) {
    auto refused = bsm::route_call(env_a, path);
    ASSERT_FALSE(refused) << path;
    EXPECT_TRUE(bsm::is(refused.error(), bsm::errc::unavailable))
      << bsm::render(refused.error());
  }
  auto nobody = bsm::route_call(env_a, "nobody/anywhere");
  ASSERT_FALSE(nobody);
  EXPECT_TRUE(bsm::is(nobody.error(), bsm::errc::not_found));
}

TEST_F(RemoteCall, AsksALocalActorDirectly) {
  auto pong = ask("local/info");
  ASSERT_TRUE(pong) << bsm::render(pong.error());
  EXPECT_EQ(pong->node(), "node-a");
  EXPECT_EQ(pong->sequence(), 9u);
}

TEST_F(RemoteCall, AsksAnotherNodesActorThroughItsClusterPort) {
  auto pong = ask("remote/info");
  ASSERT_TRUE(pong) << bsm::render(pong.error());
  EXPECT_EQ(pong->node(), "node-b");
  EXPECT_EQ(pong->sequence(), 9u);
}

TEST_F(RemoteCall, AsksLocallyAndRemotelyOnItsOwnTimer) {
  for (auto [path, node] : {std::pair{"local/info", "node-a"},
                            std::pair{"remote/info", "node-b"}}) {
    auto pong = ask(path, timed_by::own_timer);
    ASSERT_TRUE(pong) << path << ": " << bsm::render(pong.error());
    EXPECT_EQ(pong->node(), node);
  }
}

struct silent_state {
  std::vector<caf::response_promise> held;
};

TEST_F(RemoteCall, AnAskNobodyAnswersTimesOutOnItsOwnTimer) {
  auto silent = sys.spawn([](caf::stateful_actor<silent_state>* self) {
    return caf::behavior{
      [self](bsm::v1::PingRequest&) -> caf::result<bsm::v1::PingResponse> {
        self->state.held.push_back(self->make_response_promise());
        return caf::delegated<bsm::v1::PingResponse>{};
      },
    };
  });
  EXPECT_FALSE(names_a->put("local/silent", silent));
  auto failed = ask("local/silent", timed_by::own_timer, 50ms);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error(), caf::sec::request_timeout)
    << bsm::render(failed.error());
  caf::anon_send_exit(silent, caf::exit_reason::user_shutdown);
}

// The reply handler takes any registered bsm.v1 type (the tests above), an
// error, and refuses anything else as unexpected.
TEST_F(RemoteCall, AnErrorAnswerAndAnAnswerOfAnUnregisteredTypeReachOnError) {
  auto odd = sys.spawn([] {
    return caf::behavior{
      [](bsm::v1::PingRequest& req) -> caf::result<std::string> {
        if (req.sequence() == 9)
          return std::string{"not a bsm.v1 type"};
        return bsm::make_error(bsm::errc::not_found, "no such thing");
      },
    };
  });
  EXPECT_FALSE(names_a->put("local/odd", odd));
  for (auto timer : {timed_by::caf_clock, timed_by::own_timer}) {
    auto failed = ask("local/odd", timer);
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error(), caf::sec::unexpected_response)
      << bsm::render(failed.error());
  }
  caf::scoped_actor waiter{sys};
  auto env = env_a;
  auto to = caf::actor_cast<caf::actor>(waiter);
  sys.spawn([env, to](caf::event_based_actor* self) {
    bsm::ask_anywhere(
      self, env, "local/odd", ping(1), 10s,
      [self, to](caf::message) {
        self->send(to, std::string{"answered"});
        self->quit();
      },
      [self, to](caf::error err) {
        self->send(to, std::move(err));
        self->quit();
      });
  });
  caf::error got;
  waiter->receive([&](caf::error& err) { got = std::move(err); },
                  [&](std::string& what) {
                    got = bsm::make_error(bsm::errc::internal, what);
                  });
  EXPECT_TRUE(bsm::is(got, bsm::errc::not_found)) << bsm::render(got);
  caf::anon_send_exit(odd, caf::exit_reason::user_shutdown);
}

TEST_F(RemoteCall, AnAskThatCannotBeRoutedFailsAtOnce) {
  for (auto [path, code] :
       {std::pair{"down/info", bsm::errc::unavailable},
        std::pair{"nobody/anywhere", bsm::errc::not_found}}) {
    auto failed = ask(path);
    ASSERT_FALSE(failed) << path;
    EXPECT_TRUE(bsm::is(failed.error(), code)) << bsm::render(failed.error());
  }
}

TEST_F(RemoteCall, AnOwnerThatWentAwayDuringTheCallIsUnavailable) {
  // The connection still names node B's cluster port, but it is gone.
  caf::anon_send_exit(ingress_b, caf::exit_reason::kill);
  ASSERT_TRUE(bsm::test::terminates(sys, ingress_b));
  auto failed = ask("remote/info");
  ASSERT_FALSE(failed);
  EXPECT_TRUE(bsm::is(failed.error(), bsm::errc::unavailable))
    << bsm::render(failed.error());
}

TEST_F(RemoteCall, TellsLocalAndRemoteActors) {
  caf::scoped_actor probe_a{sys};
  caf::scoped_actor probe_b{sys};
  ASSERT_FALSE(
    names_a->put("local/probe", caf::actor_cast<caf::actor>(probe_a)));
  ASSERT_FALSE(
    names_b->put("remote/probe", caf::actor_cast<caf::actor>(probe_b)));
  ASSERT_FALSE(bsm::tell_anywhere(env_a, "local/probe", ping(1)));
  ASSERT_FALSE(bsm::tell_anywhere(env_a, "remote/probe", ping(2)));
  uint64_t local = 0;
  uint64_t remote = 0;
  probe_a->receive([&](bsm::v1::PingRequest& x) { local = x.sequence(); },
                   caf::after(30s) >> [] {});
  probe_b->receive([&](bsm::v1::PingRequest& x) { remote = x.sequence(); },
                   caf::after(30s) >> [] {});
  EXPECT_EQ(local, 1u);
  EXPECT_EQ(remote, 2u);
}

TEST_F(RemoteCall, RefusesToTellWhatCannotLeaveTheNode) {
  auto down = bsm::tell_anywhere(env_a, "down/info", ping(1));
  EXPECT_TRUE(bsm::is(down, bsm::errc::unavailable)) << bsm::render(down);
  // Only registered bsm.v1 messages have a wire form.
  auto unregistered = bsm::tell_anywhere(env_a, "remote/probe",
                                         caf::make_message(std::string{"x"}));
  EXPECT_TRUE(unregistered);
  auto ask_req = bsm::make_remote_ask(env_a, "remote/info",
                                      caf::make_message(std::string{"x"}), 1s);
  EXPECT_FALSE(ask_req);
}

} // namespace
