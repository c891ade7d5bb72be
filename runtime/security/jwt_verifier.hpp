#pragma once

// Verifies a compact JWS token (RFC 7515/7519) and returns its claims.
// Which algorithms and keys count comes from configuration only, never
// from the token: "alg": "none" and key confusion (an HS256 token keyed
// with the RS256 public key) are refused by construction, `kid` only
// selects among the configured keys, and `jku`, `x5u`, `jwk` and `x5c`
// (keys by reference or inline) are refused, never fetched. Every refusal
// is `unauthenticated`; messages name the failed check and never echo the
// token or a key.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/security/jwt_claims.hpp"
#include "runtime/security/jwt_signature.hpp"

namespace bsm::security {

enum class jwt_algorithm { hs256, rs256, es256 };

/// The JWS name of `alg` ("HS256", "RS256", "ES256").
const char* to_string(jwt_algorithm alg);

/// One key a token may be signed with.
struct jwt_key {
  jwt_algorithm algorithm = jwt_algorithm::hs256;
  /// The key's id. A token whose header names a `kid` is checked with the
  /// key of that id only; a token without one with every key of its
  /// algorithm. Empty: the key has none, and no token's kid selects it.
  std::string kid;
  /// HS256: the shared secret, at least 32 bytes. RS256 and ES256: a PEM
  /// public key ("-----BEGIN PUBLIC KEY-----"), RSA of at least 2048 bits
  /// or EC on P-256.
  std::string material;
};

struct jwt_verifier_options {
  /// The algorithms a token may use. Must not be empty.
  std::set<jwt_algorithm> algorithms;
  /// At least one key for each accepted algorithm, at most
  /// `jwt_verifier::max_keys_per_algorithm`, none for an algorithm not
  /// accepted; each non-empty kid once.
  std::vector<jwt_key> keys;
  /// Issuer, audiences and clock-skew leeway (default 30 s).
  claim_rules claims;
};

class jwt_verifier {
public:
  /// Longest token accepted, in bytes.
  static constexpr size_t max_token_size = 8 * 1024;

  /// Most keys per algorithm: a token without a kid is tried against each
  /// key of its algorithm, so this bounds the work one token can cause.
  static constexpr size_t max_keys_per_algorithm = 4;

  /// Loads the keys of `opts`.
  /// Errors: invalid_argument (no algorithm, an algorithm without a key or
  /// with too many, a key for an algorithm not accepted, a repeated kid, a
  /// short HMAC key, an unusable public key).
  static caf::expected<jwt_verifier> make(jwt_verifier_options opts);

  /// Checks `token` at `now_unix` (seconds since the epoch). Const and
  /// safe to call from several threads at once; copies share the keys.
  /// Errors: unauthenticated.
  caf::expected<jwt_claims> verify(std::string_view token,
                                   int64_t now_unix) const;

  /// Issuer, audiences and leeway every token must satisfy.
  const claim_rules& rules() const noexcept {
    return claims_;
  }

private:
  /// A configured key, ready to check signatures.
  struct loaded_key {
    jwt_algorithm algorithm;
    std::string kid;
    std::string hmac_secret;
    public_key key;
  };

  /// What the header asks for.
  struct header_choice {
    jwt_algorithm algorithm;
    std::optional<std::string> kid;
  };

  jwt_verifier() = default;

  caf::error add_key(const jwt_key& key);

  caf::expected<header_choice> check_header(std::string_view encoded) const;

  caf::error check_signature(const header_choice& choice,
                             std::string_view signed_part,
                             std::string_view signature) const;

  static bool matches(const loaded_key& key, std::string_view signed_part,
                      std::string_view signature);

  std::vector<loaded_key> keys_;
  std::set<jwt_algorithm> algorithms_;
  claim_rules claims_;
};

} // namespace bsm::security
