#pragma once

// Signs JWTs inside the tests with OpenSSL (through the signing functions
// of jwt_signature.hpp), so the verifier is checked against real HS256,
// RS256 and ES256 signatures and fresh keys, also in shapes jwt_signer
// never makes.

#include <memory>
#include <string>
#include <string_view>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runtime/security/jwt_verifier.hpp"

namespace bsm::security::test {

/// The signature bytes as JWS carries them (ES256: raw r||s).
struct signer {
  /// Generates an RSA-2048 and a P-256 key pair.
  signer();

  std::string rsa_public_pem() const;
  std::string ec_public_pem() const;
  std::string rsa_private_pem() const;
  std::string ec_private_pem() const;

  /// What signs for `alg`: `hmac_key` for HS256, else the private PEM.
  std::string signing_key(jwt_algorithm alg, std::string_view hmac_key) const;

  /// What verifies for `alg`: `hmac_key` for HS256, else the public PEM.
  std::string verifying_key(jwt_algorithm alg, std::string_view hmac_key) const;

  /// Signs `input` with `alg`; HS256 uses `hmac_key`.
  std::string sign(jwt_algorithm alg, std::string_view input,
                   std::string_view hmac_key) const;

  /// ES256 as OpenSSL gives it: DER, which JWS does not allow.
  std::string es256_der(std::string_view input) const;

  /// A compact token from `header` and `payload`, signed with `alg`.
  std::string token(jwt_algorithm alg, const nlohmann::json& header,
                    const nlohmann::json& payload,
                    std::string_view hmac_key) const;

private:
  private_key rsa_;
  private_key ec_;
};

/// A fixture base whose tests share one signer, made once per suite (key
/// generation takes a while).
template <class Base = ::testing::Test>
class with_suite_keys : public Base {
public:
  static void SetUpTestSuite() {
    keys_ = std::make_unique<signer>();
  }

  static void TearDownTestSuite() {
    keys_.reset();
  }

  static const signer& keys() {
    return *keys_;
  }

private:
  static inline std::unique_ptr<signer> keys_;
};

/// "a.b.c" from already encoded parts.
std::string join(std::string_view header, std::string_view payload,
                 std::string_view signature);

} // namespace bsm::security::test
