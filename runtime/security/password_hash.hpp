#pragma once

// Password hashes as PHC strings, with OpenSSL's scrypt or
// PBKDF2-HMAC-SHA256:
//
//   $scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>
//   $pbkdf2-sha256$i=<iterations>$<salt>$<hash>
//
// salt and hash in standard base64 without padding (the PHC format). The
// parameters of a stored string are bounded before any work, so a planted
// string cannot make a verification take unbounded memory or time. Errors
// never hold the password.

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace bsm::security {

enum class password_kdf { scrypt, pbkdf2_sha256 };

/// How new hashes are made.
struct password_hash_params {
  /// The function. Default: scrypt.
  password_kdf kdf = password_kdf::scrypt;
  /// scrypt: log2 of the cost N, 1..16. Default: 15 (N = 32768; with r = 8
  /// that is 32 MiB of memory per hash).
  uint32_t scrypt_ln = 15;
  /// scrypt: the block size r, 1..8. Default: 8.
  uint32_t scrypt_r = 8;
  /// scrypt: the parallelism p, 1..2. Default: 1.
  uint32_t scrypt_p = 1;
  /// PBKDF2: the iterations, 1..2000000. Default: 600000 (OWASP 2023).
  uint32_t pbkdf2_iterations = 600'000;
};

/// The bounds each parameter must keep, for new and for stored hashes.
struct password_hash_limits {
  static constexpr uint32_t max_scrypt_ln = 16;
  static constexpr uint32_t max_scrypt_r = 8;
  static constexpr uint32_t max_scrypt_p = 2;
  static constexpr uint32_t max_pbkdf2_iterations = 2'000'000;
  /// Salt and hash lengths accepted in a stored string, in bytes.
  static constexpr size_t min_salt_size = 8;
  static constexpr size_t max_salt_size = 64;
  static constexpr size_t min_hash_size = 16;
  static constexpr size_t max_hash_size = 64;
};

/// Checks the bounds of `params`.
/// Errors: invalid_argument, naming the parameter out of bounds.
[[nodiscard]] caf::error validate(const password_hash_params& params);

/// Hashes `password` with a fresh 16-byte salt into a 32-byte hash.
/// Errors: invalid_argument (parameters out of bounds), internal (OpenSSL
/// failed).
[[nodiscard]] caf::expected<std::string>
hash_password(std::string_view password, const password_hash_params& params);

/// True if `password` hashes to `phc` (compared in constant time).
/// Errors: invalid_argument (`phc` is malformed, names another function,
/// or has parameters out of bounds), internal (OpenSSL failed).
[[nodiscard]] caf::expected<bool> verify_password(std::string_view password,
                                                  std::string_view phc);

} // namespace bsm::security
