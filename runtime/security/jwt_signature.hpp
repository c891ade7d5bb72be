#pragma once

// The cryptography behind the JWT verifier and signer, on OpenSSL 3:
// loading keys and making and checking the three signature kinds. Callers
// pass the exact bytes that are signed ("header.payload" as sent). Error
// messages name the check that failed, never key material.

#include <memory>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

struct evp_pkey_st;

namespace bsm::security {

/// A loaded key; shared so that copies of a verifier or signer share it.
using public_key = std::shared_ptr<evp_pkey_st>;
using private_key = std::shared_ptr<evp_pkey_st>;

/// Shortest HS256 key accepted, in bytes (RFC 7518 section 3.2).
inline constexpr size_t min_hs256_key_size = 32;

// -- loading keys -------------------------------------------------------------

/// Reads an RSA public key of at least 2048 bits from PEM text.
/// Errors: invalid_argument (not PEM, not RSA, too short).
caf::expected<public_key> load_rs256_key(std::string_view pem);

/// Reads an EC public key on P-256 from PEM text.
/// Errors: invalid_argument (not PEM, not EC, another curve).
caf::expected<public_key> load_es256_key(std::string_view pem);

/// Reads an unencrypted RSA private key of at least 2048 bits from PEM
/// text (PKCS#8 or PKCS#1). Errors: invalid_argument (not PEM, encrypted,
/// not RSA, too short).
caf::expected<private_key> load_rs256_private_key(std::string_view pem);

/// Reads an unencrypted EC private key on P-256 from PEM text (PKCS#8 or
/// SEC 1). Errors: invalid_argument (not PEM, encrypted, not EC, another
/// curve).
caf::expected<private_key> load_es256_private_key(std::string_view pem);

// -- checking -----------------------------------------------------------------

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

// -- signing ------------------------------------------------------------------

/// HMAC-SHA256 of `input` under `key`: 32 bytes.
/// Errors: internal (OpenSSL failed).
caf::expected<std::string> hs256_sign(std::string_view key,
                                      std::string_view input);

/// RSASSA-PKCS1-v1_5 with SHA-256 over `input`.
/// Errors: internal (OpenSSL failed).
caf::expected<std::string> rs256_sign(const private_key& key,
                                      std::string_view input);

/// ECDSA P-256 with SHA-256 over `input`, as raw r||s of 64 bytes (RFC 7518
/// section 3.4). Errors: internal (OpenSSL failed).
caf::expected<std::string> es256_sign(const private_key& key,
                                      std::string_view input);

/// ECDSA P-256 with SHA-256 over `input` as OpenSSL gives it: DER, which
/// JWS does not allow (kept for tests that make such tokens).
/// Errors: internal (OpenSSL failed).
caf::expected<std::string> es256_sign_der(const private_key& key,
                                          std::string_view input);

} // namespace bsm::security
