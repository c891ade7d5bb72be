#pragma once

// The credentials a node keeps: users (who log in with a password) and API
// keys, as plain records with their validation and their stored form (one
// JSON object each). Hashes are opaque here: password_hash and api_key
// make and check them. A record holds no secret in the clear, but its
// hashes still never go into logs, errors or responses.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace bsm::security {

/// Most roles one user or key can hold.
inline constexpr size_t max_roles = 32;

struct user_record {
  /// [A-Za-z0-9._@-]{1,64}; the key of the record.
  std::string name;
  /// A PHC string ("$scrypt$..."); printable ASCII, at most 1024 bytes.
  std::string password_hash;
  /// Role names, each [A-Za-z0-9._@:-]{1,64}; at most max_roles.
  std::vector<std::string> roles;
  /// Seconds since the Unix epoch.
  int64_t created_at = 0;
  /// A disabled user cannot log in; the record stays.
  bool disabled = false;
};

struct api_key_record {
  /// The public part of the key that finds its record,
  /// [A-Za-z0-9_-]{1,64}; the key of the record.
  std::string id;
  /// What the key is for, as its owner named it: 1 to 128 bytes without
  /// control characters.
  std::string name;
  /// The key's SHA-256 as 64 hex digits.
  std::string key_hash;
  /// Whom the key acts for: a user or a service name, with the same rule
  /// as user names.
  std::string principal;
  /// As for users.
  std::vector<std::string> roles;
  /// Seconds since the Unix epoch.
  int64_t created_at = 0;
  /// Seconds since the Unix epoch; 0 means never. Stored as data: the
  /// caller decides with its clock (is_usable).
  int64_t expires_at = 0;
  /// A revoked key never works again.
  bool revoked = false;
};

/// True if `key` is neither revoked nor expired at `now_unix` (seconds).
[[nodiscard]] bool is_usable(const api_key_record& key, int64_t now_unix);

/// True for names matching [A-Za-z0-9._@-]{1,64} (users, principals).
[[nodiscard]] bool is_valid_principal_name(std::string_view name);

/// True for API key ids matching [A-Za-z0-9_-]{1,64}.
[[nodiscard]] bool is_valid_api_key_id(std::string_view id);

/// Errors: invalid_argument naming the field that breaks its rule (never
/// echoing a hash).
[[nodiscard]] caf::error validate(const user_record& user);
[[nodiscard]] caf::error validate(const api_key_record& key);

/// The stored form: one JSON object.
std::string encode(const user_record& user);
std::string encode(const api_key_record& key);

/// Reads a stored form back; `where` names the record in errors.
/// Errors: failed_precondition if it is not a valid record (damaged).
[[nodiscard]] caf::expected<user_record> decode_user(std::string_view text,
                                                     std::string_view where);
[[nodiscard]] caf::expected<api_key_record>
decode_api_key(std::string_view text, std::string_view where);

} // namespace bsm::security
