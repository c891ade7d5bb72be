#include "actors/http_idempotency_store.hpp"

#include "runtime/store/expiring_record.hpp"

namespace bsm {

std::string http_idempotency_key(const std::string& scope) {
  // Mailbox keys start with a target path ([a-z0-9_.-/]); \x01 cannot.
  return std::string{"\x01http\0", 6} + scope;
}

caf::expected<v1::HttpIdempotencyGetResponse>
http_idempotency_state::get(const v1::HttpIdempotencyGetRequest& req) const {
  v1::HttpIdempotencyGetResponse resp;
  auto found = get_live_record(*db, column::idempotency,
                               http_idempotency_key(req.scope()),
                               *resp.mutable_record());
  if (!found)
    return found.error();
  resp.set_found(*found);
  return resp;
}

caf::expected<v1::HttpIdempotencyPutResponse>
http_idempotency_state::put(const v1::HttpIdempotencyPutRequest& req) const {
  if (auto err = put_expiring_record(*db, column::idempotency,
                                     http_idempotency_key(req.scope()),
                                     req.record(), ttl))
    return err;
  return v1::HttpIdempotencyPutResponse{};
}

http_idempotency_actor::behavior_type http_idempotency_store(
  http_idempotency_actor::stateful_pointer<http_idempotency_state> self,
  store* db, std::chrono::milliseconds ttl) {
  self->state.db = db;
  self->state.ttl = ttl;
  return {
    [self](const v1::HttpIdempotencyGetRequest& req) {
      return self->state.get(req);
    },
    [self](const v1::HttpIdempotencyPutRequest& req) {
      return self->state.put(req);
    },
  };
}

} // namespace bsm
