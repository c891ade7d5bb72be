#pragma once

// Keeps the first answer to each Idempotency-Key of the HTTP bridge, by
// scope ("<METHOD> <path>\n<key>"), as an expiring record (see
// expiring_record_store.hpp), and a claim on each key whose first request
// is in flight (runtime/http/idempotency_claims.hpp). Registered as
// `http_idempotency` on every node; a bridge asks the store of the node
// that owns a request's target, through the cluster port when that is
// another node (http_api/idempotency.hpp). Claims live in memory only:
// they last as long as a request, and a restarted store has none.
// Spawn detached: every record handler does a blocking RocksDB read or
// write.

#include <chrono>
#include <string_view>

#include "actors/expiring_record_store.hpp"
#include "actors/interfaces.hpp"
#include "runtime/http/idempotency_claims.hpp"

namespace bsm {

/// The store's registered path, the same on every node.
inline constexpr const char* http_idempotency_path = "http_idempotency";

struct http_idempotency_kind {
  using actor = http_idempotency_actor;
  using get_request = v1::HttpIdempotencyGetRequest;
  using get_response = v1::HttpIdempotencyGetResponse;
  using put_request = v1::HttpIdempotencyPutRequest;
  using put_response = v1::HttpIdempotencyPutResponse;
  static constexpr const char* name = "http_idempotency";
  // Mailbox keys start with a target path ([a-z0-9_.-/]); \x01 cannot.
  static constexpr std::string_view prefix{"\x01http\0", 6};
  template <class Request>
  static const std::string& id_of(const Request& req) {
    return req.scope();
  }
  static auto* record_of(get_response& resp) {
    return resp.mutable_record();
  }
  static const auto& record_of(const put_request& req) {
    return req.record();
  }
};

struct http_idempotency_options {
  /// How long an answer is kept (mailbox.idempotency_ttl). Default: 24 h.
  std::chrono::milliseconds ttl{24 * 3'600'000};
  http::idempotency_claims_options claims;
};

struct http_idempotency_state : expiring_record_state<http_idempotency_kind> {
  using time_point = http::idempotency_claims::time_point;

  http::idempotency_claims claims;

  /// The scope's answer if it has one, else a claim on it unless one is
  /// held. Errors: those of `get`; unavailable when the claims are full.
  caf::expected<v1::HttpIdempotencyClaimResponse>
  claim(const v1::HttpIdempotencyClaimRequest& req, time_point now);

  /// Ends the request's claim, then stores its record. Errors: those of
  /// `put` (the claim is ended all the same: the answer was sent).
  caf::expected<v1::HttpIdempotencyPutResponse>
  answer(const v1::HttpIdempotencyPutRequest& req);

  v1::HttpIdempotencyReleaseResponse
  release(const v1::HttpIdempotencyReleaseRequest& req);
};

/// The store actor's behavior, for spawn(): (store* db, options).
/// REQUIRES: `db` outlives the actor.
http_idempotency_actor::behavior_type http_idempotency_store(
  http_idempotency_actor::stateful_pointer<http_idempotency_state> self,
  store* db, http_idempotency_options opts);

} // namespace bsm
