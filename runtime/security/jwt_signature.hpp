#pragma once

// The cryptography behind the JWT verifier, on OpenSSL 3: loading the
// configured public keys and checking the three signature kinds. Callers
// pass the exact bytes that were signed ("header.payload" as sent).

#include <memory>
#include <string_view>

#include <caf/expected.hpp>

struct evp_pkey_st;

namespace bsm::security {

/// A loaded public key; shared so that copies of a verifier share it.
using public_key = std::shared_ptr<evp_pkey_st>;

/// Reads an RSA public key of at least 2048 bits from PEM text.
/// Errors: invalid_argument (not PEM, not RSA, too short).
caf::expected<public_key> load_rs256_key(std::string_view pem);

/// Reads an EC public key on P-256 from PEM text.
/// Errors: invalid_argument (not PEM, not EC, another curve).
caf::expected<public_key> load_es256_key(std::string_view pem);

/// True if `signature` is HMAC-SHA256 of `input` under `key` (compared in
/// constant time).
bool hs256_matches(std::string_view key, std::string_view input,
                   std::string_view signature);

/// True if `signature` is RSASSA-PKCS1-v1_5 with SHA-256 over `input`.
bool rs256_matches(const public_key& key, std::string_view input,
                   std::string_view signature);

/// True if `signature` is ECDSA P-256 with SHA-256 over `input`, given as
/// raw r||s of exactly 64 bytes (the JWS form, not DER).
bool es256_matches(const public_key& key, std::string_view input,
                   std::string_view signature);

} // namespace bsm::security
