#include "runtime/security/certificate_principals.hpp"

#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "runtime/security/authenticator.hpp"

namespace bsm::security {
namespace {

constexpr int64_t now = 1'800'000'000;

certificate_principals ops_box_operator() {
  return certificate_principals{{{"ops-box", {"operator"}}}, role_table{}};
}

TEST(CertificatePrincipals, AMappedCnHasItsRoles) {
  auto certs = ops_box_operator();
  ASSERT_TRUE(certs.enabled());
  auto who = certs.of("ops-box");
  ASSERT_TRUE(who);
  EXPECT_EQ(who->kind, principal_kind::certificate);
  EXPECT_EQ(who->name, "cert:ops-box");
  EXPECT_EQ(who->roles, std::vector<std::string>{"operator"});
  EXPECT_EQ(who->permissions.allows("agents:legal:chat"),
            role_table{}.grants_of({"operator"}).allows("agents:legal:chat"));
  EXPECT_FALSE(who->permissions.allows("admin:users:write"));
}

TEST(CertificatePrincipals, AnUnmappedCnIsKnownButMayDoNothing) {
  auto certs = ops_box_operator();
  auto who = certs.of("laptop");
  ASSERT_TRUE(who);
  EXPECT_EQ(who->kind, principal_kind::certificate);
  EXPECT_EQ(who->name, "cert:laptop");
  EXPECT_TRUE(who->roles.empty());
  EXPECT_TRUE(who->permissions.empty());
  // Names are compared exactly.
  EXPECT_TRUE(certs.of("OPS-BOX")->permissions.empty());
}

TEST(CertificatePrincipals, NoMappingNamesNobody) {
  EXPECT_FALSE(certificate_principals{}.enabled());
  EXPECT_FALSE((certificate_principals{{}, role_table{}}.enabled()));
}

TEST(CertificatePrincipals, NamesArePrintableAsciiUpTo64Bytes) {
  EXPECT_TRUE(is_certificate_name("ops-box"));
  EXPECT_TRUE(is_certificate_name("BSM-AgentOS cluster CA"));
  EXPECT_TRUE(is_certificate_name(std::string(64, 'a')));
  EXPECT_FALSE(is_certificate_name(""));
  EXPECT_FALSE(is_certificate_name(std::string(65, 'a')));
  EXPECT_FALSE(is_certificate_name("a\nb"));
  EXPECT_FALSE(is_certificate_name("caf\xc3\xa9"));
}

// The authenticator's use of the mapping.

security_options with_certificates() {
  security_options opts;
  opts.client_certificates["ops-box"] = {"operator"};
  return opts;
}

TEST(CertificateAuthentication, AMappingEndsProtectedMode) {
  auto auth = authenticator::make(with_certificates());
  ASSERT_TRUE(auth) << render(auth.error());
  EXPECT_FALSE(auth->protected_mode());
  // A loopback client without a certificate needs a credential now.
  auto who = auth->authenticate("", {true, {}}, now);
  ASSERT_FALSE(who);
  EXPECT_TRUE(is(who.error(), errc::unauthenticated));
}

TEST(CertificateAuthentication, AVerifiedCertificateNamesThePrincipal) {
  auto auth = authenticator::make(with_certificates());
  ASSERT_TRUE(auth);
  auto who = auth->authenticate("", {false, "ops-box"}, now);
  ASSERT_TRUE(who && *who) << render(who.error());
  EXPECT_EQ((*who)->name, "cert:ops-box");
  auto stranger = auth->authenticate("", {false, "laptop"}, now);
  ASSERT_TRUE(stranger && *stranger);
  EXPECT_TRUE((*stranger)->permissions.empty());
}

TEST(CertificateAuthentication, AHeaderWinsOverTheCertificate) {
  auto auth = authenticator::make(with_certificates());
  ASSERT_TRUE(auth);
  // Even a bad header: the certificate does not rescue it.
  auto who = auth->authenticate("Bearer not-a-token", {false, "ops-box"}, now);
  ASSERT_FALSE(who);
  EXPECT_TRUE(is(who.error(), errc::unauthenticated));
}

TEST(CertificateAuthentication, WithoutAMappingACertificateIsNoCredential) {
  security_options opts;
  opts.enabled = true;
  opts.users.push_back({"alice", "$scrypt$x", {"admin"}});
  auto auth = authenticator::make(opts);
  ASSERT_TRUE(auth);
  auto who = auth->authenticate("", {false, "ops-box"}, now);
  ASSERT_FALSE(who);
  EXPECT_NE(render(who.error()).find("credentials missing"), std::string::npos);
}

} // namespace
} // namespace bsm::security
