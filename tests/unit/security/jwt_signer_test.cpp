#include "runtime/security/jwt_signer.hpp"

#include <memory>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "runtime/error.hpp"
#include "runtime/security/base64url.hpp"
#include "runtime/security/jwt_verifier.hpp"
#include "tests/unit/security/jwt_test_tokens.hpp"

namespace {

using bsm::errc;
using bsm::security::base64url_decode;
using bsm::security::issued_jwt;
using bsm::security::jwt_algorithm;
using bsm::security::jwt_grant;
using bsm::security::jwt_signer;
using bsm::security::jwt_signer_options;
using bsm::security::jwt_verifier;
using bsm::security::jwt_verifier_options;
using bsm::security::test::signer;
using nlohmann::json;

constexpr int64_t now = 1'700'000'000;
const std::string hmac_key = "0123456789abcdef0123456789abcdef";

class JwtSigner : public bsm::security::test::with_suite_keys<> {
protected:
  static jwt_signer_options options(jwt_algorithm alg) {
    jwt_signer_options opts;
    opts.algorithm = alg;
    opts.key = keys().signing_key(alg, hmac_key);
    opts.kid = "key-1";
    opts.issuer = "bsm-node";
    opts.audiences = {"bsm"};
    return opts;
  }

  static jwt_signer make(jwt_signer_options opts) {
    auto result = jwt_signer::make(std::move(opts));
    if (!result)
      throw std::runtime_error(bsm::render(result.error()));
    return std::move(*result);
  }

  static jwt_verifier verifier_for(jwt_algorithm alg) {
    jwt_verifier_options opts;
    opts.algorithms = {alg};
    opts.keys = {{alg, "key-1", keys().verifying_key(alg, hmac_key)}};
    opts.claims.issuer = "bsm-node";
    opts.claims.audiences = {"bsm"};
    auto result = jwt_verifier::make(std::move(opts));
    if (!result)
      throw std::runtime_error(bsm::render(result.error()));
    return std::move(*result);
  }

  static issued_jwt issue(const jwt_signer& signer, jwt_grant grant) {
    auto token = signer.issue(grant, now);
    if (!token)
      throw std::runtime_error(bsm::render(token.error()));
    return std::move(*token);
  }

  /// The decoded JSON of part `index` (0 header, 1 payload) of `token`.
  static json part(const std::string& token, size_t index) {
    size_t start = 0;
    for (size_t i = 0; i < index; ++i)
      start = token.find('.', start) + 1;
    auto end = token.find('.', start);
    return json::parse(*base64url_decode(token.substr(start, end - start)));
  }

  /// Expects refusal with invalid_argument and no trace of `secret`.
  static void expect_bad_key(jwt_signer_options opts,
                             const std::string& secret) {
    auto result = jwt_signer::make(std::move(opts));
    ASSERT_FALSE(result) << "accepted a key that must be refused";
    EXPECT_TRUE(bsm::is(result.error(), errc::invalid_argument));
    auto message = bsm::render(result.error());
    for (size_t at = 0; at + 16 <= secret.size(); at += 16)
      EXPECT_EQ(message.find(secret.substr(at, 16)), std::string::npos)
        << message;
  }
};

class JwtSignerRoundTrip : public JwtSigner,
                           public ::testing::WithParamInterface<jwt_algorithm> {
};

TEST_P(JwtSignerRoundTrip, IssuesTokensTheVerifierAccepts) {
  auto alg = GetParam();
  auto signer = make(options(alg));
  auto issued = issue(signer, {"alice", {"admin", "viewer"}, std::nullopt});
  auto claims = verifier_for(alg).verify(issued.token, now);
  ASSERT_TRUE(claims) << bsm::render(claims.error());
  EXPECT_EQ(claims->sub, "alice");
  EXPECT_EQ(claims->iss, "bsm-node");
  EXPECT_EQ(claims->aud, std::vector<std::string>{"bsm"});
  EXPECT_EQ(claims->roles, (std::vector<std::string>{"admin", "viewer"}));
  EXPECT_EQ(claims->iat, now);
  EXPECT_EQ(claims->nbf, now);
  EXPECT_EQ(claims->exp, now + 900);
  EXPECT_EQ(issued.expires_at, now + 900);
  EXPECT_EQ(claims->payload.at("jti"), issued.id);
  auto header = part(issued.token, 0);
  EXPECT_EQ(header, (json{{"alg", bsm::security::to_string(alg)},
                          {"typ", "JWT"},
                          {"kid", "key-1"}}));
  // Expired once the lifetime and the leeway have passed.
  EXPECT_TRUE(verifier_for(alg).verify(issued.token, now + 900 + 29));
  EXPECT_FALSE(verifier_for(alg).verify(issued.token, now + 900 + 30));
}

TEST_P(JwtSignerRoundTrip, SignsSoThatAnotherKeyDoesNotVerify) {
  auto alg = GetParam();
  auto issued = issue(make(options(alg)), {"alice", {}, std::nullopt});
  signer other;
  jwt_verifier_options opts;
  opts.algorithms = {alg};
  auto material = alg == jwt_algorithm::hs256   ? hmac_key + "!"
                  : alg == jwt_algorithm::rs256 ? other.rsa_public_pem()
                                                : other.ec_public_pem();
  opts.keys = {{alg, "", material}};
  auto verifier = jwt_verifier::make(opts);
  ASSERT_TRUE(verifier);
  EXPECT_FALSE(verifier->verify(issued.token, now));
}

INSTANTIATE_TEST_SUITE_P(EachAlgorithm, JwtSignerRoundTrip,
                         ::testing::Values(jwt_algorithm::hs256,
                                           jwt_algorithm::rs256,
                                           jwt_algorithm::es256),
                         [](const auto& test_param) {
                           return std::string{
                             bsm::security::to_string(test_param.param)};
                         });

TEST_F(JwtSigner, GivesEveryTokenAFreshJti) {
  auto signer = make(options(jwt_algorithm::hs256));
  std::set<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    auto issued = issue(signer, {"alice", {}, std::nullopt});
    EXPECT_EQ(base64url_decode(issued.id)->size(), 16u);
    ids.insert(issued.id);
  }
  EXPECT_EQ(ids.size(), 50u);
}

TEST_F(JwtSigner, LeavesOutEmptyOptionalsAndWritesSeveralAudiencesAsArray) {
  auto opts = options(jwt_algorithm::hs256);
  opts.kid.clear();
  opts.issuer.clear();
  opts.audiences.clear();
  auto bare = issue(make(opts), {"bob", {}, std::nullopt});
  EXPECT_FALSE(part(bare.token, 0).contains("kid"));
  auto payload = part(bare.token, 1);
  EXPECT_FALSE(payload.contains("iss"));
  EXPECT_FALSE(payload.contains("aud"));
  EXPECT_EQ(payload.at("roles"), json::array());
  opts.audiences = {"a", "b"};
  auto several = issue(make(opts), {"bob", {}, std::nullopt});
  EXPECT_EQ(part(several.token, 1).at("aud"), (json{"a", "b"}));
}

TEST_F(JwtSigner, CapsExpAtTheGrantsEnd) {
  auto signer = make(options(jwt_algorithm::hs256));
  auto capped = issue(signer, {"alice", {}, now + 60});
  EXPECT_EQ(capped.expires_at, now + 60);
  EXPECT_EQ(part(capped.token, 1).at("exp"), now + 60);
  auto uncapped = issue(signer, {"alice", {}, now + 100'000});
  EXPECT_EQ(uncapped.expires_at, now + 900);
  auto ended = signer.issue({"alice", {}, now}, now);
  ASSERT_FALSE(ended);
  EXPECT_TRUE(bsm::is(ended.error(), errc::invalid_argument));
}

TEST_F(JwtSigner, RefusesTextThatIsNotUtf8) {
  auto signer = make(options(jwt_algorithm::hs256));
  auto result = signer.issue({"al\xffice", {}, std::nullopt}, now);
  ASSERT_FALSE(result);
  EXPECT_TRUE(bsm::is(result.error(), errc::invalid_argument));
  result = signer.issue({"alice", {"\xc3"}, std::nullopt}, now);
  ASSERT_FALSE(result);
}

TEST_F(JwtSigner, RefusesBadKeysWithoutNamingThem) {
  auto opts = options(jwt_algorithm::hs256);
  opts.key = hmac_key.substr(1);
  expect_bad_key(opts, opts.key);
  // A public key where the private one belongs.
  opts = options(jwt_algorithm::rs256);
  opts.key = keys().rsa_public_pem();
  expect_bad_key(opts, opts.key);
  // The other algorithm's key.
  opts = options(jwt_algorithm::rs256);
  opts.key = keys().ec_private_pem();
  expect_bad_key(opts, opts.key);
  opts = options(jwt_algorithm::es256);
  opts.key = keys().rsa_private_pem();
  expect_bad_key(opts, opts.key);
  // Not PEM at all, or cut short.
  opts = options(jwt_algorithm::es256);
  opts.key = keys().ec_private_pem().substr(0, 100);
  expect_bad_key(opts, opts.key);
  opts.key.clear();
  expect_bad_key(opts, opts.key);
}

TEST_F(JwtSigner, RefusesAnRsaKeyShorterThan2048Bits) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> small{
    EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024}), &EVP_PKEY_free};
  ASSERT_TRUE(small);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio{BIO_new(BIO_s_mem()),
                                                &BIO_free};
  ASSERT_EQ(PEM_write_bio_PrivateKey(bio.get(), small.get(), nullptr, nullptr,
                                     0, nullptr, nullptr),
            1);
  char* data = nullptr;
  auto size = BIO_get_mem_data(bio.get(), &data);
  auto opts = options(jwt_algorithm::rs256);
  opts.key.assign(data, static_cast<size_t>(size));
  expect_bad_key(opts, opts.key);
}

TEST_F(JwtSigner, RefusesAnEncryptedKeyWithoutPrompting) {
  // OpenSSL would ask on the terminal for the passphrase; make() must
  // refuse instead of blocking.
  std::unique_ptr<BIO, decltype(&BIO_free)> bio{BIO_new(BIO_s_mem()),
                                                &BIO_free};
  auto private_pem = keys().ec_private_pem();
  std::unique_ptr<BIO, decltype(&BIO_free)> in{
    BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size())),
    &BIO_free};
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{
    PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr),
    &EVP_PKEY_free};
  ASSERT_TRUE(key);
  char passphrase[] = "correct horse battery staple";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), key.get(),
                                          EVP_aes_256_cbc(), nullptr, 0,
                                          nullptr, passphrase),
            1);
  char* data = nullptr;
  auto size = BIO_get_mem_data(bio.get(), &data);
  auto opts = options(jwt_algorithm::es256);
  opts.key.assign(data, static_cast<size_t>(size));
  ASSERT_NE(opts.key.find("ENCRYPTED"), std::string::npos);
  expect_bad_key(opts, opts.key);
}

TEST_F(JwtSigner, RefusesALifetimeBelowOneSecond) {
  auto opts = options(jwt_algorithm::hs256);
  opts.lifetime = std::chrono::seconds{0};
  auto result = jwt_signer::make(opts);
  ASSERT_FALSE(result);
  EXPECT_TRUE(bsm::is(result.error(), errc::invalid_argument));
}

} // namespace
