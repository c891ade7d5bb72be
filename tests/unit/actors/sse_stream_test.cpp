// How an SSE stream ends, against the real event bus: the client goes
// away, the bus stops, the bus refuses it, or a write finds the
// connection gone. The exchange has no session behind it, as after a
// client hung up: writes fail and responses go nowhere.

#include "actors/sse_stream.hpp"

#include <gtest/gtest.h>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "actors/event_bus.hpp"
#include "runtime/error.hpp"
#include "runtime/system_config.hpp"
#include "tests/common/actor_down.hpp"

namespace {

using namespace std::chrono_literals;

class SseStream : public ::testing::Test {
protected:
  SseStream() {
    // One subscription at most, so a second stream is refused.
    bsm::event_bus_options opts;
    opts.max_subscriptions = 1;
    auto spawned = bsm::spawn_event_bus(sys, opts, metrics);
    EXPECT_TRUE(spawned) << bsm::render(spawned.error());
    if (spawned)
      bus = *spawned;
  }

  ~SseStream() override {
    caf::anon_send_exit(bus, caf::exit_reason::user_shutdown);
  }

  static bsm::http::exchange_ptr exchange() {
    bsm::http::request req{boost::beast::http::verb::get, "/v1/events", 11};
    return std::make_shared<bsm::http::exchange>(
      std::move(req), "req-1", std::weak_ptr<bsm::http::session>{}, nullptr);
  }

  bsm::system_config cfg;
  caf::actor_system sys{cfg};
  bsm::metrics::registry reg;
  bsm::event_metrics metrics = bsm::event_metrics::make(reg);
  bsm::event_bus_actor bus;
};

TEST_F(SseStream, StopsWhenTheClientGoesAway) {
  auto ex = exchange();
  auto stream = sys.spawn(bsm::sse_stream, ex, bus, std::string{"#"}, 10s);
  ex->cancel();
  EXPECT_TRUE(bsm::test::terminates(sys, stream));
}

TEST_F(SseStream, StopsWhenTheBusStops) {
  auto ex = exchange();
  auto stream = sys.spawn(bsm::sse_stream, ex, bus, std::string{"#"}, 10s);
  caf::anon_send_exit(bus, caf::exit_reason::user_shutdown);
  EXPECT_TRUE(bsm::test::terminates(sys, stream));
}

TEST_F(SseStream, ARefusedSubscriptionIsAnErrorResponse) {
  auto first = exchange();
  auto open = sys.spawn(bsm::sse_stream, first, bus, std::string{"#"}, 10s);
  ASSERT_TRUE(bsm::test::poll_until([&] { return first->responded(); }));
  auto second = exchange();
  auto refused = sys.spawn(bsm::sse_stream, second, bus, std::string{"#"}, 10s);
  EXPECT_TRUE(bsm::test::terminates(sys, refused));
  EXPECT_TRUE(second->responded());
  caf::anon_send_exit(open, caf::exit_reason::user_shutdown);
}

TEST_F(SseStream, StopsAtTheFirstEventItCannotWrite) {
  auto ex = exchange();
  auto stream = sys.spawn(bsm::sse_stream, ex, bus, std::string{"#"}, 10s);
  // The stream opens (its head goes nowhere) once the bus subscribed it.
  ASSERT_TRUE(bsm::test::poll_until([&] { return ex->responded(); }));
  bsm::v1::PublishRequest pub;
  pub.mutable_event()->set_topic("test.event");
  caf::anon_send(bus, pub);
  EXPECT_TRUE(bsm::test::terminates(sys, stream));
}

TEST(SseFrame, SplicesTheDataIntoOneLineWithAnRfc3339Time) {
  bsm::v1::Event event;
  event.set_topic("cluster.member.up");
  event.set_time_unix_ms(1'764'000'000'123);
  event.set_source("cluster");
  // nlohmann orders the keys; the publisher's data goes last, spliced in.
  EXPECT_EQ(
    bsm::sse_frame(event),
    "data: {\"source\":\"cluster\",\"time\":\"2025-11-24T16:00:00.123Z\","
    "\"topic\":\"cluster.member.up\",\"data\":{}}\n\n");
  EXPECT_EQ(bsm::rfc3339_ms(1'764'000'000'123), "2025-11-24T16:00:00.123Z");
}

} // namespace
