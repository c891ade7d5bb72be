#include "runtime/supervision/supervisor.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <map>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "runtime/error.hpp"
#include "runtime/system_config.hpp"

namespace {

using namespace std::chrono_literals;
using event = bsm::v1::SupervisionEvent;
using crash_atom = caf::atom_constant<caf::atom("crash")>;
using finish_atom = caf::atom_constant<caf::atom("finish")>;

/// A worker that crashes or finishes on command.
caf::behavior worker(caf::event_based_actor* self) {
  return {
    [self](crash_atom) {
      self->quit(bsm::make_error(bsm::errc::internal, "crash on command"));
    },
    [self](finish_atom) { self->quit(); },
  };
}

/// A worker that ignores exit requests (only a kill stops it).
caf::behavior stubborn_worker(caf::event_based_actor* self) {
  self->set_exit_handler([](caf::exit_msg&) {});
  return {[](finish_atom) {
  }};
}

class Supervisor : public ::testing::Test {
protected:
  bsm::system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor observer{sys};
  std::shared_ptr<bsm::name_registry> names
    = std::make_shared<bsm::name_registry>();
  std::map<std::string, std::shared_ptr<std::atomic<int>>> starts;
  std::vector<event> seen;
  /// Events received but not yet matched by an `await`.
  std::deque<event> unmatched;

  bsm::supervision_env env() {
    bsm::supervision_env result;
    result.names = names;
    result.observer = caf::actor{observer};
    return result;
  }

  bsm::child_spec
  child(const std::string& name,
        bsm::restart_type restart = bsm::restart_type::permanent,
        caf::behavior (*fun)(caf::event_based_actor*) = worker) {
    auto counter = std::make_shared<std::atomic<int>>(0);
    starts[name] = counter;
    bsm::child_spec spec;
    spec.name = name;
    spec.restart = restart;
    spec.shutdown_timeout = 2s;
    spec.start
      = [counter, fun](caf::actor_system& s,
                       const std::string&) -> caf::expected<caf::actor> {
      ++*counter;
      return s.spawn(fun);
    };
    return spec;
  }

  bsm::supervisor_options options(bsm::restart_strategy strategy,
                                  std::vector<bsm::child_spec> children) {
    bsm::supervisor_options opts;
    opts.path = "sup";
    opts.strategy = strategy;
    opts.max_restarts = 100;
    opts.period = 60s;
    opts.backoff_initial = 1ms;
    opts.backoff_max = 5ms;
    opts.children = std::move(children);
    return opts;
  }

  caf::actor spawn(bsm::supervisor_options opts) {
    auto sup = bsm::spawn_supervisor(sys, std::move(opts), env());
    EXPECT_TRUE(sup) << bsm::render(sup.error());
    return sup ? *sup : caf::actor{};
  }

  /// Collects events until one of `kind` about `child` arrives.
  event await(event::Kind kind, const std::string& child,
              caf::duration timeout = caf::duration{5s}) {
    auto matches = [&](const event& ev) {
      return ev.kind() == kind && (child.empty() || ev.child() == child);
    };
    for (auto i = unmatched.begin(); i != unmatched.end(); ++i) {
      if (matches(*i)) {
        auto ev = *i;
        unmatched.erase(i);
        return ev;
      }
    }
    for (;;) {
      event ev;
      bool timed_out = false;
      observer->receive([&](event& x) { ev = std::move(x); },
                        caf::after(timeout) >> [&] { timed_out = true; });
      if (timed_out) {
        ADD_FAILURE() << "no " << event::Kind_Name(kind) << " for " << child;
        return {};
      }
      seen.push_back(ev);
      if (matches(ev))
        return ev;
      unmatched.push_back(ev);
    }
  }

  /// Events of `kind` seen so far, in order, as child paths.
  std::vector<std::string> seen_of(event::Kind kind) const {
    std::vector<std::string> result;
    for (const auto& ev : seen)
      if (ev.kind() == kind)
        result.push_back(ev.child());
    return result;
  }

  caf::actor lookup(const std::string& path) {
    auto handle = names->get(path);
    EXPECT_TRUE(handle) << bsm::render(handle.error());
    return handle ? *handle : caf::actor{};
  }

  void crash(const std::string& path) {
    caf::anon_send(lookup(path), crash_atom::value);
  }

  caf::error await_exit(const caf::actor& sup) {
    caf::error result;
    observer->monitor(sup);
    bool done = false;
    while (!done)
      observer->receive(
        [&](caf::down_msg& msg) {
          if (msg.source == sup.address()) {
            result = msg.reason;
            done = true;
          }
        },
        [&](event& ev) { seen.push_back(ev); },
        caf::after(std::chrono::seconds{10}) >>
          [&] {
            ADD_FAILURE() << "supervisor did not exit";
            done = true;
          });
    return result;
  }

  void start_all(std::initializer_list<const char*> paths) {
    for (auto path : paths)
      await(event::KIND_CHILD_STARTED, path);
  }
};

TEST_F(Supervisor, OneForOneRestartsOnlyTheFailedChild) {
  auto sup = spawn(
    options(bsm::restart_strategy::one_for_one, {child("a"), child("b")}));
  start_all({"sup/a", "sup/b"});
  auto b_before = lookup("sup/b");
  crash("sup/a");
  await(event::KIND_CHILD_CRASHED, "sup/a");
  await(event::KIND_CHILD_STARTED, "sup/a");
  EXPECT_EQ(*starts["a"], 2);
  EXPECT_EQ(*starts["b"], 1);
  EXPECT_EQ(lookup("sup/b"), b_before);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  EXPECT_TRUE(bsm::is_normal_exit(await_exit(sup)));
}

TEST_F(Supervisor, OneForAllStopsOthersNewestFirstAndRestartsAllInOrder) {
  auto sup = spawn(options(bsm::restart_strategy::one_for_all,
                           {child("a"), child("b"), child("c")}));
  start_all({"sup/a", "sup/b", "sup/c"});
  seen.clear();
  unmatched.clear();
  crash("sup/b");
  await(event::KIND_CHILD_STARTED, "sup/c");
  EXPECT_EQ(seen_of(event::KIND_CHILD_STOPPED),
            (std::vector<std::string>{"sup/c", "sup/a"}));
  EXPECT_EQ(seen_of(event::KIND_CHILD_STARTED),
            (std::vector<std::string>{"sup/a", "sup/b", "sup/c"}));
  for (auto name : {"a", "b", "c"})
    EXPECT_EQ(*starts[name], 2) << name;
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  await_exit(sup);
}

TEST_F(Supervisor, ChildCrashingDuringItsGroupRestartIsRestartedOnce) {
  auto stubborn = child("s", bsm::restart_type::permanent, stubborn_worker);
  stubborn.shutdown_timeout = 300ms;
  auto sup = spawn(options(bsm::restart_strategy::one_for_all,
                           {child("a"), child("c"), stubborn}));
  start_all({"sup/a", "sup/c", "sup/s"});
  crash("sup/a");
  // While the supervisor waits for the stubborn child, c dies on its own.
  await(event::KIND_CHILD_CRASHED, "sup/a");
  crash("sup/c");
  await(event::KIND_CHILD_CRASHED, "sup/c");
  await(event::KIND_CHILD_KILLED, "sup/s");
  for (auto path : {"sup/a", "sup/c", "sup/s"})
    await(event::KIND_CHILD_STARTED, path);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  await_exit(sup);
  EXPECT_EQ(seen_of(event::KIND_CHILD_RESTARTED),
            (std::vector<std::string>{"sup/a"}));
  for (auto name : {"a", "c", "s"})
    EXPECT_EQ(*starts[name], 2) << name;
}

TEST_F(Supervisor, RestForOneRestartsTheFailedChildAndThoseStartedAfterIt) {
  auto sup = spawn(options(bsm::restart_strategy::rest_for_one,
                           {child("a"), child("b"), child("c")}));
  start_all({"sup/a", "sup/b", "sup/c"});
  seen.clear();
  unmatched.clear();
  crash("sup/b");
  await(event::KIND_CHILD_STARTED, "sup/c");
  EXPECT_EQ(seen_of(event::KIND_CHILD_STOPPED),
            (std::vector<std::string>{"sup/c"}));
  EXPECT_EQ(seen_of(event::KIND_CHILD_STARTED),
            (std::vector<std::string>{"sup/b", "sup/c"}));
  EXPECT_EQ(*starts["a"], 1);
  EXPECT_EQ(*starts["b"], 2);
  EXPECT_EQ(*starts["c"], 2);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  await_exit(sup);
}

TEST_F(Supervisor, PermanentChildRestartsEvenAfterNormalExit) {
  auto sup = spawn(options(bsm::restart_strategy::one_for_one, {child("p")}));
  start_all({"sup/p"});
  caf::anon_send(lookup("sup/p"), finish_atom::value);
  await(event::KIND_CHILD_STOPPED, "sup/p");
  await(event::KIND_CHILD_STARTED, "sup/p");
  EXPECT_EQ(*starts["p"], 2);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  await_exit(sup);
}

TEST_F(Supervisor, TransientChildRestartsOnlyAfterAbnormalExit) {
  auto sup = spawn(options(bsm::restart_strategy::one_for_one,
                           {child("t", bsm::restart_type::transient),
                            child("u", bsm::restart_type::transient)}));
  start_all({"sup/t", "sup/u"});
  crash("sup/t");
  await(event::KIND_CHILD_STARTED, "sup/t");
  EXPECT_EQ(*starts["t"], 2);
  caf::anon_send(lookup("sup/u"), finish_atom::value);
  await(event::KIND_CHILD_STOPPED, "sup/u");
  // Any restart would be reported before the supervisor's exit.
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  await_exit(sup);
  EXPECT_EQ(*starts["u"], 1);
  EXPECT_FALSE(names->get("sup/u"));
}

TEST_F(Supervisor, TemporaryChildIsNeverRestarted) {
  auto sup = spawn(options(bsm::restart_strategy::one_for_one,
                           {child("tmp", bsm::restart_type::temporary)}));
  start_all({"sup/tmp"});
  crash("sup/tmp");
  await(event::KIND_CHILD_CRASHED, "sup/tmp");
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  await_exit(sup);
  EXPECT_EQ(*starts["tmp"], 1);
  EXPECT_TRUE(seen_of(event::KIND_CHILD_RESTARTED).empty());
}

TEST_F(Supervisor, ExceedingIntensityStopsChildrenAndFailsWithAborted) {
  auto opts
    = options(bsm::restart_strategy::one_for_one, {child("a"), child("b")});
  opts.max_restarts = 2;
  auto sup = spawn(std::move(opts));
  start_all({"sup/a", "sup/b"});
  for (int i = 0; i < 2; ++i) {
    crash("sup/a");
    await(event::KIND_CHILD_STARTED, "sup/a");
  }
  crash("sup/a");
  await(event::KIND_ESCALATED, "");
  auto reason = await_exit(sup);
  EXPECT_TRUE(bsm::is(reason, bsm::errc::aborted)) << bsm::render(reason);
  EXPECT_NE(bsm::render(reason).find("restart intensity"), std::string::npos);
  EXPECT_EQ(seen_of(event::KIND_CHILD_STOPPED),
            (std::vector<std::string>{"sup/b"}));
  EXPECT_EQ(names->size(), 0u);
}

TEST_F(Supervisor, EscalationRestartsTheFailedSupervisorInItsParent) {
  auto inner = options(bsm::restart_strategy::one_for_one, {child("w")});
  inner.max_restarts = 1;
  auto outer = options(bsm::restart_strategy::one_for_one,
                       {bsm::supervisor_child("inner", inner, env())});
  outer.path = "outer";
  auto sup = spawn(std::move(outer));
  await(event::KIND_CHILD_STARTED, "outer/inner/w");
  await(event::KIND_CHILD_STARTED, "outer/inner");
  crash("outer/inner/w");
  await(event::KIND_CHILD_STARTED, "outer/inner/w");
  crash("outer/inner/w");
  auto escalated = await(event::KIND_ESCALATED, "");
  EXPECT_EQ(escalated.supervisor(), "outer/inner");
  auto crashed = await(event::KIND_CHILD_CRASHED, "outer/inner");
  EXPECT_NE(crashed.reason().find("restart intensity"), std::string::npos);
  await(event::KIND_CHILD_STARTED, "outer/inner");
  await(event::KIND_CHILD_STARTED, "outer/inner/w");
  EXPECT_EQ(*starts["w"], 3);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  EXPECT_TRUE(bsm::is_normal_exit(await_exit(sup)));
}

TEST_F(Supervisor, CrashesSpacedWiderThanThePeriodNeverEscalate) {
  auto opts = options(bsm::restart_strategy::one_for_one, {child("a")});
  opts.max_restarts = 1;
  opts.period = 150ms;
  auto sup = spawn(std::move(opts));
  start_all({"sup/a"});
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(300ms);
    crash("sup/a");
    await(event::KIND_CHILD_STARTED, "sup/a");
  }
  EXPECT_TRUE(seen_of(event::KIND_ESCALATED).empty());
  EXPECT_EQ(*starts["a"], 5);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  EXPECT_TRUE(bsm::is_normal_exit(await_exit(sup)));
}

TEST_F(Supervisor, BackoffDoublesPerRecentRestartUpToTheCap) {
  auto opts = options(bsm::restart_strategy::one_for_one, {child("a")});
  opts.backoff_initial = 20ms;
  opts.backoff_max = 80ms;
  auto sup = spawn(std::move(opts));
  start_all({"sup/a"});
  std::vector<uint64_t> delays;
  for (int i = 0; i < 5; ++i) {
    auto before = std::chrono::steady_clock::now();
    crash("sup/a");
    delays.push_back(await(event::KIND_CHILD_RESTARTED, "sup/a").backoff_ms());
    await(event::KIND_CHILD_STARTED, "sup/a");
    auto waited = std::chrono::steady_clock::now() - before;
    EXPECT_GE(waited, std::chrono::milliseconds(delays.back()));
  }
  EXPECT_EQ(delays, (std::vector<uint64_t>{20, 40, 80, 80, 80}));
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  await_exit(sup);
}

TEST_F(Supervisor, ChildIgnoringStopIsKilledAfterItsTimeout) {
  auto stubborn = child("s", bsm::restart_type::permanent, stubborn_worker);
  stubborn.shutdown_timeout = 150ms;
  auto sup = spawn(
    options(bsm::restart_strategy::one_for_one, {child("a"), stubborn}));
  start_all({"sup/a", "sup/s"});
  auto before = std::chrono::steady_clock::now();
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  EXPECT_TRUE(bsm::is_normal_exit(await_exit(sup)));
  EXPECT_GE(std::chrono::steady_clock::now() - before, 150ms);
  EXPECT_EQ(seen_of(event::KIND_CHILD_KILLED),
            (std::vector<std::string>{"sup/s"}));
  EXPECT_EQ(seen_of(event::KIND_CHILD_STOPPED),
            (std::vector<std::string>{"sup/s", "sup/a"}));
}

TEST_F(Supervisor, ShutdownStopsChildrenInReverseStartOrder) {
  auto sup = spawn(options(bsm::restart_strategy::one_for_one,
                           {child("a"), child("b"), child("c")}));
  start_all({"sup/a", "sup/b", "sup/c"});
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  await_exit(sup);
  EXPECT_EQ(seen_of(event::KIND_CHILD_STOPPED),
            (std::vector<std::string>{"sup/c", "sup/b", "sup/a"}));
  EXPECT_EQ(names->size(), 0u);
}

TEST_F(Supervisor, KilledSupervisorTakesItsChildrenDown) {
  auto sup = spawn(options(bsm::restart_strategy::one_for_one, {child("a")}));
  start_all({"sup/a"});
  auto a = lookup("sup/a");
  observer->monitor(a);
  caf::anon_send_exit(sup, caf::exit_reason::kill);
  bool child_down = false;
  observer->receive_while([&] { return !child_down; })(
    [&](caf::down_msg& msg) { child_down = msg.source == a.address(); },
    [&](event&) {},
    caf::after(std::chrono::seconds{5}) >> [&] { child_down = true; });
  EXPECT_TRUE(child_down);
}

TEST_F(Supervisor, RegistersChildrenByPathAndFollowsRestarts) {
  auto sup = spawn(options(bsm::restart_strategy::one_for_one, {child("a")}));
  start_all({"sup/a"});
  auto first = lookup("sup/a");
  crash("sup/a");
  await(event::KIND_CHILD_STARTED, "sup/a");
  auto second = lookup("sup/a");
  EXPECT_NE(first, second);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  await_exit(sup);
  EXPECT_FALSE(names->get("sup/a"));
}

TEST_F(Supervisor, AnswersTreeRequestsWithNestedSubtrees) {
  auto inner = options(bsm::restart_strategy::rest_for_one, {child("w")});
  auto outer
    = options(bsm::restart_strategy::one_for_all,
              {child("a"), bsm::supervisor_child("inner", inner, env())});
  auto sup = spawn(std::move(outer));
  await(event::KIND_CHILD_STARTED, "sup/inner");
  bsm::v1::TreeResponse tree;
  observer->request(sup, caf::infinite, bsm::v1::TreeRequest{})
    .receive([&](bsm::v1::TreeResponse& x) { tree = std::move(x); },
             [&](caf::error& err) { FAIL() << bsm::render(err); });
  const auto& root = tree.root();
  EXPECT_EQ(root.name(), "sup");
  EXPECT_EQ(root.strategy(), bsm::v1::RESTART_STRATEGY_ONE_FOR_ALL);
  ASSERT_EQ(root.children_size(), 2);
  EXPECT_EQ(root.children(0).name(), "sup/a");
  const auto& sub = root.children(1);
  EXPECT_EQ(sub.name(), "sup/inner");
  EXPECT_EQ(sub.strategy(), bsm::v1::RESTART_STRATEGY_REST_FOR_ONE);
  ASSERT_EQ(sub.children_size(), 1);
  EXPECT_EQ(sub.children(0).name(), "sup/inner/w");
  EXPECT_EQ(sub.children(0).state(), bsm::v1::CHILD_STATE_RUNNING);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  await_exit(sup);
}

TEST_F(Supervisor, FailsWhenAnInitialChildCannotStart) {
  bsm::child_spec broken;
  broken.name = "broken";
  broken.start
    = [](caf::actor_system&, const std::string&) -> caf::expected<caf::actor> {
    return bsm::make_error(bsm::errc::unavailable, "port in use");
  };
  auto sup
    = spawn(options(bsm::restart_strategy::one_for_one, {child("a"), broken}));
  auto reason = await_exit(sup);
  EXPECT_TRUE(bsm::is(reason, bsm::errc::failed_precondition));
  EXPECT_NE(bsm::render(reason).find("port in use"), std::string::npos);
  EXPECT_EQ(seen_of(event::KIND_CHILD_STOPPED),
            (std::vector<std::string>{"sup/a"}));
}

TEST_F(Supervisor, AddedChildStartsLastAndIsSupervised) {
  auto sup = spawn(options(bsm::restart_strategy::one_for_one, {child("a")}));
  start_all({"sup/a"});
  caf::error added;
  observer->request(sup, 5s, bsm::atom::add_child::value, child("b"))
    .receive([] {}, [&](caf::error& err) { added = err; });
  ASSERT_FALSE(added) << bsm::render(added);
  await(event::KIND_CHILD_STARTED, "sup/b");
  crash("sup/b");
  await(event::KIND_CHILD_CRASHED, "sup/b");
  await(event::KIND_CHILD_STARTED, "sup/b");
  EXPECT_EQ(*starts["b"], 2);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  EXPECT_TRUE(bsm::is_normal_exit(await_exit(sup)));
  // Stopped newest first: the added child before the initial one.
  EXPECT_EQ(seen_of(event::KIND_CHILD_STOPPED),
            (std::vector<std::string>{"sup/b", "sup/a"}));
}

TEST_F(Supervisor, AddingAChildWithALiveNameIsRefused) {
  auto sup = spawn(options(bsm::restart_strategy::one_for_one, {child("a")}));
  start_all({"sup/a"});
  caf::error added;
  observer->request(sup, 5s, bsm::atom::add_child::value, child("a"))
    .receive([] {}, [&](caf::error& err) { added = err; });
  EXPECT_TRUE(bsm::is(added, bsm::errc::already_exists)) << bsm::render(added);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  EXPECT_TRUE(bsm::is_normal_exit(await_exit(sup)));
}

TEST_F(Supervisor, RemovedChildStopsIsNotRestartedAndLeavesTheTree) {
  auto sup = spawn(
    options(bsm::restart_strategy::one_for_all, {child("a"), child("b")}));
  start_all({"sup/a", "sup/b"});
  caf::error removed;
  observer->request(sup, 5s, bsm::atom::remove_child::value, std::string{"a"})
    .receive([] {}, [&](caf::error& err) { removed = err; });
  ASSERT_FALSE(removed) << bsm::render(removed);
  await(event::KIND_CHILD_STOPPED, "sup/a");
  EXPECT_FALSE(names->get("sup/a"));
  // A crash of the other child restarts only what is left.
  crash("sup/b");
  await(event::KIND_CHILD_STARTED, "sup/b");
  EXPECT_EQ(*starts["a"], 1);
  bsm::v1::TreeResponse tree;
  observer->request(sup, 5s, bsm::v1::TreeRequest{})
    .receive([&](bsm::v1::TreeResponse& x) { tree = std::move(x); },
             [](caf::error& err) { ADD_FAILURE() << bsm::render(err); });
  ASSERT_EQ(tree.root().children_size(), 1);
  EXPECT_EQ(tree.root().children(0).name(), "sup/b");
  // The name is free again.
  observer->request(sup, 5s, bsm::atom::add_child::value, child("a"))
    .receive([] {}, [&](caf::error& err) { removed = err; });
  EXPECT_FALSE(removed) << bsm::render(removed);
  caf::error again;
  observer->request(sup, 5s, bsm::atom::remove_child::value, std::string{"x"})
    .receive([] {}, [&](caf::error& err) { again = err; });
  EXPECT_TRUE(bsm::is(again, bsm::errc::not_found)) << bsm::render(again);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  EXPECT_TRUE(bsm::is_normal_exit(await_exit(sup)));
}

TEST(SupervisorOptions, RejectsInvalidOptions) {
  bsm::supervisor_options opts;
  bsm::child_spec spec;
  spec.name = "a";
  spec.start
    = [](caf::actor_system&, const std::string&) -> caf::expected<caf::actor> {
    return caf::actor{};
  };
  opts.children = {spec, spec};
  EXPECT_NE(bsm::render(bsm::validate(opts)).find("duplicate child"),
            std::string::npos);
  opts.children = {spec};
  opts.children[0].name = "Bad Name";
  EXPECT_TRUE(bsm::validate(opts));
  opts.children[0].name = "a";
  opts.children[0].start = nullptr;
  EXPECT_NE(bsm::render(bsm::validate(opts)).find("no factory"),
            std::string::npos);
  opts.children = {spec};
  opts.backoff_initial = std::chrono::seconds{2};
  opts.backoff_max = std::chrono::seconds{1};
  EXPECT_NE(bsm::render(bsm::validate(opts)).find("backoff"),
            std::string::npos);
  opts.backoff_initial = opts.backoff_max;
  opts.period = std::chrono::milliseconds{0};
  EXPECT_TRUE(bsm::validate(opts));
}

} // namespace
