#pragma once

// Where the store keeps one agent's state, as key ranges: the one layout
// that memory (actors/memory_actor.cpp), the tool ledger
// (agents/tools/tool_ledger.hpp) and a hand-off of an agent's state to
// another node (state_chunker, state_apply) share.
//
//   memory       "kv" NUL agent NUL key                   -> value
//                "s"  NUL agent NUL session NUL seq(BE64)  -> SessionTurn
//                "st" NUL agent NUL session NUL turn id   -> first, last seq
//   idempotency  0x01 "tool" NUL agent "/" turn "/" step "/" hash
//                                                          -> expiring result
//
// Agent names hold no NUL, so "kv" NUL agent NUL starts exactly one agent's
// keys; tool ledger keys are agent names (which hold no '/', see
// agents/turn_plan.hpp) followed by '/'.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "bsm/v1/handoff.pb.h"
#include "runtime/store/store.hpp"

namespace bsm {

/// Prefix of the tool ledger's records in the `idempotency` family (HTTP
/// idempotency records start with a target path, [a-z0-9_.-/]; 0x01
/// cannot).
inline constexpr std::string_view tool_ledger_prefix{"\x01tool\0", 6};

/// "kv" NUL agent NUL: the agent's key/value space.
std::string memory_kv_prefix(std::string_view agent);

/// "s" NUL agent NUL: every turn key of every session of the agent.
std::string memory_sessions_base(std::string_view agent);

/// "st" NUL agent NUL: the agent's turn markers.
std::string memory_turn_markers_base(std::string_view agent);

/// The tool ledger's records of the agent: tool_ledger_prefix, agent, '/'.
std::string tool_ledger_agent_prefix(std::string_view agent);

/// Keys starting with `prefix` in one family of the store.
struct state_range {
  v1::StateFamily family = v1::STATE_FAMILY_UNSPECIFIED;
  std::string prefix;
};

/// Every range of `agent`'s state, in the order a transfer reads them.
std::vector<state_range> agent_state_ranges(std::string_view agent);

/// The column family that holds `family`; nothing for UNSPECIFIED or an
/// unknown value.
std::optional<column> column_of(v1::StateFamily family);

/// True if `key` of `family` is part of `agent`'s state.
bool in_agent_state(std::string_view agent, v1::StateFamily family,
                    std::string_view key);

/// A page of the agents that have state in `db`, in name order, after
/// `after` (exclusive; empty: from the first), at most `limit` of them: a
/// skip scan, a few seeks per agent whatever its state holds. What a node
/// that leaves hands over, one agent at a time. Blocking store reads.
/// Errors: those of the store's reads.
[[nodiscard]] caf::expected<std::vector<std::string>>
agents_with_state(const store& db, const std::string& after, size_t limit);

} // namespace bsm
