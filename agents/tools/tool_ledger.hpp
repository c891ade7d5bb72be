#pragma once

// The results of completed tool calls, by idempotency key (derived from the
// turn and the call), in the store's "idempotency" column under a prefix of
// their own, as expiring values. A turn replayed after a crash finds the
// result of every call that completed and does not run it again.
// Spawn detached: every handler does a blocking RocksDB read or write.

#include <chrono>
#include <string>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/interfaces.hpp"
#include "runtime/store/store.hpp"

namespace bsm {

/// The ledger's registered path.
inline constexpr const char* tool_ledger_path = "tool_ledger";

struct tool_ledger_state {
  static constexpr const char* name = "tool_ledger";

  store* db = nullptr;
  std::chrono::milliseconds ttl{0};

  caf::expected<v1::ToolLedgerGetResponse>
  get(const v1::ToolLedgerGetRequest& req) const;

  caf::expected<v1::ToolLedgerPutResponse>
  put(const v1::ToolLedgerPutRequest& req) const;
};

/// The store key of a tool call's idempotency key.
std::string tool_ledger_key(const std::string& key);

/// REQUIRES: `db` outlives the actor.
tool_ledger_actor::behavior_type
tool_ledger(tool_ledger_actor::stateful_pointer<tool_ledger_state> self,
            store* db, std::chrono::milliseconds ttl);

} // namespace bsm
