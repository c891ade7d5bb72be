#pragma once

// One agent as an actor: it runs chat turns (the turn loop) for one agent
// definition, taken from the shared catalog at the start of every turn, so a
// reloaded definition applies from the next turn and nothing queued is lost.
//
// A turn: context (system prompt, the session's history from the memory
// actor or the client's messages, knowledge retrieved for the input) ->
// model call -> for each tool call, run the tool (built-in, MCP through the
// tool host, another agent) and feed the result back -> repeat up to
// max_steps -> reply, and append the user input and the answer to the
// session. Turns of one session run one after another; turns of different
// sessions interleave. Every wait is a request with the turn's remaining
// time, so nothing blocks and a turn past its timeout ends with
// deadline_exceeded. Each step publishes agent.<name>.step, .tool_called,
// .completed or .failed on the event bus.
//
// The decisions are the turn plan's (turn_plan.hpp: what comes next) and
// the session queue's (session_queue.hpp: which turn runs); the actor sends
// the messages they ask for and feeds the answers back.
//
// Capabilities: a tool outside the definition's `tools` is not offered and
// a call of it is refused; ask_agent reaches only the definition's
// `delegates`, and only agents the turn's caller may chat with (the caller
// travels with every delegation, caller.hpp). Each refusal is the call's
// error result for the model, a warning in the log and a count in
// bsm_agent_capability_denied_total{agent,kind}.
//
// Questions: an MCP server whose elicitation policy is `ask` asks the
// turn's caller through the agent (QuestionAskRequest from its client).
// The agent holds the question (question_book.hpp), streams it to a
// streamed turn, publishes agent.<name>.question, and answers the client
// when someone settles it (QuestionAnswerRequest), at its deadline
// (declined), or when the turn ends (cancelled).

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/logger.h>

#include "actors/budgets/budget_client.hpp"
#include "actors/interfaces.hpp"
#include "actors/timed_request.hpp"
#include "agents/agent_catalog.hpp"
#include "agents/agent_metrics.hpp"
#include "agents/agents_options.hpp"
#include "agents/caller.hpp"
#include "agents/questions/question_book.hpp"
#include "agents/session_queue.hpp"
#include "agents/tools/tools_options.hpp"
#include "runtime/cluster/directory.hpp"
#include "runtime/messages/type_registry.hpp"
#include "runtime/naming/name_registry.hpp"

namespace bsm::agents {

/// What every agent of a node shares.
struct agent_env {
  std::string node_name;
  std::shared_ptr<agent_catalog> catalog;
  /// Finds the model provider, tool host, tool ledger, memory, event bus
  /// and other agents by path.
  std::shared_ptr<name_registry> names;
  std::shared_ptr<spdlog::logger> log;
  /// REQUIRES: outlives the actor, if set.
  const agent_metrics* metrics = nullptr;
  /// Where other agents live in the cluster (null: all here), and the
  /// types to encode a call to another node with.
  std::shared_ptr<const cluster::directory> directory;
  const type_registry* types = nullptr;
  /// The config's `agents:` section (queue bound, manager timeouts).
  agents_options opts;
  /// Time the tool ledger gets to keep a result (tools.ledger_timeout).
  std::chrono::milliseconds ledger_timeout = tools_options{}.ledger_timeout;
  /// The model budgets each model call must fit (turn_budget.hpp).
  budget_client_env budgets;
};

/// Questions one agent holds at once, and the longest one waits (its
/// server's ask_timeout and call time bound it first).
inline constexpr size_t max_pending_questions = 64;
inline constexpr int64_t max_question_wait_ms = 24 * 3600 * 1000;

/// A turn that runs (agent_actor.cpp).
struct running_turn;

/// A turn waiting for its session's previous turn.
struct queued_turn {
  v1::ChatRequest req;
  caf::actor sink;
  caf::typed_response_promise<v1::ChatReply> rp;
};

struct agent_state {
  static constexpr const char* name = "agent";

  agent_actor::stateful_pointer<agent_state> self = nullptr;
  std::string agent;
  agent_env env;
  /// Sessions with a turn running, and the turns waiting for them (at most
  /// env.opts.max_waiting_turns each; set when the actor starts).
  session_queue<queued_turn> sessions{1};
  /// The deadlines of the turns' requests (memory, tools, model), on one
  /// timer instead of a CAF clock entry each (actors/timed_request.hpp).
  request_deadlines deadlines;
  /// The running turns by turn id, for TurnCancelRequest.
  std::unordered_map<std::string, std::weak_ptr<running_turn>> running;
  /// What the running turns' tool servers asked their callers (MCP
  /// elicitation, policy ask), and by question id the promises of the
  /// servers' clients waiting for the answers.
  question_book questions{max_pending_questions, max_question_wait_ms};
  std::unordered_map<std::string, caf::typed_response_promise<v1::Question>>
    question_waiters;
  /// The deadline the question timer is armed for.
  std::optional<int64_t> question_timer_ms;

  /// Starts a turn now, queues it behind its session's running turn, or
  /// refuses it (unavailable) when its session has
  /// env.opts.max_waiting_turns turns waiting. A request without a caller
  /// gets one by its `origin` (caller.hpp).
  void submit(v1::ChatRequest req, request_origin origin, caf::actor sink,
              caf::typed_response_promise<v1::ChatReply> rp);

  /// Called when a turn of `session` ended: starts the next one queued.
  void release(const std::string& session);

  /// Ends the turn `req.turn_id()` (TurnCancelRequest), running or
  /// waiting. Errors: not_found, permission_denied.
  caf::expected<v1::TurnCancelResponse> cancel(v1::TurnCancelRequest req,
                                               request_origin origin);
};

/// REQUIRES: env.catalog and env.names are set.
agent_actor::behavior_type
agent(agent_actor::stateful_pointer<agent_state> self, std::string name,
      agent_env env);

} // namespace bsm::agents
