#include "runtime/security/authenticator.hpp"

#include <fstream>

#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "tests/common/temp_dir.hpp"
#include "tests/unit/security/jwt_test_tokens.hpp"

namespace bsm::security {
namespace {

constexpr int64_t now = 1'800'000'000;
const std::string hs256_key = "0123456789abcdef0123456789abcdef-key";

class AuthenticatorTest : public ::testing::Test {
protected:
  std::filesystem::path write_key(const std::string& bytes) {
    auto file = dir_.path() / "hs256.key";
    std::ofstream{file} << bytes << "\n";
    return file;
  }

  authenticator with_jwt(security_options opts = {}) {
    opts.jwt_hs256_key_file = write_key(hs256_key);
    auto result = authenticator::make(opts);
    EXPECT_TRUE(result) << render(result.error());
    return std::move(*result);
  }

  std::string token(const nlohmann::json& claims) {
    static const test::signer signer;
    return signer.token(jwt_algorithm::hs256, {{"alg", "HS256"}}, claims,
                        hs256_key);
  }

  bsm::test::temp_dir dir_;
};

TEST_F(AuthenticatorTest, ProtectedModeServesLoopbackAsTheLocalAdmin) {
  auto auth = authenticator::make({});
  ASSERT_TRUE(auth);
  EXPECT_TRUE(auth->protected_mode());
  auto who = auth->authenticate("", {true, {}}, now);
  ASSERT_TRUE(who && *who);
  EXPECT_EQ((*who)->kind, principal_kind::local);
  EXPECT_TRUE((*who)->permissions.allows("actors:memory:inject:bsm.v1.Ping"));
}

TEST_F(AuthenticatorTest, ProtectedModeRefusesOtherAddressesSayingHow) {
  auto auth = authenticator::make({});
  ASSERT_TRUE(auth);
  auto who = auth->authenticate("Bearer whatever", {false, {}}, now);
  ASSERT_FALSE(who);
  EXPECT_TRUE(is(who.error(), errc::unauthenticated));
  EXPECT_NE(render(who.error()).find("security.jwt_hs256_key_file"),
            std::string::npos);
}

TEST_F(AuthenticatorTest, EnabledWithoutCredentialsIsNotProtectedMode) {
  security_options opts;
  opts.enabled = true;
  auto auth = authenticator::make(opts);
  ASSERT_TRUE(auth);
  EXPECT_FALSE(auth->protected_mode());
  EXPECT_FALSE(auth->authenticate("", {true, {}}, now));
}

TEST_F(AuthenticatorTest, CredentialsEndProtectedModeForLoopbackToo) {
  auto auth = with_jwt();
  EXPECT_FALSE(auth.protected_mode());
  auto who = auth.authenticate("", {true, {}}, now);
  ASSERT_FALSE(who);
  EXPECT_NE(render(who.error()).find("credentials missing"), std::string::npos);
}

TEST_F(AuthenticatorTest, ATokenGivesItsSubjectAndRoles) {
  auto auth = with_jwt();
  auto t = token({{"sub", "alice"}, {"exp", now + 60}, {"roles", {"chat"}}});
  auto who = auth.authenticate("Bearer " + t, {false, {}}, now);
  ASSERT_TRUE(who && *who) << render(who.error());
  EXPECT_EQ((*who)->name, "alice");
  EXPECT_EQ((*who)->kind, principal_kind::token);
  EXPECT_EQ((*who)->roles, std::vector<std::string>{"chat"});
  EXPECT_TRUE((*who)->permissions.allows("agents:legal:chat"));
  EXPECT_FALSE((*who)->permissions.allows("actors:memory:inject:bsm.v1.Ping"));
}

TEST_F(AuthenticatorTest, TheSchemeIsCaseInsensitive) {
  auto auth = with_jwt();
  auto t = token({{"sub", "alice"}, {"exp", now + 60}});
  EXPECT_TRUE(auth.authenticate("bearer " + t, {false, {}}, now));
  EXPECT_TRUE(auth.authenticate("BEARER  " + t, {false, {}}, now));
}

TEST_F(AuthenticatorTest, UnknownRolesGrantNothing) {
  auto auth = with_jwt();
  auto t = token({{"sub", "bob"}, {"exp", now + 60}, {"roles", {"wizard"}}});
  auto who = auth.authenticate("Bearer " + t, {false, {}}, now);
  ASSERT_TRUE(who);
  EXPECT_TRUE((*who)->permissions.empty());
}

TEST_F(AuthenticatorTest, ConfiguredRolesReplaceBuiltInOnes) {
  security_options opts;
  opts.roles["chat"] = {"agents:legal:chat"};
  opts.roles["auditor"] = {"audit:read"};
  auto auth = with_jwt(opts);
  auto t = token(
    {{"sub", "carol"}, {"exp", now + 60}, {"roles", {"chat", "auditor"}}});
  auto who = auth.authenticate("Bearer " + t, {false, {}}, now);
  ASSERT_TRUE(who);
  EXPECT_TRUE((*who)->permissions.allows("agents:legal:chat"));
  EXPECT_FALSE((*who)->permissions.allows("agents:finance:chat"));
  EXPECT_TRUE((*who)->permissions.allows("audit:read"));
}

TEST_F(AuthenticatorTest, RefusesBadHeadersAndClaims) {
  auto auth = with_jwt();
  for (std::string header :
       {"Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer a b", "token"}) {
    auto who = auth.authenticate(header, {true, {}}, now);
    ASSERT_FALSE(who) << header;
    EXPECT_TRUE(is(who.error(), errc::unauthenticated));
  }
  auto no_sub = token({{"exp", now + 60}});
  EXPECT_FALSE(auth.authenticate("Bearer " + no_sub, {true, {}}, now));
  auto bad_roles = token({{"sub", "x"}, {"exp", now + 60}, {"roles", "admin"}});
  auto who = auth.authenticate("Bearer " + bad_roles, {true, {}}, now);
  ASSERT_FALSE(who);
  EXPECT_NE(render(who.error()).find("roles"), std::string::npos);
  auto expired = token({{"sub", "x"}, {"exp", now - 3600}});
  EXPECT_FALSE(auth.authenticate("Bearer " + expired, {true, {}}, now));
}

TEST_F(AuthenticatorTest, ARepeatedTokenIsServedFromItsVerificationUntilExp) {
  auto auth = with_jwt();
  auto t = token({{"sub", "alice"}, {"exp", now + 60}, {"roles", {"chat"}}});
  auto first = auth.authenticate("Bearer " + t, {false, {}}, now);
  ASSERT_TRUE(first) << render(first.error());
  auto again = auth.authenticate("Bearer " + t, {false, {}}, now + 30);
  ASSERT_TRUE(again);
  EXPECT_EQ(first->get(), again->get()); // the same principal, not re-verified
  // The window is checked on every use: the leeway (30 s) past exp ends it.
  auto late = auth.authenticate("Bearer " + t, {false, {}}, now + 60 + 30);
  ASSERT_FALSE(late);
  EXPECT_NE(render(late.error()).find("expired"), std::string::npos);
  // Any other token text is verified afresh: one flipped character fails.
  auto flipped = t;
  flipped[flipped.size() - 2] = flipped[flipped.size() - 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(auth.authenticate("Bearer " + flipped, {false, {}}, now));
}

TEST_F(AuthenticatorTest, ANewAuthenticatorForgetsTheTokensOfTheOld) {
  auto t = token({{"sub", "alice"}, {"exp", now + 60}});
  auto with_key = with_jwt();
  ASSERT_TRUE(with_key.authenticate("Bearer " + t, {false, {}}, now));
  // The key changes (the hub makes a new authenticator): the old token fails.
  security_options opts;
  opts.jwt_hs256_key_file = write_key("another-key-of-at-least-32-bytes-xx");
  auto rekeyed = authenticator::make(opts);
  ASSERT_TRUE(rekeyed);
  EXPECT_FALSE(rekeyed->authenticate("Bearer " + t, {false, {}}, now));
}

TEST_F(AuthenticatorTest, KeyFileProblemsNameTheKey) {
  security_options opts;
  opts.jwt_hs256_key_file = dir_.path() / "missing.key";
  auto auth = authenticator::make(opts);
  ASSERT_FALSE(auth);
  EXPECT_NE(render(auth.error()).find("security.jwt_hs256_key_file"),
            std::string::npos);
  opts.jwt_hs256_key_file = write_key("tiny-secret");
  auth = authenticator::make(opts);
  ASSERT_FALSE(auth);
  EXPECT_TRUE(is(auth.error(), errc::invalid_argument));
  EXPECT_EQ(render(auth.error()).find("tiny-secret"), std::string::npos)
    << "the key itself must not appear in errors";
}

TEST_F(AuthenticatorTest, BadRoleGrantsAreRefused) {
  security_options opts;
  opts.roles["broken"] = {"not a permission"};
  auto auth = authenticator::make(opts);
  ASSERT_FALSE(auth);
  EXPECT_NE(render(auth.error()).find("security.roles"), std::string::npos);
}

} // namespace
} // namespace bsm::security
