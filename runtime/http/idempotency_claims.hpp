#pragma once

// Which Idempotency-Keys have a first request in flight. The claims live
// at the node that owns the request's target (http_api/idempotency.hpp),
// so a second request with the key through any node finds the claim and
// is refused (409) until the first one's answer is stored or its claim
// released. A claim has a lease: a receiving node that died mid-request
// does not hold the key forever.
//
// Bounded: at most `max_claims` at once, each kept under the SHA-256 of
// its scope, so a claim costs the same whatever the scope's length.
// Not thread-safe: one store actor owns it.

#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

namespace bsm::http {

struct idempotency_claims_options {
  /// Most claims held at once; another is refused (`full`). Default:
  /// 16,384 (about 3 MiB), over the in-flight requests of 16 nodes at
  /// http.max_connections.
  size_t max_claims = 16'384;
  /// Longest lease granted, whatever a claim asks for. Default: 310 s
  /// (http.max_ask_timeout + http.internal_timeout at their defaults).
  std::chrono::milliseconds max_lease{310'000};
};

class idempotency_claims {
public:
  using time_point = std::chrono::steady_clock::time_point;

  enum class outcome {
    /// The caller holds the key now, under `id`.
    claimed,
    /// A live claim holds the key.
    in_flight,
    /// `max_claims` live claims are held: none is taken.
    full,
  };

  struct result {
    outcome what = outcome::full;
    /// The claim's id when `claimed`; never 0.
    uint64_t id = 0;
  };

  /// `first_id` is the id of the first claim (0 is skipped): start it
  /// anywhere, so a late release from an earlier owner of the claims
  /// cannot match one of this one's.
  explicit idempotency_claims(idempotency_claims_options opts = {},
                              uint64_t first_id = 1);

  /// Claims `scope` from `now` for `lease` (at most max_lease) unless a
  /// live claim holds it. Claims whose lease ended are dropped first.
  result claim(const std::string& scope, std::chrono::milliseconds lease,
               time_point now);

  /// Ends claim `id` on `scope`. False if that claim does not hold it (it
  /// expired, was taken over, or was released already); the holder, if
  /// any, keeps it.
  bool release(const std::string& scope, uint64_t id);

  /// Claims held, expired ones included until the next claim drops them.
  size_t size() const noexcept {
    return by_key_.size();
  }

private:
  struct entry {
    uint64_t id;
    time_point expires;
  };

  void drop_expired(time_point now);
  uint64_t next_id();

  idempotency_claims_options opts_;
  uint64_t next_id_;
  std::unordered_map<std::string, entry> by_key_;
  std::set<std::pair<time_point, std::string>> by_expiry_;
};

} // namespace bsm::http
