#pragma once

// API keys: "bsm_<id>_<secret>", where the id (12 characters [A-Za-z0-9])
// finds the stored record without a scan and the secret part is 32 random
// bytes in base64url. The whole key is shown to its owner once; the store
// keeps only its SHA-256 (hex), compared in constant time.

#include <string>
#include <string_view>

#include <caf/expected.hpp>

namespace bsm::security {

/// A freshly generated key.
struct api_key {
  /// 12 characters [A-Za-z0-9]; not secret (it names the record).
  std::string id;
  /// The key the owner presents, "bsm_<id>_<43 characters>"; never stored.
  std::string secret;
};

/// Length of every API key, in bytes.
inline constexpr size_t api_key_size = 60;

/// Makes a new key. Errors: internal (the random generator failed).
[[nodiscard]] caf::expected<api_key> generate_api_key();

/// The id inside `text` if it has the exact form of a key (length, "bsm_"
/// prefix, charsets); checks nothing against a store.
/// Errors: invalid_argument, never echoing `text`.
[[nodiscard]] caf::expected<std::string> parse_api_key(std::string_view text);

/// The stored form of `secret`: lowercase hex SHA-256, 64 characters.
[[nodiscard]] std::string api_key_digest(std::string_view secret);

/// True if `secret` has the stored form `digest` (constant time in the
/// contents).
[[nodiscard]] bool api_key_matches(std::string_view secret,
                                   std::string_view digest);

} // namespace bsm::security
