#pragma once

// Verifies a compact JWS token (RFC 7515/7519) and returns its claims.
// Which algorithms count comes from configuration only, never from the
// token, so "alg": "none" and key confusion (an HS256 token keyed with
// the RS256 public key) are refused by construction. Every refusal is
// `unauthenticated`; messages name the failed check and never echo the
// token or a key.

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

#include "runtime/security/jwt_claims.hpp"
#include "runtime/security/jwt_signature.hpp"

namespace bsm::security {

enum class jwt_algorithm { hs256, rs256, es256 };

struct jwt_verifier_options {
  /// The algorithms a token may use. Must not be empty.
  std::set<jwt_algorithm> algorithms;
  /// The shared HMAC key; at least 32 bytes when HS256 is accepted.
  std::string hs256_key;
  /// PEM public keys ("-----BEGIN PUBLIC KEY-----"); required when the
  /// algorithm is accepted. RSA keys have at least 2048 bits, EC keys
  /// are on P-256.
  std::string rs256_public_key_pem;
  std::string es256_public_key_pem;
  /// Issuer, audiences and clock-skew leeway (default 60 s).
  claim_rules claims;
};

class jwt_verifier {
public:
  /// Longest token accepted, in bytes.
  static constexpr size_t max_token_size = 8 * 1024;

  /// Loads the keys of `opts`.
  /// Errors: invalid_argument (no algorithm, short HMAC key, missing or
  /// unusable public key).
  static caf::expected<jwt_verifier> make(jwt_verifier_options opts);

  /// Checks `token` at `now_unix` (seconds since the epoch).
  /// Errors: unauthenticated.
  caf::expected<jwt_claims> verify(std::string_view token,
                                   int64_t now_unix) const;

private:
  jwt_verifier() = default;

  caf::expected<jwt_algorithm> check_header(std::string_view encoded) const;

  bool signature_matches(jwt_algorithm alg, std::string_view signed_part,
                         std::string_view signature) const;

  jwt_verifier_options opts_;
  public_key rs256_key_;
  public_key es256_key_;
};

} // namespace bsm::security
