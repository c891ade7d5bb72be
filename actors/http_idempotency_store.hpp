#pragma once

// Keeps the first answer to each Idempotency-Key of the HTTP bridge in the
// store's "idempotency" column, under a prefix no mailbox target can start
// with, as expiring values (compaction drops them after the TTL).
// Spawn detached: every handler does a blocking RocksDB read or write.

#include <chrono>
#include <string>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/interfaces.hpp"
#include "runtime/store/store.hpp"

namespace bsm {

struct http_idempotency_state {
  static constexpr const char* name = "http_idempotency";

  store* db = nullptr;
  std::chrono::milliseconds ttl{0};

  caf::expected<v1::HttpIdempotencyGetResponse>
  get(const v1::HttpIdempotencyGetRequest& req) const;

  caf::expected<v1::HttpIdempotencyPutResponse>
  put(const v1::HttpIdempotencyPutRequest& req) const;
};

/// The store key of an idempotency scope.
std::string http_idempotency_key(const std::string& scope);

/// REQUIRES: `db` outlives the actor.
http_idempotency_actor::behavior_type http_idempotency_store(
  http_idempotency_actor::stateful_pointer<http_idempotency_state> self,
  store* db, std::chrono::milliseconds ttl);

} // namespace bsm
