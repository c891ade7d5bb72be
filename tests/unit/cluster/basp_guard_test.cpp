// The rules a cluster connection's reads must follow before the BASP
// broker sees them (issue 15: a 256 MiB header from a peer that never
// completed a handshake was a 256 MiB allocation).

#include "runtime/cluster/basp_guard.hpp"

#include <string>

#include <gtest/gtest.h>

namespace {

using bsm::cluster::basp_guard;
using bsm::cluster::basp_limits;
using bsm::cluster::basp_side;

constexpr uint8_t server_handshake = 0;
constexpr uint8_t client_handshake = 1;
constexpr uint8_t direct_message = 2;
constexpr uint8_t heartbeat = 6;

// A 32-byte BASP header as CAF 0.17.6 writes it (network byte order).
std::string header(uint8_t type, uint32_t payload) {
  std::string h(basp_guard::header_bytes, '\0');
  h[0] = static_cast<char>(type);
  for (int i = 0; i < 4; ++i)
    h[4 + i] = static_cast<char>((payload >> (24 - 8 * i)) & 0xff);
  return h;
}

basp_limits limits() {
  basp_limits x;
  x.max_handshake_bytes = 4096;
  x.max_frame_bytes = 1 << 20;
  return x;
}

std::string check(basp_guard& g, const std::string& block) {
  return g.check(block.data(), block.size());
}

TEST(BaspGuard, AcceptsAHandshakeThenFramesWithinTheirLimits) {
  basp_guard g{basp_side::accepted, limits()};
  EXPECT_EQ(check(g, header(client_handshake, 100)), "");
  EXPECT_FALSE(g.handshaken());
  EXPECT_EQ(check(g, std::string(100, 'x')), "");
  EXPECT_TRUE(g.handshaken());
  EXPECT_EQ(check(g, header(direct_message, 1 << 20)), "");
  EXPECT_EQ(check(g, std::string(1 << 20, 'x')), "");
  EXPECT_EQ(check(g, header(heartbeat, 0)), "");
  EXPECT_EQ(check(g, header(direct_message, 8)), "");
}

TEST(BaspGuard, RefusesAHugeHandshakeBeforeItIsRead) {
  basp_guard g{basp_side::accepted, limits()};
  auto why = check(g, header(client_handshake, 256u << 20));
  EXPECT_NE(why.find("268435456-byte handshake (limit 4096)"),
            std::string::npos)
    << why;
  EXPECT_NE(check(g, header(heartbeat, 0)), "") << "refused stays refused";
}

TEST(BaspGuard, RefusesAnyMessageBeforeTheHandshake) {
  for (uint8_t type : {server_handshake, direct_message, heartbeat}) {
    basp_guard g{basp_side::accepted, limits()};
    EXPECT_NE(check(g, header(type, 0)), "") << int{type};
  }
}

TEST(BaspGuard, AnOutgoingConnectionExpectsTheServerHandshake) {
  basp_guard g{basp_side::connected, limits()};
  EXPECT_EQ(check(g, header(server_handshake, 10)), "");
  basp_guard wrong{basp_side::connected, limits()};
  EXPECT_NE(check(wrong, header(client_handshake, 10)), "");
}

TEST(BaspGuard, RefusesAFrameOverMaxFrameBytesAfterTheHandshake) {
  basp_guard g{basp_side::accepted, limits()};
  ASSERT_EQ(check(g, header(client_handshake, 0)), "");
  EXPECT_TRUE(g.handshaken());
  auto why = check(g, header(direct_message, (1 << 20) + 1));
  EXPECT_NE(why.find("cluster.max_frame_bytes"), std::string::npos) << why;
}

TEST(BaspGuard, RefusesUnknownTypesAndReadsOfTheWrongSize) {
  basp_guard g{basp_side::accepted, limits()};
  ASSERT_EQ(check(g, header(client_handshake, 0)), "");
  EXPECT_NE(check(g, header(7, 0)), "");
  basp_guard short_read{basp_side::accepted, limits()};
  EXPECT_NE(check(short_read, std::string(10, '\0')), "");
  basp_guard short_payload{basp_side::accepted, limits()};
  ASSERT_EQ(check(short_payload, header(client_handshake, 10)), "");
  EXPECT_NE(check(short_payload, std::string(9, 'x')), "");
}

} // namespace
