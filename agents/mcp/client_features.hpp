#pragma once

// What one MCP server's client offers the server (spec 2025-11-25, "client
// features"), as its config says (agents/tools/tools_options.hpp): the
// handlers of mcp::client_options that the server's actor
// (agents/mcp/mcp_server.hpp) installs.
//
// - elicitation/create: answered by the entry's `elicitation` policy
//   (agents/mcp/server_requests.hpp). Under `ask`, the running call's
//   agent is asked (QuestionAskRequest, a blocking request from the
//   actor's own thread) and its caller's answer is the result; the
//   question's deadline is the entry's ask_timeout, within the call's
//   max_call_time. Outside a call of an agent, or when the agent cannot
//   hold the question: "decline".
// - sampling/createMessage (only with `allow_sampling: true`): asked of the
//   node's model provider with the calling agent's model settings, as a
//   blocking request from the actor's own thread (the actor is detached);
//   the tokens are added to the running call's `sampling_usage`. Outside a
//   call of an agent: error -32600. A model that fails: error -32603 with
//   its message.
// - roots/list: the entry's `roots` (declared only if there are some).
// - notifications/progress of the running call: an event "mcp.progress"
//   on the event bus, data {agent, session_id, turn_id, server, tool,
//   progress, total, message} (total and message when the server sent
//   them), and a ToolProgress to the calling agent for a streamed turn.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>

#include "agents/mcp/client.hpp"
#include "agents/tools/tools_options.hpp"
#include "bsm/v1/agents.pb.h"
#include "runtime/naming/name_registry.hpp"

namespace bsm::mcp {

/// The tool call a server's requests and notifications belong to.
struct running_call {
  /// As the tool host sent it: the agent, its session, turn and model.
  v1::ToolCallRequest request;
  /// The server's own name of the tool.
  std::string tool;
  /// The latest the call may end (its max_time); sampling's model calls
  /// get the time left.
  std::chrono::steady_clock::time_point deadline;
  /// Tokens spent on the server's sampling requests so far.
  v1::TokenUsage sampling_usage;
  /// The questions asked of the caller so far, settled.
  std::vector<v1::Question> questions{};
};

/// Set by the server's actor while a call runs; empty between calls.
using running_call_slot = std::shared_ptr<std::optional<running_call>>;

struct client_features_env {
  /// For sampling's blocking model requests. REQUIRES: outlives the client.
  caf::actor_system* sys = nullptr;
  /// Where the model provider and the event bus are found; may be null
  /// (no sampling answers, no events).
  std::shared_ptr<name_registry> names;
};

/// Sets the handlers of `copts` for the server `cfg`. They read `call`.
void install_client_features(client_options& copts,
                             const mcp_server_config& cfg,
                             client_features_env env, running_call_slot call);

} // namespace bsm::mcp
