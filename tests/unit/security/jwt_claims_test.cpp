#include "runtime/security/jwt_claims.hpp"

#include <gtest/gtest.h>

#include "runtime/error.hpp"

namespace {

using bsm::errc;
using bsm::security::claim_rules;
using bsm::security::read_claims;
using nlohmann::json;

constexpr int64_t now = 1'700'000'000;

json payload() {
  return {{"sub", "alice"}, {"exp", now + 600}, {"iat", now}};
}

/// The message of the refusal of `body`, or "accepted".
std::string refusal(json body, const claim_rules& rules = {}) {
  auto claims = read_claims(std::move(body), rules, now);
  if (claims)
    return "accepted";
  EXPECT_TRUE(bsm::is(claims.error(), errc::unauthenticated));
  return bsm::render(claims.error());
}

TEST(JwtClaims, DefaultLeewayIs30Seconds) {
  EXPECT_EQ(claim_rules{}.leeway, std::chrono::seconds{30});
  auto body = payload();
  body["exp"] = now - 29;
  EXPECT_EQ(refusal(body), "accepted");
  body["exp"] = now - 30;
  EXPECT_NE(refusal(body).find("expired"), std::string::npos);
}

TEST(JwtClaims, RefusesAnIatLaterThanNowPlusTheLeeway) {
  auto body = payload();
  body["iat"] = now + 30;
  EXPECT_EQ(refusal(body), "accepted");
  body["iat"] = now + 31;
  EXPECT_NE(refusal(body).find("issued in the future"), std::string::npos);
  claim_rules strict;
  strict.leeway = std::chrono::seconds{0};
  body["iat"] = now + 1;
  EXPECT_NE(refusal(body, strict).find("issued in the future"),
            std::string::npos);
  body["iat"] = now;
  EXPECT_EQ(refusal(body, strict), "accepted");
}

TEST(JwtClaims, ReadsRolesAsAnArrayOfNames) {
  auto body = payload();
  body["roles"] = {"admin", "viewer"};
  auto claims = read_claims(body, {}, now);
  ASSERT_TRUE(claims) << bsm::render(claims.error());
  EXPECT_EQ(claims->roles, (std::vector<std::string>{"admin", "viewer"}));
  body["roles"] = json::array();
  claims = read_claims(body, {}, now);
  ASSERT_TRUE(claims);
  EXPECT_TRUE(claims->roles.empty());
}

TEST(JwtClaims, LeavesRolesEmptyWithoutTheClaim) {
  auto claims = read_claims(payload(), {}, now);
  ASSERT_TRUE(claims) << bsm::render(claims.error());
  EXPECT_TRUE(claims->roles.empty());
}

TEST(JwtClaims, RefusesRolesOfAnyOtherType) {
  for (const json& roles :
       {json("admin"), json(1), json(nullptr), json::object(),
        json{{"role", "admin"}}, json::array({"admin", 1}),
        json::array({json::array({"admin"})})}) {
    auto body = payload();
    body["roles"] = roles;
    auto message = refusal(body);
    EXPECT_NE(message.find("token claim roles"), std::string::npos)
      << roles.dump() << ": " << message;
  }
}

} // namespace
