#include "runtime/security/jwt_verifier.hpp"

#include <array>
#include <string>

#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "runtime/security/base64url.hpp"
#include "tests/unit/security/jwt_verifier_fixture.hpp"

namespace {

using bsm::errc;
using bsm::security::base64url_decode;
using bsm::security::base64url_encode;
using bsm::security::jwt_algorithm;
using bsm::security::jwt_key;
using bsm::security::jwt_verifier;
using bsm::security::jwt_verifier_options;
using bsm::security::test::hmac_key;
using bsm::security::test::issuer;
using bsm::security::test::join;
using bsm::security::test::JwtVerifier;
using bsm::security::test::now;
using nlohmann::json;

// -- construction ------------------------------------------------------------

TEST_F(JwtVerifier, RefusesAnEmptyAlgorithmSet) {
  auto opts = all_algorithms();
  opts.algorithms.clear();
  auto verifier = jwt_verifier::make(opts);
  ASSERT_FALSE(verifier);
  EXPECT_TRUE(bsm::is(verifier.error(), errc::invalid_argument));
}

TEST_F(JwtVerifier, RefusesAnHmacKeyShorterThan32Bytes) {
  auto opts = all_algorithms();
  material(opts, jwt_algorithm::hs256) = hmac_key.substr(1);
  auto verifier = jwt_verifier::make(opts);
  ASSERT_FALSE(verifier);
  EXPECT_TRUE(bsm::is(verifier.error(), errc::invalid_argument));
  EXPECT_EQ(bsm::render(verifier.error()).find(hmac_key.substr(1)),
            std::string::npos);
  material(opts, jwt_algorithm::hs256) = hmac_key;
  EXPECT_TRUE(jwt_verifier::make(opts));
}

TEST_F(JwtVerifier, NeedsNoHmacKeyWithoutHs256) {
  EXPECT_TRUE(jwt_verifier::make(only(jwt_algorithm::rs256)));
}

TEST_F(JwtVerifier, RefusesAKeyForAnAlgorithmNotAccepted) {
  auto opts = all_algorithms();
  opts.algorithms = {jwt_algorithm::rs256, jwt_algorithm::es256};
  auto verifier = jwt_verifier::make(opts);
  ASSERT_FALSE(verifier);
  EXPECT_TRUE(bsm::is(verifier.error(), errc::invalid_argument));
}

TEST_F(JwtVerifier, RefusesMissingOrUnusablePublicKeys) {
  auto refused = [](jwt_verifier_options opts) {
    auto verifier = jwt_verifier::make(std::move(opts));
    return !verifier && bsm::is(verifier.error(), errc::invalid_argument);
  };
  auto opts = all_algorithms();
  material(opts, jwt_algorithm::rs256).clear();
  EXPECT_TRUE(refused(opts));
  opts = all_algorithms();
  material(opts, jwt_algorithm::rs256) = "-----BEGIN PUBLIC KEY-----\nAAAA\n";
  EXPECT_TRUE(refused(opts));
  opts = all_algorithms();
  material(opts, jwt_algorithm::rs256) = keys().ec_public_pem();
  EXPECT_TRUE(refused(opts));
  opts = all_algorithms();
  material(opts, jwt_algorithm::es256) = keys().rsa_public_pem();
  EXPECT_TRUE(refused(opts));
  opts = all_algorithms();
  material(opts, jwt_algorithm::es256).clear();
  EXPECT_TRUE(refused(opts));
  // No key at all for an accepted algorithm.
  opts = only(jwt_algorithm::es256);
  opts.algorithms.insert(jwt_algorithm::hs256);
  EXPECT_TRUE(refused(opts));
}

// -- good tokens
// ---------------------------------------------------------------

TEST_F(JwtVerifier, AcceptsEachAlgorithmAndReturnsTheClaims) {
  auto verifier = make();
  for (auto [alg, name] : {std::pair{jwt_algorithm::hs256, "HS256"},
                           std::pair{jwt_algorithm::rs256, "RS256"},
                           std::pair{jwt_algorithm::es256, "ES256"}}) {
    auto token = keys().token(alg, header(name), payload(), hmac_key);
    auto claims = verifier.verify(token, now);
    ASSERT_TRUE(claims) << name << ": " << bsm::render(claims.error());
    EXPECT_EQ(claims->sub, "alice");
    EXPECT_EQ(claims->iss, issuer);
    EXPECT_EQ(claims->aud, std::vector<std::string>{"bsm"});
    EXPECT_EQ(claims->exp, now + 600);
    EXPECT_EQ(claims->nbf, now);
    EXPECT_EQ(claims->iat, now);
    EXPECT_EQ(claims->payload.at("scope"), "actors:read");
  }
}

TEST_F(JwtVerifier, AcceptsAnAudienceArrayThatNamesOneAcceptedAudience) {
  auto body = payload();
  body["aud"] = {"other", "bsm-admin"};
  auto claims = make().verify(hs256(body), now);
  ASSERT_TRUE(claims) << bsm::render(claims.error());
  EXPECT_EQ(claims->aud, (std::vector<std::string>{"other", "bsm-admin"}));
}

TEST_F(JwtVerifier, AcceptsAMissingTypAndTypInAnyCase) {
  EXPECT_TRUE(make().verify(hs256(payload(), {{"alg", "HS256"}}), now));
  EXPECT_TRUE(
    make().verify(hs256(payload(), {{"alg", "HS256"}, {"typ", "jwt"}}), now));
}

TEST_F(JwtVerifier, LeavesOptionalClaimsEmptyAndChecksNoPartiesUnlessAsked) {
  auto opts = all_algorithms();
  opts.claims.issuer.reset();
  opts.claims.audiences.clear();
  auto claims = make(opts).verify(hs256({{"exp", now + 1}}), now);
  ASSERT_TRUE(claims) << bsm::render(claims.error());
  EXPECT_FALSE(claims->sub);
  EXPECT_FALSE(claims->iss);
  EXPECT_TRUE(claims->aud.empty());
  EXPECT_FALSE(claims->nbf);
  EXPECT_FALSE(claims->iat);
}

// -- shape
// ----------------------------------------------------------------------

TEST_F(JwtVerifier, RefusesATokenWithoutThreeParts) {
  auto token = hs256();
  expect_refused("");
  expect_refused(token.substr(0, token.rfind('.')));
  expect_refused(token + ".");
  expect_refused(token + "." + base64url_encode("extra"));
}

TEST_F(JwtVerifier, RefusesATokenLongerThan8KiB) {
  // Grows a padding claim until the token crosses the limit.
  auto body = payload();
  std::string fits;
  std::string too_long;
  for (size_t pad = 5000; too_long.empty(); ++pad) {
    body["pad"] = std::string(pad, 'x');
    auto token = hs256(body);
    (token.size() <= jwt_verifier::max_token_size ? fits : too_long) = token;
  }
  EXPECT_GE(fits.size(), jwt_verifier::max_token_size - 2);
  EXPECT_TRUE(make().verify(fits, now));
  expect_refused(too_long);
}

TEST_F(JwtVerifier, RefusesPartsThatAreNotStrictBase64url) {
  auto token = hs256();
  auto first = token.find('.');
  auto second = token.rfind('.');
  auto head = token.substr(0, first);
  auto body = token.substr(first + 1, second - first - 1);
  auto sig = token.substr(second + 1);
  expect_refused(join(head + "=", body, sig));
  expect_refused(join(head, body + " ", sig));
  expect_refused(join(head, body, sig + "="));
  expect_refused(join(head, body, "+" + sig.substr(1)));
}

TEST_F(JwtVerifier, RefusesAHeaderThatIsNotAJsonObject) {
  for (const char* text : {"[\"HS256\"]", "\"HS256\"", "{\"alg\":", "null"}) {
    auto input
      = base64url_encode(text) + "." + base64url_encode(payload().dump());
    auto sig = keys().sign(jwt_algorithm::hs256, input, hmac_key);
    expect_refused(input + "." + base64url_encode(sig));
  }
}

TEST_F(JwtVerifier, RefusesAPayloadThatIsNotAJsonObject) {
  for (const char* text : {"[1,2]", "42", "{\"exp\":", ""}) {
    auto input
      = base64url_encode(header("HS256").dump()) + "." + base64url_encode(text);
    auto sig = keys().sign(jwt_algorithm::hs256, input, hmac_key);
    expect_refused(input + "." + base64url_encode(sig));
  }
}

// -- header
// ----------------------------------------------------------------------

TEST_F(JwtVerifier, RefusesAMissingOrNonStringAlg) {
  expect_refused(hs256(payload(), {{"typ", "JWT"}}));
  expect_refused(hs256(payload(), {{"alg", nullptr}}));
  expect_refused(hs256(payload(), {{"alg", 256}}));
}

TEST_F(JwtVerifier, RefusesAlgNoneInAnySpelling) {
  for (const char* none : {"none", "None", "NONE", "nOnE"}) {
    auto input = base64url_encode(json{{"alg", none}}.dump()) + "."
                 + base64url_encode(payload().dump());
    expect_refused(input + ".");
    // Refused as unsigned, not merely as an algorithm outside the set.
    auto result = make().verify(input + ".", now);
    ASSERT_FALSE(result);
    EXPECT_NE(bsm::render(result.error()).find("alg none"), std::string::npos);
    // Even with an HMAC signature attached.
    expect_refused(
      input + "."
      + base64url_encode(keys().sign(jwt_algorithm::hs256, input, hmac_key)));
  }
}

TEST_F(JwtVerifier, RefusesAnAlgorithmOutsideTheConfiguredSet) {
  auto hs_only = make(only(jwt_algorithm::hs256));
  expect_refused(hs_only, keys().token(jwt_algorithm::rs256, header("RS256"),
                                       payload(), hmac_key));
  expect_refused(hs_only, keys().token(jwt_algorithm::es256, header("ES256"),
                                       payload(), hmac_key));
  // Names are case-sensitive and unknown ones never count.
  expect_refused(hs256(payload(), header("hs256")));
  expect_refused(hs256(payload(), header("HS512")));
}

TEST_F(JwtVerifier, RefusesATypOtherThanJwt) {
  expect_refused(hs256(payload(), {{"alg", "HS256"}, {"typ", "JWS"}}));
  expect_refused(hs256(payload(), {{"alg", "HS256"}, {"typ", "at+jwt"}}));
  expect_refused(hs256(payload(), {{"alg", "HS256"}, {"typ", 1}}));
}

TEST_F(JwtVerifier, RefusesCriticalHeaderParameters) {
  expect_refused(hs256(payload(), {{"alg", "HS256"}, {"crit", {"exp"}}}));
  expect_refused(hs256(payload(), {{"alg", "HS256"}, {"crit", json::array()}}));
}

// -- signature
// -------------------------------------------------------------------

TEST_F(JwtVerifier, RefusesHs256KeyedWithTheRsaPublicKey) {
  // Key confusion: HS256 uses only the configured HMAC key, so the RS256
  // public key's PEM bytes are worthless as an HMAC key.
  auto token = keys().token(jwt_algorithm::hs256, header("HS256"), payload(),
                            keys().rsa_public_pem());
  expect_refused(token);
  expect_refused(make(only(jwt_algorithm::rs256)), token);
}

TEST_F(JwtVerifier, RefusesASignatureUnderAnotherHmacKey) {
  auto token = keys().token(jwt_algorithm::hs256, header("HS256"), payload(),
                            "fedcba9876543210fedcba9876543210");
  expect_refused(token);
}

/// Flips each bit of one decoded part in turn; every result is refused.
class JwtBitFlip : public JwtVerifier,
                   public ::testing::WithParamInterface<
                     std::pair<jwt_algorithm, const char*>> {};

TEST_P(JwtBitFlip, RefusesAnyFlippedBitInAnyPart) {
  auto [alg, name] = GetParam();
  auto verifier = make();
  auto token = keys().token(alg, header(name), payload(), hmac_key);
  ASSERT_TRUE(verifier.verify(token, now));
  std::array<std::string, 3> parts;
  size_t start = 0;
  for (auto& part : parts) {
    auto end = std::min(token.find('.', start), token.size());
    part = *base64url_decode(token.substr(start, end - start));
    start = end + 1;
  }
  for (size_t which = 0; which < parts.size(); ++which) {
    for (size_t bit = 0; bit < parts[which].size() * 8; ++bit) {
      auto changed = parts;
      changed[which][bit / 8] ^= static_cast<char>(1 << (bit % 8));
      auto tampered
        = join(base64url_encode(changed[0]), base64url_encode(changed[1]),
               base64url_encode(changed[2]));
      ASSERT_FALSE(verifier.verify(tampered, now))
        << name << ": part " << which << ", bit " << bit;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
  EachAlgorithm, JwtBitFlip,
  ::testing::Values(std::pair{jwt_algorithm::hs256, "HS256"},
                    std::pair{jwt_algorithm::rs256, "RS256"},
                    std::pair{jwt_algorithm::es256, "ES256"}),
  [](const auto& test_param) { return std::string{test_param.param.second}; });

TEST_F(JwtVerifier, RefusesAnEs256SignatureThatIsNotExactly64Bytes) {
  auto input = base64url_encode(header("ES256").dump()) + "."
               + base64url_encode(payload().dump());
  auto raw = keys().sign(jwt_algorithm::es256, input, hmac_key);
  ASSERT_TRUE(make().verify(input + "." + base64url_encode(raw), now));
  // The DER form OpenSSL produces is valid ECDSA but not JWS.
  expect_refused(input + "." + base64url_encode(keys().es256_der(input)));
  expect_refused(input + "." + base64url_encode(raw.substr(1)));
  expect_refused(input + "." + base64url_encode(raw + '\0'));
  expect_refused(input + "." + base64url_encode(std::string(1, '\0') + raw));
  expect_refused(input + ".");
}

// -- claims
// ----------------------------------------------------------------------

TEST_F(JwtVerifier, RefusesAMissingOrNonNumericExp) {
  auto body = payload();
  body.erase("exp");
  expect_refused(hs256(body));
  body["exp"] = std::to_string(now + 600);
  expect_refused(hs256(body));
  body["exp"] = nullptr;
  expect_refused(hs256(body));
  body["exp"] = true;
  expect_refused(hs256(body));
}

TEST_F(JwtVerifier, AcceptsExpUntilTheLeewayHasPassed) {
  auto verifier = make();
  auto body = payload();
  body["exp"] = now;
  auto token = hs256(body);
  EXPECT_TRUE(verifier.verify(token, now));
  EXPECT_TRUE(verifier.verify(token, now + 29));
  expect_refused(verifier, token, now + 30);
  expect_refused(verifier, token, now + 3600);
}

TEST_F(JwtVerifier, AcceptsAFractionalExp) {
  auto body = payload();
  body["exp"] = now + 0.5;
  auto claims = make().verify(hs256(body), now + 29);
  ASSERT_TRUE(claims) << bsm::render(claims.error());
  EXPECT_EQ(claims->exp, now);
  expect_refused(hs256(body), now + 30);
}

TEST_F(JwtVerifier, HonoursAConfiguredLeeway) {
  auto opts = all_algorithms();
  opts.claims.leeway = std::chrono::seconds{0};
  auto strict = make(opts);
  auto body = payload();
  body["exp"] = now + 1;
  body["nbf"] = now;
  auto token = hs256(body);
  EXPECT_TRUE(strict.verify(token, now));
  expect_refused(strict, token, now + 1);
  expect_refused(strict, token, now - 1);
}

TEST_F(JwtVerifier, RefusesNbfBeyondTheLeeway) {
  auto verifier = make();
  auto body = payload();
  body["nbf"] = now + 30;
  EXPECT_TRUE(verifier.verify(hs256(body), now));
  body["nbf"] = now + 31;
  expect_refused(verifier, hs256(body));
  body["nbf"] = "soon";
  expect_refused(verifier, hs256(body));
}

TEST_F(JwtVerifier, RefusesNonStringSubOrIssAndNonNumericIat) {
  auto body = payload();
  body["sub"] = 7;
  expect_refused(hs256(body));
  body = payload();
  body["iss"] = json::array({issuer});
  expect_refused(hs256(body));
  body = payload();
  body["iat"] = "now";
  expect_refused(hs256(body));
}

TEST_F(JwtVerifier, RefusesAnotherOrAMissingIssuer) {
  auto body = payload();
  body["iss"] = "https://evil.test";
  expect_refused(hs256(body));
  body["iss"] = "HTTPS://ISSUER.TEST";
  expect_refused(hs256(body));
  body.erase("iss");
  expect_refused(hs256(body));
}

TEST_F(JwtVerifier, RefusesAnAudienceOutsideTheAcceptedSet) {
  auto body = payload();
  body["aud"] = "other";
  expect_refused(hs256(body));
  body["aud"] = {"other", "another"};
  expect_refused(hs256(body));
  body["aud"] = json::array();
  expect_refused(hs256(body));
  body["aud"] = 1;
  expect_refused(hs256(body));
  body["aud"] = {"bsm", 1};
  expect_refused(hs256(body));
  body.erase("aud");
  expect_refused(hs256(body));
}

} // namespace
