#pragma once

// The registered claims of a JWT payload (RFC 7519 section 4.1), our
// `roles` claim, and the checks on them that need no cryptography: types,
// time window, issuer and audience. The clock is a parameter.

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

namespace bsm::security {

struct jwt_claims {
  std::optional<std::string> sub;
  std::optional<std::string> iss;
  /// The audiences; a single string `aud` becomes one entry.
  std::vector<std::string> aud;
  /// Seconds since the epoch; always present in a verified token.
  int64_t exp = 0;
  std::optional<int64_t> nbf;
  std::optional<int64_t> iat;
  /// The role names of the `roles` claim (an array of strings); empty
  /// when the claim is absent.
  std::vector<std::string> roles;
  /// The whole payload, for the claims the verifier does not interpret.
  nlohmann::json payload;
};

/// What the payload must satisfy.
struct claim_rules {
  /// The `iss` that must appear, if set.
  std::optional<std::string> issuer;
  /// `aud` must name one of these, if not empty.
  std::set<std::string> audiences;
  /// Clock skew allowed on `exp`, `nbf` and an `iat` in the future.
  /// Default: 30 s.
  std::chrono::seconds leeway{30};
};

/// Checks `exp`, `nbf` and `iat` of `claims` at `now_unix`, with the
/// leeway of `rules`. Errors: unauthenticated, naming the failed check.
caf::error check_window(const jwt_claims& claims, const claim_rules& rules,
                        int64_t now_unix);

/// Reads and checks the claims of `payload` at `now_unix`.
/// Errors: unauthenticated, with a message that names the failed check.
caf::expected<jwt_claims>
read_claims(nlohmann::json payload, const claim_rules& rules, int64_t now_unix);

} // namespace bsm::security
