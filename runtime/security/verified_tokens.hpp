#pragma once

// Tokens this node has verified, so that a client sending the same bearer
// token on every request pays for the signature and the JSON once. A hit
// is exact (the whole token text compared, never a hash of it) and still
// checks the token's time window against the clock, so an entry never
// outlives its `exp`. Bounded in entries and in the size of a token kept;
// the authenticator that owns it is replaced as a whole when credentials
// or keys change, and its cache with it. Thread-safe: the HTTP I/O threads
// share one authenticator.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include "runtime/containers/bounded_lru.hpp"
#include "runtime/metrics/registry.hpp"

#include "runtime/security/jwt_claims.hpp"
#include "runtime/security/principal.hpp"

namespace bsm::security {

class verified_tokens {
public:
  /// What a verified token proved: who it names and when it is valid
  /// (`exp`, `nbf`, `iat`; the other fields of `window` stay empty).
  struct entry {
    std::shared_ptr<const principal> who;
    jwt_claims window;
  };

  /// Default entries: at 2 KiB per token at most, about 2.5 MiB in all.
  static constexpr size_t default_capacity = 1024;

  /// Longest token kept; longer ones are verified on every request.
  static constexpr size_t max_token_bytes = 2048;

  /// REQUIRES: capacity > 0.
  explicit verified_tokens(size_t capacity = default_capacity)
    : entries_(capacity) {}

  /// The entry of `token`, if it was verified before and not evicted.
  std::optional<entry> find(std::string_view token);

  /// Remembers `token` (ignored when longer than max_token_bytes); when
  /// full, forgets the entry used least recently.
  void put(std::string_view token, entry x);

  /// Forgets `token` (once its window has closed).
  void erase(std::string_view token);

  size_t size() const;

  /// Entries forgotten to make room for new tokens.
  uint64_t evictions() const;

private:
  mutable std::mutex mtx_;
  bounded_lru<entry> entries_;
};

/// The series bsm_auth_verified_tokens and
/// bsm_auth_verified_tokens_evictions_total for the caches of successive
/// authenticators: each publish shows the cache in force, and evictions
/// keep counting up across a replacement. Thread-safe (scrapes may
/// overlap).
class verified_tokens_series {
public:
  explicit verified_tokens_series(metrics::registry& reg);

  /// Shows `cache` (null: none in force yet).
  void publish(std::shared_ptr<const verified_tokens> cache);

private:
  std::mutex mtx_;
  metrics::gauge& size_;
  metrics::counter& evictions_;
  /// The cache shown last, held so that a new one at its address is not
  /// taken for it.
  std::shared_ptr<const verified_tokens> last_;
  uint64_t counted_ = 0;
};

} // namespace bsm::security
