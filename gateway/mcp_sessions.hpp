#pragma once

// The MCP sessions of this node (the Mcp-Session-Id of Streamable HTTP):
// opened by initialize, used by every later request, ended by DELETE or
// when idle too long. A session belongs to the principal that opened it:
// anyone else naming its id is told it does not exist. Bounded: when full,
// idle sessions go first; if none has expired an initialize is refused.
// Thread-safe (the bridge's handlers may run on several threads).

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include <caf/expected.hpp>

namespace bsm::gateway {

/// A tools/call of an MCP session: the agent turn it started, so that a
/// notifications/cancelled naming its request id can cancel the turn.
struct mcp_call {
  /// The JSON-RPC id, as JSON text (ids are strings or numbers).
  std::string request_id;
  std::string agent;
  std::string turn_id;
};

struct mcp_session {
  std::string principal;
  /// The protocol version initialize settled on.
  std::string protocol_version;
  /// Set by logging/setLevel.
  std::string log_level = "info";
  std::chrono::steady_clock::time_point last_used;
  /// The agent sessions its calls used (agent, session id), oldest first,
  /// at most max_agent_sessions: its resources.
  std::deque<std::pair<std::string, std::string>> agent_sessions;
  /// Its latest calls, oldest first, at most max_recent_calls.
  std::deque<mcp_call> calls;
};

/// Agent sessions an MCP session lists as resources.
inline constexpr size_t max_agent_sessions = 100;

/// Calls an MCP session remembers for cancellation: a client with more in
/// flight cannot cancel the oldest (their turns run to their end).
inline constexpr size_t max_recent_calls = 64;

class mcp_sessions {
public:
  using time_point = std::chrono::steady_clock::time_point;

  mcp_sessions(size_t max_sessions, std::chrono::milliseconds idle)
    : max_(max_sessions), idle_(idle) {}

  /// A new session of `principal`: its id (32 hex digits from the CSPRNG).
  /// Errors: unavailable (full of sessions in use), internal (no random).
  caf::expected<std::string> open(const std::string& principal,
                                  const std::string& protocol_version,
                                  time_point now);

  /// The session `id` if it is `principal`'s and not expired; marks it
  /// used.
  std::optional<mcp_session> use(const std::string& id,
                                 const std::string& principal, time_point now);

  /// Sets a session's log level; false if it is not `principal`'s.
  bool set_log_level(const std::string& id, const std::string& principal,
                     const std::string& level);

  /// Notes that a call of the session used the agent session `session_id`
  /// of `agent` (once; the oldest goes beyond max_agent_sessions).
  void note_agent_session(const std::string& id, const std::string& principal,
                          const std::string& agent,
                          const std::string& session_id);

  /// Notes a call of the session (the oldest goes beyond max_recent_calls).
  void note_call(const std::string& id, const std::string& principal,
                 mcp_call call);

  /// The newest call of the session with `request_id`, if it is
  /// `principal`'s and remembers one.
  std::optional<mcp_call> find_call(const std::string& id,
                                    const std::string& principal,
                                    const std::string& request_id) const;

  /// Ends the session; false if it is not `principal`'s (or gone).
  bool close(const std::string& id, const std::string& principal);

  size_t size() const;

private:
  bool expired(const mcp_session& x, time_point now) const {
    return now - x.last_used >= idle_;
  }
  void drop_expired(time_point now);

  size_t max_;
  std::chrono::milliseconds idle_;
  mutable std::mutex mtx_;
  std::unordered_map<std::string, mcp_session> sessions_;
};

} // namespace bsm::gateway
