#include "runtime/metrics/actor_stats.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include "promtool.hpp"
#include "runtime/metrics/instrumented.hpp"
#include "runtime/supervision/supervisor.hpp"
#include "runtime/system_config.hpp"

namespace {

struct counting_state {
  static constexpr const char* name = "counting";
  int seen = 0;
};

caf::behavior counting(bsm::stateful_actor<counting_state>* self) {
  return {[self](int x) {
    return self->state.seen += x;
  }};
}

std::string series(const std::string& text, const std::string& prefix) {
  auto pos = text.find(prefix);
  if (pos == std::string::npos)
    return {};
  auto end = text.find('\n', pos);
  return text.substr(pos, end - pos);
}

TEST(ActorStats, CountsMessagesAndTimePerActorType) {
  bsm::metrics::registry reg;
  bsm::metrics::actor_stats_collector collector{reg};
  bsm::system_config cfg{{}, &collector};
  {
    caf::actor_system sys{cfg};
    auto a = sys.spawn(counting);
    caf::scoped_actor self{sys};
    for (int i = 0; i < 40; ++i)
      self->request(a, caf::infinite, 1)
        .receive([](int) {}, [](caf::error&) {});
    // The reply leaves inside the handler, before the count is written:
    // the last message may show up a moment after its reply.
    const std::string expected
      = "bsm_actor_messages_processed_total{actor=\"counting\"} 40";
    std::string text;
    for (int i = 0; i < 200; ++i) {
      text = reg.to_text();
      if (series(text, "bsm_actor_messages_processed_total{") == expected)
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
    EXPECT_EQ(series(text, "bsm_actor_messages_processed_total{"), expected);
    // Messages 1, 17 and 33 are timed.
    EXPECT_EQ(
      series(text, "bsm_actor_processing_seconds_count{actor=\"counting\"}"),
      "bsm_actor_processing_seconds_count{actor=\"counting\"} 3");
    EXPECT_NE(text.find("bsm_actor_mailbox_depth{actor=\"counting\"}"),
              std::string::npos);
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }
  // Totals of terminated actors survive them; the exit message counts too
  // (system messages are work: a supervisor's down messages, for example).
  auto text = reg.to_text();
  EXPECT_EQ(
    series(text, "bsm_actor_messages_processed_total{actor=\"counting\"}"),
    "bsm_actor_messages_processed_total{actor=\"counting\"} 41");
  EXPECT_EQ(series(text, "bsm_actor_mailbox_depth{actor=\"counting\"}"),
            "bsm_actor_mailbox_depth{actor=\"counting\"} 0");
}

TEST(ActorStats, NodeMetricsPassPromtoolCheck) {
  bsm::metrics::registry reg;
  bsm::metrics::actor_stats_collector collector{reg};
  bsm::system_config cfg{{}, &collector};
  caf::actor_system sys{cfg};
  auto& restarts = reg.counter_family(
    "bsm_supervisor_restarts_total", "Child restarts, by supervisor and child.",
    {"supervisor", "child"});
  restarts.with({"root", "agents/legal"}).inc();
  auto a = sys.spawn(counting);
  caf::scoped_actor self{sys};
  for (int i = 0; i < 20; ++i)
    self->request(a, caf::infinite, 1).receive([](int) {}, [](caf::error&) {});
  auto res = bsm::test::promtool_check(reg.to_text());
  EXPECT_EQ(res.code, 0) << res.out << res.err;
  EXPECT_EQ(res.err, "");
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

TEST(ActorStats, RecordsIntoTheFirstBucketAtLeastTheBound) {
  bsm::metrics::actor_stats stats{"x"};
  stats.record(500);
  stats.record(1'000);
  stats.record(1'001);
  stats.record(20'000'000'000);
  stats.count();
  EXPECT_EQ(stats.processed(), 5u);
  EXPECT_EQ(stats.bucket(0), 2u);
  EXPECT_EQ(stats.bucket(1), 1u);
  EXPECT_EQ(stats.bucket(bsm::metrics::actor_stats::bucket_count - 1), 1u);
  EXPECT_EQ(stats.busy_ns(), 20'000'002'501u);
}

TEST(ActorStats, PlainCafActorsReportNothing) {
  bsm::metrics::registry reg;
  bsm::metrics::actor_stats_collector collector{reg};
  bsm::system_config cfg{{}, &collector};
  caf::actor_system sys{cfg};
  auto plain = sys.spawn([]() -> caf::behavior {
    return {[](int x) {
      return x;
    }};
  });
  caf::scoped_actor self{sys};
  self->request(plain, caf::infinite, 1)
    .receive([](int) {}, [](caf::error&) {});
  EXPECT_EQ(reg.to_text().find("actor=\""), std::string::npos);
  caf::anon_send_exit(plain, caf::exit_reason::user_shutdown);
}

} // namespace
