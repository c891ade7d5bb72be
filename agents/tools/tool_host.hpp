#pragma once

// The tool host: one address for every tool of the node's MCP servers
// (tool_host_actor in interfaces.hpp). It runs on the scheduler and never
// blocks; the blocking MCP clients live in one detached mcp_server actor
// per configured server (agents/mcp/mcp_server.hpp), siblings of the host under
// a supervisor "tools":
//
//   tools (one_for_one)
//     ├── mcp_<server> ...   one per tools.mcp_servers entry, in that order
//     ├── a2a_<name> ...     one per a2a.agents entry
//     ├── <hosted> ...       plugins' tools (tool_host_options::hosted)
//     └── host               this actor, at `tool_host_path`
//
// Routing: a ToolCallRequest for "<server>__<tool>" goes to the actor
// registered at "tools/mcp_<server>" (looked up per call, so a restarted
// server is found again), with timeout_ms set to the server's call_timeout
// (else tools.call_timeout), or the request's own if that is shorter, and
// max_time_ms (how far progress may extend it) to the server's
// max_call_time (else tools.max_call_time), or the request's own timeout
// if that is shorter, never below timeout_ms.
// Errors: not_found for a name without "__", an unknown server or an
// unknown tool; unavailable while the server restarts or when it dies
// during the call; deadline_exceeded when the call outlives its timeout. A tool
// that ran and failed is a response with is_error. A call with an
// idempotency_key that completed before (on this host incarnation, among the
// 1024 keys used most recently: finished_calls.hpp) gets the recorded
// response without running again.
//
// Listing: ToolListRequest answers the tools of every running server in
// config order, each already prefixed. Servers send their lists when they
// (re)list, so a server busy with a long call is answered from that copy; a
// server that is restarting is left out and named in pending_servers; one
// that does not answer within tools.startup_timeout is left out with a log
// line.
//
// The "tools" supervisor never escalates (a broken tool server must not
// take the node down): it restarts servers with the node's backoff, at most
// 10000 times a minute, which the backoff keeps far away.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_addr.hpp>
#include <spdlog/logger.h>

#include "actors/interfaces.hpp"
#include "agents/a2a/a2a_options.hpp"
#include "agents/tools/finished_calls.hpp"
#include "agents/tools/tools_options.hpp"
#include "runtime/metrics/instrumented.hpp"
#include "runtime/naming/name_registry.hpp"
#include "runtime/supervision/supervision_options.hpp"
#include "runtime/supervision/supervisor.hpp"

namespace bsm {

/// The supervisor of the MCP servers and the host, a child of the root.
inline constexpr const char* tools_supervisor_name = "tools";

/// Where the host is registered when `tool_host_child` runs under the root.
inline constexpr const char* tool_host_path = "tools/host";

/// The host's name among its siblings (its path is "<parent>/host").
inline constexpr const char* tool_host_name = "host";

/// The child name of a server's actor: "mcp_<server>".
std::string mcp_server_child_name(const std::string& server);

/// A tool server that is neither an MCP server nor a remote A2A agent (a
/// plugin's tools, plugins/plugin_tools.hpp): an actor speaking
/// mcp_server_actor, started by `start` as the child `child` of "tools".
/// The host routes "<name>__<tool>" to it; it pushes no lists (the host
/// asks it).
struct hosted_tool_server {
  /// The "<name>__" of its tools; not an MCP server's or A2A agent's name.
  std::string name;
  /// Its child name under "tools".
  std::string child;
  /// Deadline of one call (also its longest: no progress extends it).
  std::chrono::milliseconds call_timeout{30'000};
  /// Spawns it; a failure counts as a failed start.
  child_factory start;
};

struct tool_host_options {
  tools_options tools;
  /// Remote A2A agents (a2a.agents), each a server of one tool
  /// "<name>__ask" at "<parent>/a2a_<name>" (agents/a2a/a2a_remote.hpp),
  /// after the MCP servers.
  std::vector<a2a_remote_agent> a2a_agents;
  /// Further servers (plugins), after the A2A agents.
  std::vector<hosted_tool_server> hosted;
  /// Each wait of a server's stop sequence. Default: 2s.
  std::chrono::milliseconds stop_grace{2'000};
  /// How often an idle server's output is handled. Default: 500ms.
  std::chrono::milliseconds poll_interval{500};
  /// Where servers and host are found. Required.
  std::shared_ptr<name_registry> names;
  /// May be null.
  std::shared_ptr<spdlog::logger> log;
  /// Series of the completed calls remembered (default: none).
  finished_calls_metrics metrics;
};

/// The host's handle type: tool_host_actor plus the servers' list pushes.
using tool_host_internal_actor = tool_host_actor::extend<
  caf::reacts_to<atom::tools_changed, std::string, v1::ToolListResponse>,
  /// The wait of the parked list request with this id is over.
  caf::reacts_to<atom::tick, uint64_t>>;

struct tool_host_state {
  static constexpr const char* name = "tool_host";

  /// What the host knows of one configured server.
  struct server {
    std::string name;
    /// Registered path of its actor.
    std::string path;
    std::chrono::milliseconds call_timeout;
    std::chrono::milliseconds max_call_time;
    /// Its last tool list and the incarnation that sent it.
    std::optional<v1::ToolListResponse> tools;
    caf::actor_addr listed_by;
  };

  /// A resolved call: where it goes and with which deadline.
  struct route {
    caf::actor target;
    std::string server;
    std::chrono::milliseconds timeout;
    /// How far progress may extend `timeout` (not below it).
    std::chrono::milliseconds max_time;
  };

  /// A list request that waits for restarting servers.
  struct parked_list {
    uint64_t id;
    std::vector<std::string> servers;
    caf::typed_response_promise<v1::ToolListResponse> rp;
  };

  tool_host_options opts;
  std::vector<server> servers;
  /// Completed calls by idempotency key (bounded).
  finished_calls done;
  /// At most one per turn that lists tools while a server it needs is
  /// restarting; each leaves at its wait's end.
  std::vector<parked_list> parked;
  uint64_t next_parked_id = 0;

  /// True if one of `names` is a configured server that is not running.
  [[nodiscard]] bool
  any_restarting(const std::vector<std::string>& names) const;

  /// Sets up `servers`; `path` is the host's own registered path.
  void init(tool_host_options options, const std::string& path);

  server* find(const std::string& server_name);

  /// Errors: not_found (bad name, unknown server), unavailable (not running).
  [[nodiscard]] caf::expected<route> resolve(const v1::ToolCallRequest& req);

  /// Keeps a server's tool list, from the incarnation `from`.
  void keep(const std::string& server_name, const caf::actor_addr& from,
            v1::ToolListResponse tools);

  /// The tools of `s` if its running incarnation sent them.
  const v1::ToolListResponse* cached(const server& s,
                                     const caf::actor& running) const;

  spdlog::logger& log() const;
};

using tool_host_pointer = caf::stateful_actor<
  tool_host_state,
  typed_actor_base<
    caf::replies_to<v1::ToolListRequest>::with<v1::ToolListResponse>,
    caf::replies_to<v1::ToolCallRequest>::with<v1::ToolCallResponse>,
    caf::reacts_to<atom::tools_changed, std::string, v1::ToolListResponse>,
    caf::reacts_to<atom::tick, uint64_t>>>*;

/// The behavior; `path` is the host's registered path (its siblings are
/// the servers). REQUIRES: opts.names is set.
tool_host_internal_actor::behavior_type
tool_host(tool_host_pointer self, tool_host_options opts, std::string path);

/// The "tools" subtree: a one_for_one supervisor with one detached
/// mcp_server actor per configured server and the host (registered at
/// "<its path>/host", so `tool_host_path` under the root). `sup` gives the
/// restart backoff; `env` is the parent's supervision environment (names,
/// observer, log, metrics). REQUIRES: validate() of the config succeeded,
/// opts.names is set.
child_spec tool_host_child(tool_host_options opts,
                           const supervision_options& sup, supervision_env env);

} // namespace bsm
