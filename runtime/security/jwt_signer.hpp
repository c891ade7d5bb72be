#pragma once

// Issues compact JWS tokens (RFC 7515/7519) that jwt_verifier and standard
// libraries accept: HS256, RS256 or ES256, a header with alg, typ JWT and
// an optional kid, and the claims sub, iss, aud, iat, nbf, exp, roles and
// a random jti. The clock is a parameter. Copies share the loaded key and
// may be used from several threads at once.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/security/jwt_signature.hpp"
#include "runtime/security/jwt_verifier.hpp"

namespace bsm::security {

struct jwt_signer_options {
  jwt_algorithm algorithm = jwt_algorithm::hs256;
  /// HS256: the shared secret, at least 32 bytes. RS256: an unencrypted
  /// PEM RSA private key of at least 2048 bits. ES256: an unencrypted PEM
  /// EC private key on P-256.
  std::string key;
  /// Written to the header as `kid` when not empty.
  std::string kid;
  /// The `iss` claim, left out when empty.
  std::string issuer;
  /// The `aud` claim: a string for one entry, an array for several, left
  /// out when empty.
  std::vector<std::string> audiences;
  /// How long an issued token is valid. Default: 15 minutes.
  std::chrono::seconds lifetime{15 * 60};
};

/// Whom a token is for.
struct jwt_grant {
  /// The `sub` claim: the principal's name.
  std::string subject;
  /// The `roles` claim, always written (an empty array for none).
  std::vector<std::string> roles;
  /// Caps `exp`, for instance at an API key's own expiry (seconds since the
  /// epoch); unset: now + lifetime.
  std::optional<int64_t> not_after;
};

/// A token and what a response about it needs.
struct issued_jwt {
  std::string token;
  /// The `exp` claim, seconds since the epoch.
  int64_t expires_at = 0;
  /// The `jti` claim: 16 random bytes, base64url.
  std::string id;
};

class jwt_signer {
public:
  /// Loads the key of `opts`.
  /// Errors: invalid_argument (short HMAC key; a private key that is not
  /// PEM, encrypted, of another type, too short or on another curve; a
  /// lifetime below one second). The message never holds key material.
  static caf::expected<jwt_signer> make(jwt_signer_options opts);

  /// Issues a token for `grant` at `now_unix` (seconds since the epoch).
  /// Errors: invalid_argument (`not_after` is not after `now_unix`),
  /// internal (OpenSSL failed to sign or to give random bytes).
  caf::expected<issued_jwt> issue(const jwt_grant& grant,
                                  int64_t now_unix) const;

  jwt_algorithm algorithm() const noexcept {
    return opts_.algorithm;
  }

private:
  jwt_signer() = default;

  caf::expected<std::string> sign(std::string_view input) const;

  jwt_signer_options opts_;
  private_key key_;
};

} // namespace bsm::security
