#pragma once

// Keeps the first answer to each Idempotency-Key of the HTTP bridge, by
// scope ("<METHOD> <path>\n<key>"), as an expiring record (see
// expiring_record_store.hpp). Spawn detached.

#include <string_view>

#include "actors/expiring_record_store.hpp"
#include "actors/interfaces.hpp"

namespace bsm {

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

using http_idempotency_state = expiring_record_state<http_idempotency_kind>;

/// The store actor's behavior, for spawn(): (store* db, milliseconds ttl).
inline constexpr auto http_idempotency_store
  = &expiring_record_store<http_idempotency_kind>;

} // namespace bsm
