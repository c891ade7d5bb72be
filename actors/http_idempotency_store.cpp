#include "actors/http_idempotency_store.hpp"

#include "runtime/clock.hpp"
#include "runtime/error.hpp"
#include "runtime/store/expiring_value.hpp"

namespace bsm {

std::string http_idempotency_key(const std::string& scope) {
  // Mailbox keys start with a target path ([a-z0-9_.-/]); \x01 cannot.
  return std::string{"\x01http\0", 6} + scope;
}

caf::expected<v1::HttpIdempotencyGetResponse>
http_idempotency_state::get(const v1::HttpIdempotencyGetRequest& req) const {
  auto value = db->get(column::idempotency, http_idempotency_key(req.scope()));
  if (!value)
    return value.error();
  v1::HttpIdempotencyGetResponse resp;
  if (!*value)
    return resp;
  auto payload = live_payload(**value, unix_now_ms());
  if (!payload)
    return resp;
  if (!resp.mutable_record()->ParseFromArray(
        payload->data(), static_cast<int>(payload->size())))
    return make_error(errc::internal, "damaged idempotency record for '"
                                        + req.scope() + "'");
  resp.set_found(true);
  return resp;
}

caf::expected<v1::HttpIdempotencyPutResponse>
http_idempotency_state::put(const v1::HttpIdempotencyPutRequest& req) const {
  auto expires = unix_now_ms() + ttl.count();
  auto value = make_expiring_value(expires, req.record().SerializeAsString());
  if (auto err
      = db->put(column::idempotency, http_idempotency_key(req.scope()), value))
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
