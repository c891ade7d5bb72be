#include "actors/tool_ledger.hpp"

#include "runtime/clock.hpp"
#include "runtime/error.hpp"
#include "runtime/store/expiring_value.hpp"

namespace bsm {

std::string tool_ledger_key(const std::string& key) {
  // Mailbox keys start with a target path ([a-z0-9_.-/]); \x01 cannot.
  return std::string{"\x01tool\0", 6} + key;
}

caf::expected<v1::ToolLedgerGetResponse>
tool_ledger_state::get(const v1::ToolLedgerGetRequest& req) const {
  auto value = db->get(column::idempotency, tool_ledger_key(req.key()));
  if (!value)
    return value.error();
  v1::ToolLedgerGetResponse resp;
  if (!*value)
    return resp;
  auto payload = live_payload(**value, unix_now_ms());
  if (!payload)
    return resp;
  if (!resp.mutable_result()->ParseFromArray(payload->data(),
                                             static_cast<int>(payload->size())))
    return make_error(errc::internal,
                      "damaged tool result for '" + req.key() + "'");
  resp.set_found(true);
  return resp;
}

caf::expected<v1::ToolLedgerPutResponse>
tool_ledger_state::put(const v1::ToolLedgerPutRequest& req) const {
  auto expires = unix_now_ms() + ttl.count();
  auto value = make_expiring_value(expires, req.result().SerializeAsString());
  if (auto err
      = db->put(column::idempotency, tool_ledger_key(req.key()), value))
    return err;
  return v1::ToolLedgerPutResponse{};
}

tool_ledger_actor::behavior_type
tool_ledger(tool_ledger_actor::stateful_pointer<tool_ledger_state> self,
            store* db, std::chrono::milliseconds ttl) {
  self->state.db = db;
  self->state.ttl = ttl;
  return {
    [self](const v1::ToolLedgerGetRequest& req) {
      return self->state.get(req);
    },
    [self](const v1::ToolLedgerPutRequest& req) {
      return self->state.put(req);
    },
  };
}

} // namespace bsm
