#pragma once

// One configured MCP tool server: a detached actor (its own thread) that
// owns a blocking MCP client (agents/mcp/client.hpp) and so the server's
// process or its HTTP session. It starts the process (or connects to the
// `url`, with its headers' "${NAME}" expanded and, with `auth`, an OAuth
// token source) when the actor starts, runs
// the handshake and lists the tools; a failure there, or the process dying
// later, ends the actor with the error (`unavailable` for a death), so its
// supervisor restarts it with backoff. The process is stopped (stdin closed,
// SIGTERM, SIGKILL; at most 2 * stop_grace) when the actor ends, before its
// down message goes out.
//
// Tools are listed and called under their exposed names "<server>__<tool>"
// (agents/tools/tool_names.hpp): characters a model may not use become '_';
// tools whose name would be too long or clash are skipped with a log line.
// After every listing the actor sends its tools to the tool host (found in
// the name registry at `host_path`), so the host can answer tool lists while
// a long call keeps this actor busy. Calls run one at a time.
//
// Messages (mcp_server_actor):
//   ToolListRequest -> ToolListResponse (relists first if the server said
//     its list changed)
//   ToolCallRequest -> ToolCallResponse; errors: not_found (no such tool),
//     invalid_argument (arguments not a JSON object), deadline_exceeded
//     (timeout_ms, or `call_timeout` if 0, each progress notification
//     extending it up to max_time_ms, or `max_call_time` if 0),
//     unavailable (the server died: the actor then ends), internal (a
//     JSON-RPC error of the server). While the call runs, the server's
//     requests are answered as agents/mcp/client_features.hpp says, and
//     the response carries the tokens its sampling requests used.
//   atom::mcp_poll (its own timer): answers the idle server's pings, notices
//     list changes and exits.

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include <caf/typed_actor.hpp>
#include <spdlog/logger.h>

#include "actors/interfaces.hpp"
#include "agents/mcp/client.hpp"
#include "agents/mcp/client_features.hpp"
#include "agents/mcp/header_env.hpp"
#include "agents/tools/tools_options.hpp"
#include "runtime/metrics/instrumented.hpp"
#include "runtime/naming/name_registry.hpp"

namespace bsm {

/// One MCP server's actor; the tool host routes to it.
using mcp_server_actor = caf::typed_actor<
  caf::replies_to<v1::ToolListRequest>::with<v1::ToolListResponse>,
  caf::replies_to<v1::ToolCallRequest>::with<v1::ToolCallResponse>,
  caf::reacts_to<atom::mcp_poll>>;

/// Where a server sends its tools after each listing (the tool host).
using tool_list_sink_actor = caf::typed_actor<
  caf::reacts_to<atom::tools_changed, std::string, v1::ToolListResponse>>;

struct mcp_server_options {
  mcp_server_config server;
  /// Deadline of a call whose timeout_ms is 0, and of a relisting.
  /// Default: 30s.
  std::chrono::milliseconds call_timeout{30'000};
  /// The longest a call may run while progress extends it, when the request
  /// names no max_time_ms. Default: 10min.
  std::chrono::milliseconds max_call_time{600'000};
  /// Process start, handshake and first listing. Default: 20s.
  std::chrono::milliseconds startup_timeout{20'000};
  /// Each wait of the stop sequence. Default: 2s.
  std::chrono::milliseconds stop_grace{2'000};
  /// How often an idle server's output is handled. Default: 500ms.
  std::chrono::milliseconds poll_interval{500};
  /// Where the tool host is registered; empty: tools are not pushed.
  std::string host_path;
  /// For `host_path`; may be null (no pushes).
  std::shared_ptr<name_registry> names;
  /// Where "${NAME}" in header values is looked up when the actor starts.
  /// Default: the process environment.
  mcp::env_lookup environment = mcp::process_environment();
  /// The server's stderr (info) and protocol oddities (debug); may be null.
  std::shared_ptr<spdlog::logger> log;
};

struct mcp_server_state {
  static constexpr const char* name = "mcp_server";

  using pointer = caf::stateful_actor<
    mcp_server_state,
    typed_actor_base<
      caf::replies_to<v1::ToolListRequest>::with<v1::ToolListResponse>,
      caf::replies_to<v1::ToolCallRequest>::with<v1::ToolCallResponse>,
      caf::reacts_to<atom::mcp_poll>>>*;

  /// Stops the server process (stop_grace per step).
  ~mcp_server_state();

  pointer self = nullptr;
  mcp_server_options opts;
  std::unique_ptr<mcp::client> client;
  /// The exposed tools, in the server's order.
  v1::ToolListResponse tools;
  /// Exposed name -> the server's own name of the tool.
  std::map<std::string, std::string> originals;
  /// The call in progress, for the client's answers to the server.
  mcp::running_call_slot running
    = std::make_shared<std::optional<mcp::running_call>>();

  /// Starts the process, runs the handshake and lists the tools.
  [[nodiscard]] caf::error start();

  /// The client of the configured transport, connected and initialized.
  [[nodiscard]] caf::expected<std::unique_ptr<mcp::client>>
  connect(mcp::client_options copts);

  /// The OAuth token source of `auth`, its secrets resolved.
  [[nodiscard]] caf::expected<std::shared_ptr<mcp::http_authorizer>>
  make_authorizer(const mcp_auth_config& auth);

  /// Lists the tools anew and sends them to the host.
  [[nodiscard]] caf::error relist();

  /// The tools, listed anew if the server announced a change.
  [[nodiscard]] caf::expected<v1::ToolListResponse> list();

  [[nodiscard]] caf::expected<v1::ToolCallResponse>
  call(const v1::ToolCallRequest& req);

  /// Handles what the idle server sent; relists after a change.
  [[nodiscard]] caf::error poll();

  /// The error to end the actor with, if the server is gone.
  [[nodiscard]] caf::error broken() const;

  /// opts.log, or a logger that drops everything.
  spdlog::logger& log() const;

private:
  void push_tools();
};

using mcp_server_pointer = mcp_server_state::pointer;

/// The behavior. Blocks its (detached) thread in start(); ends the actor
/// with the start error if that fails.
mcp_server_actor::behavior_type mcp_server(mcp_server_pointer self,
                                           mcp_server_options opts);

/// Spawns the actor detached, as it must run.
mcp_server_actor spawn_mcp_server(caf::actor_system& sys,
                                  mcp_server_options opts);

} // namespace bsm
