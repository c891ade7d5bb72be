#pragma once

// The memory family's keys of one agent, as the memory actor and the
// copies of an agent's state (agent_state.hpp) name them; the layout
// itself is runtime/store/agent_state.hpp's.

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/store/agent_state.hpp"
#include "runtime/store/session_prefix.hpp"

namespace bsm::memory_keys {

/// The store's session filters rely on this layout (session_prefix.hpp):
/// the prefix, then the turn's number in session_turn_seq_bytes.
inline std::string session_prefix(const std::string& agent,
                                  const std::string& session) {
  return memory_sessions_base(agent) + session + '\0';
}

/// Beside the session's turns, never inside their range ("s" NUL ...), so
/// turn reads and the last number never meet one.
inline std::string turn_marker_key(const std::string& agent,
                                   const std::string& session,
                                   const std::string& turn_id) {
  return memory_turn_markers_base(agent) + session + '\0' + turn_id;
}

/// Who acted for the agent's state last (replica_rule.hpp's
/// epoch_record); not part of the state that is copied.
inline std::string epoch_key(const std::string& agent) {
  return std::string{"ep\0", 3} + agent;
}

/// The agent whose state holds `key` (a key of the layout above), if any.
inline std::optional<std::string> agent_of(std::string_view key) {
  auto start = key.find('\0');
  if (start == std::string_view::npos)
    return std::nullopt;
  auto end = key.find('\0', start + 1);
  if (end == std::string_view::npos)
    return std::nullopt;
  return std::string{key.substr(start + 1, end - start - 1)};
}

/// Everything of an agent's state, as key prefixes in key order.
inline std::array<std::string, 3> state_prefixes(const std::string& agent) {
  return {memory_kv_prefix(agent), memory_sessions_base(agent),
          memory_turn_markers_base(agent)};
}

} // namespace bsm::memory_keys
