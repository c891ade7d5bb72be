#pragma once

// One configured remote A2A agent (a2a.agents[]): a detached actor (its
// own thread) that fetches the agent's card when it starts, offers the
// agent as the tool "<name>__ask" (a2a_wire.hpp) and runs each call as a
// blocking SendMessage over HTTP (a2a_http.hpp). A card that cannot be
// fetched or read ends the actor with the error, so its supervisor (the
// tool host's, "tools") restarts it with backoff. The tool host speaks to
// it as to an MCP server's actor (mcp_server_actor) at "tools/a2a_<name>";
// after the card it sends its tool to the host, as MCP servers do.
//
// A call's answer is the remote agent's text; a remote failure (a JSON-RPC
// error, a failed or rejected task) is a result with is_error the model
// sees. Errors: invalid_argument (bad arguments), deadline_exceeded,
// unavailable, permission_denied, not_found (the remote endpoint), internal
// (an answer that is no JSON-RPC response).

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/logger.h>

#include "agents/a2a/a2a_http.hpp"
#include "agents/a2a/a2a_options.hpp"
#include "agents/a2a/a2a_wire.hpp"
#include "agents/mcp/header_env.hpp"
#include "agents/mcp/mcp_server.hpp"

namespace bsm {

/// The child name of a remote agent's actor: "a2a_<name>".
std::string a2a_remote_child_name(const std::string& name);

struct a2a_remote_options {
  a2a_remote_agent agent;
  /// Deadline of a call whose timeout_ms is 0. Default: 30s.
  std::chrono::milliseconds call_timeout{30'000};
  /// Deadline of the card's fetch. Default: 20s.
  std::chrono::milliseconds startup_timeout{20'000};
  /// Where the tool host is registered; empty: the tool is not pushed.
  std::string host_path;
  /// For `host_path`; may be null (no pushes).
  std::shared_ptr<name_registry> names;
  /// Where "${NAME}" in header values is looked up when the actor starts.
  mcp::env_lookup environment = mcp::process_environment();
  /// May be null.
  std::shared_ptr<spdlog::logger> log;
};

struct a2a_remote_state {
  static constexpr const char* name = "a2a_remote";

  using pointer = caf::stateful_actor<
    a2a_remote_state,
    typed_actor_base<
      caf::replies_to<v1::ToolListRequest>::with<v1::ToolListResponse>,
      caf::replies_to<v1::ToolCallRequest>::with<v1::ToolCallResponse>,
      caf::reacts_to<atom::mcp_poll>>>*;

  pointer self = nullptr;
  a2a_remote_options opts;
  a2a::json_http http;
  /// The configured headers, expanded.
  std::vector<std::pair<std::string, std::string>> headers;
  a2a::remote_card card;
  v1::ToolListResponse tools;
  int64_t next_request_id = 1;

  /// Expands the headers, fetches and reads the card, pushes the tool.
  [[nodiscard]] caf::error start();

  [[nodiscard]] caf::expected<v1::ToolCallResponse>
  call(const v1::ToolCallRequest& req);

  spdlog::logger& log() const;
};

using a2a_remote_pointer = a2a_remote_state::pointer;

/// The behavior. Blocks its (detached) thread in start() and in calls.
mcp_server_actor::behavior_type a2a_remote(a2a_remote_pointer self,
                                           a2a_remote_options opts);

/// Spawns the actor detached, as it must run.
mcp_server_actor spawn_a2a_remote(caf::actor_system& sys,
                                  a2a_remote_options opts);

} // namespace bsm
