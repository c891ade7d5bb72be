#pragma once

// The results of completed tool calls, by idempotency key (derived from the
// turn and the call), as expiring records (see
// actors/expiring_record_store.hpp). A turn replayed after a crash finds
// the result of every call that completed and does not run it again.
// Spawn detached.

#include <string_view>

#include "actors/expiring_record_store.hpp"
#include "actors/interfaces.hpp"
#include "runtime/store/agent_state.hpp"

namespace bsm {

/// The ledger's registered path.
inline constexpr const char* tool_ledger_path = "tool_ledger";

struct tool_ledger_kind {
  using actor = tool_ledger_actor;
  using get_request = v1::ToolLedgerGetRequest;
  using get_response = v1::ToolLedgerGetResponse;
  using put_request = v1::ToolLedgerPutRequest;
  using put_response = v1::ToolLedgerPutResponse;
  static constexpr const char* name = "tool_ledger";
  static constexpr std::string_view prefix = tool_ledger_prefix;
  template <class Request>
  static const std::string& id_of(const Request& req) {
    return req.key();
  }
  static auto* record_of(get_response& resp) {
    return resp.mutable_result();
  }
  static const auto& record_of(const put_request& req) {
    return req.result();
  }
};

using tool_ledger_state = expiring_record_state<tool_ledger_kind>;

/// The ledger actor's behavior, for spawn(): (store* db, milliseconds ttl).
inline constexpr auto tool_ledger = &expiring_record_store<tool_ledger_kind>;

} // namespace bsm
