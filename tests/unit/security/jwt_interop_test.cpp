// Interoperability of jwt_signer and jwt_verifier with an independent
// implementation: the RFC 7515 example, and PyJWT (Debian's python3-jwt,
// with python3-cryptography for RS256 and ES256) as a child process in both
// directions.

#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "runtime/security/base64url.hpp"
#include "runtime/security/jwt_signer.hpp"
#include "runtime/security/jwt_verifier.hpp"
#include "tests/common/temp_dir.hpp"
#include "tests/unit/security/jwt_test_tokens.hpp"

namespace {

using bsm::security::base64url_decode;
using bsm::security::jwt_algorithm;
using bsm::security::jwt_signer;
using bsm::security::jwt_signer_options;
using bsm::security::jwt_verifier;
using bsm::security::jwt_verifier_options;
using bsm::security::to_string;
using nlohmann::json;

// -- RFC 7515 Appendix A.1 ----------------------------------------------------

/// The example's token, its key (the JWK "k", base64url) and its exp.
constexpr const char* rfc7515_token
  = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNv"
    "bS9pc19yb290Ijp0cnVlfQ"
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr const char* rfc7515_key
  = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUu"
    "TwjAzZr1Z9CAow";
constexpr int64_t rfc7515_exp = 1300819380;

jwt_verifier rfc7515_verifier() {
  jwt_verifier_options opts;
  opts.algorithms = {jwt_algorithm::hs256};
  opts.keys = {{jwt_algorithm::hs256, "", *base64url_decode(rfc7515_key)}};
  auto verifier = jwt_verifier::make(opts);
  if (!verifier)
    throw std::runtime_error(bsm::render(verifier.error()));
  return std::move(*verifier);
}

TEST(JwtInterop, Rfc7515ExampleVerifiesBeforeItsExp) {
  auto claims = rfc7515_verifier().verify(rfc7515_token, rfc7515_exp - 60);
  ASSERT_TRUE(claims) << bsm::render(claims.error());
  EXPECT_EQ(claims->iss, "joe");
  EXPECT_EQ(claims->exp, rfc7515_exp);
  EXPECT_EQ(claims->payload.at("http://example.com/is_root"), true);
}

TEST(JwtInterop, Rfc7515ExampleIsExpiredByTheRealClock) {
  auto claims = rfc7515_verifier().verify(rfc7515_token, std::time(nullptr));
  ASSERT_FALSE(claims);
  EXPECT_TRUE(bsm::is(claims.error(), bsm::errc::unauthenticated));
  EXPECT_NE(bsm::render(claims.error()).find("expired"), std::string::npos);
}

// -- PyJWT --------------------------------------------------------------------

const std::string hmac_key = "interop-interop-interop-interop-key!";

std::string quoted(const std::string& arg) {
  std::string out = "'";
  for (char c : arg)
    out += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
  return out + "'";
}

/// What a child process printed on stdout, and whether it exited with 0.
struct run_result {
  bool ok = false;
  std::string out;
};

run_result run(const std::vector<std::string>& argv) {
  std::string command;
  for (const auto& arg : argv)
    command += quoted(arg) + " ";
  command += "2>&1";
  run_result result;
  std::unique_ptr<FILE, decltype(&pclose)> pipe{popen(command.c_str(), "r"),
                                                &pclose};
  if (!pipe)
    return result;
  char buffer[4096];
  size_t got = 0;
  while ((got = fread(buffer, 1, sizeof buffer, pipe.get())) > 0)
    result.out.append(buffer, got);
  result.ok = pclose(pipe.release()) == 0;
  while (!result.out.empty() && result.out.back() == '\n')
    result.out.pop_back();
  return result;
}

/// A python3 that can import PyJWT and cryptography: Debian's first (where
/// deploy/install-deps.sh puts python3-jwt), then the one on PATH.
std::string python_with_pyjwt() {
  for (const char* candidate : {"/usr/bin/python3", "python3"})
    if (run({candidate, "-c", "import jwt, cryptography"}).ok)
      return candidate;
  return {};
}

class JwtPyjwt : public bsm::security::test::with_suite_keys<
                   ::testing::TestWithParam<jwt_algorithm>> {
protected:
  static void SetUpTestSuite() {
    python_ = python_with_pyjwt();
    with_suite_keys::SetUpTestSuite();
  }

  void SetUp() override {
    if (python_.empty())
      GTEST_SKIP()
        << "no python3 with PyJWT and cryptography (Debian: "
           "python3-jwt python3-cryptography, deploy/install-deps.sh)";
  }

  /// Writes `text` to a file in the test's directory; returns its path.
  std::string file(const std::string& name, const std::string& text) const {
    auto path = (dir_.path() / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  static std::string private_key(jwt_algorithm alg) {
    return keys().signing_key(alg, hmac_key);
  }

  static std::string public_key(jwt_algorithm alg) {
    return keys().verifying_key(alg, hmac_key);
  }

  static run_result peer(const std::vector<std::string>& args) {
    std::vector<std::string> argv{python_, BSM_SOURCE_DIR
                                  "/tests/unit/security/pyjwt_peer.py"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
  }

  /// A token of jwt_signer for `alg` with a kid, issued now, and the file
  /// with the key that verifies it.
  std::pair<bsm::security::issued_jwt, std::string>
  node_token(jwt_algorithm alg) const {
    jwt_signer_options opts;
    opts.algorithm = alg;
    opts.key = private_key(alg);
    opts.kid = "node-key";
    opts.issuer = "bsm-node";
    opts.audiences = {"bsm"};
    auto signer = jwt_signer::make(opts);
    if (!signer)
      throw std::runtime_error(bsm::render(signer.error()));
    auto issued
      = signer->issue({"alice", {"admin"}, std::nullopt}, std::time(nullptr));
    if (!issued)
      throw std::runtime_error(bsm::render(issued.error()));
    return {std::move(*issued), file("verify.key", public_key(alg))};
  }

  static inline std::string python_;
  bsm::test::temp_dir dir_;
};

TEST_P(JwtPyjwt, VerifiesTokensOfJwtSigner) {
  auto alg = GetParam();
  auto [issued, key_file] = node_token(alg);
  auto result = peer({"verify", to_string(alg), key_file, issued.token});
  ASSERT_TRUE(result.ok) << result.out;
  auto payload = json::parse(result.out);
  EXPECT_EQ(payload.at("sub"), "alice");
  EXPECT_EQ(payload.at("roles"), json::array({"admin"}));
  EXPECT_EQ(payload.at("jti"), issued.id);
  EXPECT_EQ(payload.at("exp"), issued.expires_at);
}

TEST_P(JwtPyjwt, RefusesATamperedTokenOfJwtSigner) {
  // The peer is not blindly accepting: one changed signature character
  // makes PyJWT refuse.
  auto alg = GetParam();
  auto [issued, key_file] = node_token(alg);
  auto token = issued.token;
  auto at = token.rfind('.') + 5;
  token[at] = token[at] == 'A' ? 'B' : 'A';
  auto result = peer({"verify", to_string(alg), key_file, token});
  EXPECT_FALSE(result.ok) << result.out;
}

TEST_P(JwtPyjwt, TokensOfPyjwtVerify) {
  auto alg = GetParam();
  auto now = static_cast<int64_t>(std::time(nullptr));
  json payload{{"sub", "bob"},       {"iss", "bsm-node"}, {"aud", {"bsm"}},
               {"iat", now},         {"nbf", now},        {"exp", now + 300},
               {"roles", {"viewer"}}};
  auto key_file = file("sign.key", private_key(alg));
  auto result
    = peer({"sign", to_string(alg), key_file, "py-key", payload.dump()});
  ASSERT_TRUE(result.ok) << result.out;
  jwt_verifier_options opts;
  opts.algorithms = {alg};
  opts.keys = {{alg, "py-key", public_key(alg)}};
  opts.claims.issuer = "bsm-node";
  opts.claims.audiences = {"bsm"};
  auto verifier = jwt_verifier::make(opts);
  ASSERT_TRUE(verifier) << bsm::render(verifier.error());
  auto claims = verifier->verify(result.out, now);
  ASSERT_TRUE(claims) << bsm::render(claims.error()) << "\n" << result.out;
  EXPECT_EQ(claims->sub, "bob");
  EXPECT_EQ(claims->roles, std::vector<std::string>{"viewer"});
  EXPECT_EQ(claims->exp, now + 300);
  // Under another kid the same token finds no key.
  opts.keys[0].kid = "other-key";
  EXPECT_FALSE(jwt_verifier::make(opts)->verify(result.out, now));
}

INSTANTIATE_TEST_SUITE_P(EachAlgorithm, JwtPyjwt,
                         ::testing::Values(jwt_algorithm::hs256,
                                           jwt_algorithm::rs256,
                                           jwt_algorithm::es256),
                         [](const auto& test_param) {
                           return std::string{to_string(test_param.param)};
                         });

} // namespace
