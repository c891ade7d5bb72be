// DNS rebinding protection: Host and Origin must name a host the node
// serves /mcp to.

#include "gateway/host_guard.hpp"

#include <gtest/gtest.h>

namespace {

namespace gw = bsm::gateway;

TEST(HostGuard, NamesWithoutPortAndCase) {
  EXPECT_EQ(gw::host_name("LocalHost:8080"), "localhost");
  EXPECT_EQ(gw::host_name("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(gw::host_name("[::1]:9000"), "[::1]");
}

TEST(HostGuard, ALoopbackNodeServesLoopbackNamesOnly) {
  auto allowed = gw::allowed_hosts({}, true);
  EXPECT_TRUE(gw::refused_host("127.0.0.1:8080", "", allowed, {}).empty());
  EXPECT_TRUE(
    gw::refused_host("localhost:8080", "http://localhost:8080", allowed, {})
      .empty());
  EXPECT_TRUE(
    gw::refused_host("[::1]:8080", "http://[::1]:8080", allowed, {}).empty());
  EXPECT_FALSE(
    gw::refused_host("evil.example.com", "http://evil.example.com", allowed, {})
      .empty());
  // A page on another site calling a loopback Host.
  EXPECT_FALSE(
    gw::refused_host("127.0.0.1:8080", "http://evil.example.com", allowed, {})
      .empty());
  EXPECT_FALSE(
    gw::refused_host("127.0.0.1:8080", "garbage", allowed, {}).empty());
  // Unless http.cors_allowed_origins lists that origin.
  EXPECT_TRUE(gw::refused_host("127.0.0.1:8080", "https://app.example.com",
                               allowed, {"https://app.example.com"})
                .empty());
}

TEST(HostGuard, ConfiguredHostsReplaceTheDefaultAndNoneMeansAny) {
  auto allowed = gw::allowed_hosts({"Agents.Example.com"}, true);
  EXPECT_TRUE(
    gw::refused_host("agents.example.com:443", "", allowed, {}).empty());
  EXPECT_FALSE(gw::refused_host("127.0.0.1:8080", "", allowed, {}).empty());
  auto any = gw::allowed_hosts({}, false);
  EXPECT_TRUE(any.empty());
  EXPECT_TRUE(
    gw::refused_host("evil.example.com", "http://evil.example.com", any, {})
      .empty());
}

} // namespace
