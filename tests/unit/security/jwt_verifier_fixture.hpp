#pragma once

// The fixture of the jwt_verifier tests: fresh RSA and EC keys for the
// suite, a verifier accepting all three algorithms, good tokens, and a
// check that a refusal is unauthenticated and echoes no part of the token.

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "runtime/security/base64url.hpp"
#include "runtime/security/jwt_verifier.hpp"
#include "tests/unit/security/jwt_test_tokens.hpp"

namespace bsm::security::test {

using nlohmann::json;

inline constexpr int64_t now = 1'700'000'000;
inline const std::string hmac_key = "0123456789abcdef0123456789abcdef";
inline const std::string issuer = "https://issuer.test";

class JwtVerifier : public with_suite_keys<> {
protected:
  static jwt_verifier_options all_algorithms() {
    jwt_verifier_options opts;
    opts.algorithms
      = {jwt_algorithm::hs256, jwt_algorithm::rs256, jwt_algorithm::es256};
    opts.keys = {{jwt_algorithm::hs256, "", hmac_key},
                 {jwt_algorithm::rs256, "", keys().rsa_public_pem()},
                 {jwt_algorithm::es256, "", keys().ec_public_pem()}};
    opts.claims.issuer = issuer;
    opts.claims.audiences = {"bsm", "bsm-admin"};
    return opts;
  }

  /// all_algorithms() narrowed to `alg` and its key.
  static jwt_verifier_options only(jwt_algorithm alg) {
    auto opts = all_algorithms();
    opts.algorithms = {alg};
    opts.keys.erase(std::remove_if(opts.keys.begin(), opts.keys.end(),
                                   [alg](const jwt_key& key) {
                                     return key.algorithm != alg;
                                   }),
                    opts.keys.end());
    return opts;
  }

  /// The key material of `alg` in `opts`.
  static std::string& material(jwt_verifier_options& opts, jwt_algorithm alg) {
    for (auto& key : opts.keys)
      if (key.algorithm == alg)
        return key.material;
    throw std::logic_error("no key for the algorithm");
  }

  static jwt_verifier make(jwt_verifier_options opts = all_algorithms()) {
    auto verifier = jwt_verifier::make(std::move(opts));
    if (!verifier)
      throw std::runtime_error(bsm::render(verifier.error()));
    return std::move(*verifier);
  }

  static json header(const char* alg) {
    return {{"alg", alg}, {"typ", "JWT"}};
  }

  static json payload() {
    return {{"sub", "alice"},        {"iss", issuer}, {"aud", "bsm"},
            {"exp", now + 600},      {"nbf", now},    {"iat", now},
            {"scope", "actors:read"}};
  }

  static std::string hs256(const json& body = payload(),
                           const json& head = header("HS256")) {
    return keys().token(jwt_algorithm::hs256, head, body, hmac_key);
  }

  /// Asserts that `token` is refused and that the message echoes no part
  /// of it.
  static void expect_refused(const jwt_verifier& verifier,
                             const std::string& token, int64_t at = now) {
    auto result = verifier.verify(token, at);
    ASSERT_FALSE(result) << "accepted a token that must be refused";
    EXPECT_TRUE(bsm::is(result.error(), errc::unauthenticated))
      << bsm::render(result.error());
    auto message = bsm::render(result.error());
    size_t start = 0;
    while (start < token.size()) {
      auto end = std::min(token.find('.', start), token.size());
      auto part = token.substr(start, end - start);
      if (part.size() >= 8) {
        EXPECT_EQ(message.find(part), std::string::npos) << message;
      }
      start = end + 1;
    }
    EXPECT_EQ(message.find(hmac_key), std::string::npos) << message;
  }

  static void expect_refused(const std::string& token, int64_t at = now) {
    expect_refused(make(), token, at);
  }
};

} // namespace bsm::security::test
