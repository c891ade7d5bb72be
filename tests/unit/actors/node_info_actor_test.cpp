// The liveness actor: echoes pings with the node's name, and measures
// uptime from the node's start, so a restart of the actor does not reset it.

#include "actors/node_info_actor.hpp"

#include <gtest/gtest.h>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "runtime/error.hpp"
#include "runtime/system_config.hpp"

namespace {

using namespace std::chrono_literals;

TEST(NodeInfoActor, EchoesPingsAndReportsUptimeSinceTheNodeStarted) {
  bsm::system_config cfg;
  caf::actor_system sys{cfg};
  bsm::node_info_options opts;
  opts.node_name = "node-a";
  opts.started_at = std::chrono::steady_clock::now() - 90s;
  auto info = sys.spawn(bsm::node_info, opts);
  caf::scoped_actor self{sys};
  bsm::v1::PingRequest ping;
  ping.set_sequence(11);
  ping.set_payload("abc");
  self->request(info, 10s, ping)
    .receive(
      [](bsm::v1::PingResponse& pong) {
        EXPECT_EQ(pong.sequence(), 11u);
        EXPECT_EQ(pong.payload(), "abc");
        EXPECT_EQ(pong.node(), "node-a");
      },
      [](caf::error& err) { FAIL() << bsm::render(err); });
  self->request(info, 10s, bsm::v1::NodeInfoRequest{})
    .receive(
      [](bsm::v1::NodeInfoResponse& res) {
        EXPECT_EQ(res.node(), "node-a");
        EXPECT_EQ(res.version(), BSM_VERSION);
        EXPECT_GE(res.uptime_s(), 90u);
      },
      [](caf::error& err) { FAIL() << bsm::render(err); });
  caf::anon_send_exit(info, caf::exit_reason::user_shutdown);
}

} // namespace
