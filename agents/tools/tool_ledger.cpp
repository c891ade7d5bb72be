#include "agents/tools/tool_ledger.hpp"

#include "runtime/store/expiring_record.hpp"

namespace bsm {

std::string tool_ledger_key(const std::string& key) {
  // Mailbox keys start with a target path ([a-z0-9_.-/]); \x01 cannot.
  return std::string{"\x01tool\0", 6} + key;
}

caf::expected<v1::ToolLedgerGetResponse>
tool_ledger_state::get(const v1::ToolLedgerGetRequest& req) const {
  v1::ToolLedgerGetResponse resp;
  auto found
    = get_live_record(*db, column::idempotency, tool_ledger_key(req.key()),
                      *resp.mutable_result());
  if (!found)
    return found.error();
  resp.set_found(*found);
  return resp;
}

caf::expected<v1::ToolLedgerPutResponse>
tool_ledger_state::put(const v1::ToolLedgerPutRequest& req) const {
  if (auto err
      = put_expiring_record(*db, column::idempotency,
                            tool_ledger_key(req.key()), req.result(), ttl))
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
