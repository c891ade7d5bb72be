// The Redis membership worker against a real redis-server: it announces
// this node and reports the others with their state, stops after stopping
// (the record stays, down) or leaving (the record goes) or when its owner
// stops, and reports a Redis that is not there as unavailable until it is
// (no node restart needed).

#include "actors/cluster_table.hpp"

#include <gtest/gtest.h>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "runtime/error.hpp"
#include "runtime/system_config.hpp"
#include "tests/common/actor_down.hpp"
#include "tests/common/redis_server.hpp"

namespace {

using namespace std::chrono_literals;

class ClusterTable : public ::testing::Test {
protected:
  void SetUp() override {
    if (::access(bsm::test::redis_server_path, X_OK) != 0)
      GTEST_SKIP() << bsm::test::redis_server_path
                   << " is missing (apt install redis-server)";
    port_ = bsm::test::free_port();
    ASSERT_NE(port_, 0);
  }

  void start_redis() {
    std::string why;
    server_ = bsm::test::redis_process::start(port_, why);
    ASSERT_NE(server_, nullptr) << why;
  }

  /// A worker for this test's Redis, owned by `owner`.
  bsm::cluster_table_actor spawn_table(const caf::actor_addr& owner) {
    bsm::cluster_table_options opts;
    opts.url = {"127.0.0.1", port_, 0};
    opts.ttl = 60s;
    opts.timeout = 2s;
    return sys.spawn<caf::detached>(bsm::cluster_table, opts, owner);
  }

  enum class departure { none, stopping, leaving };

  static bsm::v1::Heartbeat heartbeat(const std::string& node,
                                      departure how = departure::none) {
    bsm::v1::Heartbeat hb;
    hb.mutable_from()->set_name(node);
    hb.mutable_from()->set_cluster_address("127.0.0.1:7100");
    hb.mutable_from()->set_incarnation(1);
    hb.set_leaving(how == departure::leaving);
    hb.set_stopping(how == departure::stopping);
    return hb;
  }

  caf::expected<bsm::v1::Heartbeat> ask(const bsm::cluster_table_actor& table,
                                        const bsm::v1::Heartbeat& hb) {
    caf::expected<bsm::v1::Heartbeat> result{caf::error{}};
    caf::scoped_actor self{sys};
    self->request(table, 10s, hb)
      .receive([&](bsm::v1::Heartbeat& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  static std::vector<std::string> names(const bsm::v1::Heartbeat& hb) {
    std::vector<std::string> result;
    for (const auto& m : hb.known())
      result.push_back(m.name());
    return result;
  }

  uint16_t port_ = 0;
  std::unique_ptr<bsm::test::redis_process> server_;
  bsm::system_config cfg;
  caf::actor_system sys{cfg};
};

TEST_F(ClusterTable, AnnouncesThisNodeAndReportsTheOthers) {
  start_redis();
  caf::scoped_actor owner{sys};
  auto a = spawn_table(owner->address());
  auto b = spawn_table(owner->address());
  auto first = ask(a, heartbeat("node-a"));
  ASSERT_TRUE(first) << bsm::render(first.error());
  EXPECT_TRUE(names(*first).empty());
  auto second = ask(b, heartbeat("node-b"));
  ASSERT_TRUE(second) << bsm::render(second.error());
  EXPECT_EQ(names(*second), std::vector<std::string>{"node-a"});
  EXPECT_EQ(second->known(0).state(), bsm::v1::MEMBER_STATE_UP);
  for (auto& table : {a, b})
    caf::anon_send_exit(table, caf::exit_reason::user_shutdown);
}

TEST_F(ClusterTable, LeavingRemovesTheRecordAndStopsTheWorker) {
  start_redis();
  caf::scoped_actor owner{sys};
  auto a = spawn_table(owner->address());
  auto b = spawn_table(owner->address());
  ASSERT_TRUE(ask(a, heartbeat("node-a")));
  auto left = ask(a, heartbeat("node-a", departure::leaving));
  ASSERT_TRUE(left) << bsm::render(left.error());
  EXPECT_TRUE(bsm::test::terminates(sys, a));
  auto view = ask(b, heartbeat("node-b"));
  ASSERT_TRUE(view) << bsm::render(view.error());
  EXPECT_TRUE(names(*view).empty());
  caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
}

TEST_F(ClusterTable, StoppingKeepsTheRecordDownAndStopsTheWorker) {
  start_redis();
  caf::scoped_actor owner{sys};
  auto a = spawn_table(owner->address());
  auto b = spawn_table(owner->address());
  ASSERT_TRUE(ask(a, heartbeat("node-a")));
  auto stopped = ask(a, heartbeat("node-a", departure::stopping));
  ASSERT_TRUE(stopped) << bsm::render(stopped.error());
  EXPECT_TRUE(bsm::test::terminates(sys, a));
  auto view = ask(b, heartbeat("node-b"));
  ASSERT_TRUE(view) << bsm::render(view.error());
  ASSERT_EQ(names(*view), std::vector<std::string>{"node-a"})
    << "a stopped node stays a member: its agents wait for it";
  EXPECT_EQ(view->known(0).state(), bsm::v1::MEMBER_STATE_DOWN);
  caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
}

TEST_F(ClusterTable, ARedisThatIsNotThereIsUnavailableUntilItIs) {
  caf::scoped_actor owner{sys};
  auto a = spawn_table(owner->address());
  auto missing = ask(a, heartbeat("node-a"));
  ASSERT_FALSE(missing);
  EXPECT_TRUE(bsm::is(missing.error(), bsm::errc::unavailable))
    << bsm::render(missing.error());
  auto leaving = ask(a, heartbeat("node-a", departure::leaving));
  ASSERT_FALSE(leaving);
  EXPECT_TRUE(bsm::is(leaving.error(), bsm::errc::unavailable));
  start_redis();
  auto back = ask(a, heartbeat("node-a"));
  EXPECT_TRUE(back) << bsm::render(back.error());
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

TEST_F(ClusterTable, StopsWhenItsOwnerStops) {
  auto owner = sys.spawn([]() -> caf::behavior {
    return {[](int) {
    }};
  });
  auto a = spawn_table(owner.address());
  // Answered (unavailable: no Redis) once it runs, so it watches the owner.
  ASSERT_FALSE(ask(a, heartbeat("node-a")));
  caf::anon_send_exit(owner, caf::exit_reason::user_shutdown);
  EXPECT_TRUE(bsm::test::terminates(sys, a));
}

} // namespace
