#pragma once

// The decisions of one chat turn, without actors: what the context is, what
// the model is asked, and after each answer what comes next: call the model
// again, run one tool call, answer, or stop with an error. Pure state with
// the clock as a parameter; the agent actor (agent_actor.hpp) only sends the
// messages a step asks for and feeds their answers back.
//
// The loop: offer_tools() -> call_model_step -> on_model_response() ->
// run_tool_step (one call at a time) -> on_tool_result() -> ... ->
// answer_step or stop_step. Limits: max_steps model calls, max_tool_calls
// tool calls, token_budget tokens, the turn's deadline (the definition's
// timeout or the request's, whichever is shorter).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include <caf/error.hpp>
#include <nlohmann/json.hpp>

#include "agents/agent_catalog.hpp"
#include "protocols/caf_types.hpp"
#include "runtime/security/permission.hpp"

namespace bsm::agents {

using steady_time = std::chrono::steady_clock::time_point;

/// The idempotency key of a tool call in the tool ledger: the agent, the
/// turn, the step, and a stable hash (FNV-1a) of the tool's name and
/// arguments, so a replay whose model asks for something else does not
/// match. The agent is part of it because two agents share a session id's
/// turn numbers: without it, one agent's recorded call would stand in for
/// another's. Agent names hold no '/', so the key splits one way.
std::string tool_call_key(const std::string& agent, const std::string& turn_id,
                          uint32_t step, const v1::ToolCall& call);

/// Errors: invalid_argument unless the request has either an input or
/// messages.
[[nodiscard]] caf::error check_chat_request(const v1::ChatRequest& req);

// -- steps --------------------------------------------------------------------

/// Which capability refused a call; the label `kind` of
/// bsm_agent_capability_denied_total.
enum class denial {
  none,
  /// The tool is not among the definition's `tools`.
  tool,
  /// The agent asked is not among the definition's `delegates`.
  delegation,
  /// The turn's caller lacks "agents:<agent asked>:chat".
  permission,
};

/// "tool", "delegation", "permission" ("none" for none).
[[nodiscard]] const char* to_string(denial x);

/// How one tool call runs.
enum class tool_route {
  /// Not among the agent's tools: an error result, nothing runs.
  refused,
  current_time,
  knowledge_search,
  ask_agent,
  memory_get,
  memory_put,
  /// Through the tool host: MCP servers' tools (it answers unknown names
  /// with an error result).
  hosted,
};

/// Ask the model what model_request() says.
struct call_model_step {};

/// Run one tool call. First look `ledger_key` up in the tool ledger: a
/// recorded result is fed back (as replayed) instead of running the call
/// again, so a turn replayed after a crash repeats no completed call.
struct run_tool_step {
  v1::ToolCall call;
  tool_route route = tool_route::refused;
  std::string ledger_key;
  /// The error result of a refused call.
  std::string refusal;
  /// Set for a call refused because the agent may not use the tool.
  denial denied = denial::none;
};

/// The reply is complete: append session_append() to the session, then
/// answer with reply().
struct answer_step {};

/// The turn ends with this error (see turn_error()).
struct stop_step {
  caf::error error;
};

using turn_step
  = std::variant<call_model_step, run_tool_step, answer_step, stop_step>;

/// A call of ask_agent: the request for the other agent, or why not.
struct delegation {
  v1::ChatRequest request;
  /// Non-empty: the call is refused with this error result.
  std::string refusal;
  /// Set when the refusal is the agent's capabilities or its caller's
  /// rights (not bad arguments, a loop or depth).
  denial denied = denial::none;
};

// -- the plan -----------------------------------------------------------------

class turn_plan {
public:
  using id_source = std::function<std::string()>;

  /// A turn of `agent` (as `entry` defines it) for `req`, started at `now`.
  /// A request with neither a session nor messages opens a new session
  /// ("s-<id>", "s-<delivery_id>" for a request a mailbox delivered, so
  /// that its repeated delivery finds the same session). It acts for
  /// `req.caller()` (caller.hpp: settle_caller first; unset, it has no
  /// permissions). REQUIRES: `entry` is set; check_chat_request(req) is none.
  turn_plan(std::string agent, v1::ChatRequest req,
            std::shared_ptr<const agent_entry> entry, steady_time now,
            id_source new_id);

  /// Whom the turn acts for.
  [[nodiscard]] const v1::Principal& caller() const { return req_.caller(); }

  // -- the start --------------------------------------------------------------

  /// The read of the session's history this turn needs first (at least the
  /// last turn: its position names this one), or nullopt for a new session
  /// or a turn without one.
  [[nodiscard]] std::optional<v1::SessionReadRequest> history_request() const;

  /// Names the turn and builds the context: system prompt, `history` (if
  /// the definition keeps any), the input or the client's messages, and
  /// the knowledge retrieved for the input. A turn of an existing session
  /// is "<session>#<position>", so a turn replayed after a crash gets the
  /// same id; other turns get "t-<id>", unless the request named it. A turn
  /// a mailbox delivered is named by its delivery id, the same at every
  /// delivery even once the first one was appended; its session append
  /// carries it, so memory appends it once.
  void begin(const google::protobuf::RepeatedPtrField<v1::SessionTurn>& history
             = {});

  /// True if the definition allows tools the tool host serves.
  [[nodiscard]] bool wants_hosted_tools() const;

  /// What to ask the tool host: the servers of the tools the definition
  /// allows, waited for while they restart, at most half the turn's
  /// remaining time (the model still gets the other half).
  [[nodiscard]] v1::ToolListRequest tool_list_request(steady_time now) const;

  /// Offers the model the built-in tools the definition allows (ask_agent
  /// only to an agent with delegates), the client's tools and the allowed
  /// ones of `hosted`. Returns the first step.
  [[nodiscard]] turn_step
  offer_tools(const google::protobuf::RepeatedPtrField<v1::ToolSpec>& hosted
              = {});

  // -- the loop ---------------------------------------------------------------

  /// What to ask the model for the step started last; the client's tools
  /// are its relay_tool_calls.
  [[nodiscard]] v1::ModelRequest model_request(steady_time now) const;

  /// The model answered: counts its tokens (stop past the token budget),
  /// then answers (no tool calls, or a call of a client tool: the calls go
  /// back to the client) or runs the first call.
  [[nodiscard]] turn_step on_model_response(v1::ModelResponse resp,
                                            steady_time now);

  /// The call of the last run_tool_step gave `result`: records it, then
  /// runs the next call or calls the model again. Its sampling_usage counts
  /// in the turn's usage and token budget (a stop_step beyond it).
  [[nodiscard]] turn_step on_tool_result(v1::ToolCallResponse result,
                                         steady_time now);

  /// The request of an ask_agent call with `args`: to `agent`, with
  /// `input`, this turn's caller, this agent appended to the delegation
  /// chain, the time left. Refused for bad arguments, an agent not among
  /// the definition's delegates (denial::delegation), a caller whose
  /// permissions do not allow "agents:<agent>:chat" (denial::permission; the
  /// refusal names the permission), a loop or a chain too deep.
  [[nodiscard]] delegation delegate(const nlohmann::json& args,
                                    steady_time now) const;

  // -- the end ----------------------------------------------------------------

  /// The user's input, then the answer, for the session, in one request
  /// (both are stored or neither); none for a turn without a session.
  [[nodiscard]] std::optional<v1::SessionAppendTurnsRequest>
  session_append() const;

  /// Memory answered session_append(). If the turn was appended before (a
  /// repeated delivery, `replayed`), the reply's output becomes the answer
  /// stored then, so the sender's turn has one answer however often it ran.
  void on_appended(const v1::SessionAppendTurnsResponse& resp);

  /// `err` as the caller sees it: past the deadline (or a request timeout)
  /// it is deadline_exceeded naming the agent's timeout.
  [[nodiscard]] caf::error turn_error(caf::error err, steady_time now) const;

  // -- properties -------------------------------------------------------------

  /// Time left, at least 1ms (a request with 0 would never time out).
  [[nodiscard]] std::chrono::milliseconds remaining(steady_time now) const;

  [[nodiscard]] bool expired(steady_time now) const {
    return now >= deadline_;
  }

  /// The text the turn answers: the input, or the last user message.
  [[nodiscard]] std::string input() const;

  [[nodiscard]] const v1::AgentDefinition& def() const {
    return entry_->def;
  }

  [[nodiscard]] const agent_entry& entry() const {
    return *entry_;
  }

  /// Empty when the client sent the conversation (OpenAI style).
  [[nodiscard]] const std::string& session_id() const {
    return session_id_;
  }

  [[nodiscard]] const v1::ChatReply& reply() const {
    return reply_;
  }

  /// Model calls so far.
  [[nodiscard]] uint32_t steps() const {
    return steps_;
  }

  /// Tool calls started so far.
  [[nodiscard]] uint32_t tool_calls() const {
    return tool_calls_;
  }

  [[nodiscard]] steady_time started() const {
    return started_;
  }

  /// Time spent in the provider, for the overhead metric.
  [[nodiscard]] uint64_t provider_micros() const {
    return provider_micros_;
  }

  /// The messages the model sees next.
  [[nodiscard]] const std::vector<v1::ChatMessage>& context() const {
    return context_;
  }

  /// The tools offered to the model.
  [[nodiscard]] const std::vector<v1::ToolSpec>& tools() const {
    return tools_;
  }

private:
  turn_step model_step();
  turn_step tool_step(steady_time now);
  turn_step answer(const std::string& content,
                   const std::string& finish_reason);
  bool offers_builtin(const std::string& tool) const;
  tool_route route(const std::string& tool) const;
  const google::protobuf::RepeatedPtrField<v1::ToolCall>& pending() const;
  /// Adds `used` to the reply's usage; a stop_step once it exceeds the
  /// token budget.
  std::optional<stop_step> count_usage(const v1::TokenUsage& used);

  std::string agent_;
  v1::ChatRequest req_;
  std::shared_ptr<const agent_entry> entry_;
  id_source new_id_;
  std::string session_id_;
  /// req_.delivery_id() if it can name a turn and a session (printable,
  /// short enough), else empty.
  std::string delivery_id_;
  bool new_session_ = false;
  /// The grants of req_.caller(), parsed once.
  security::permission_set caller_grants_;
  steady_time started_;
  steady_time deadline_;
  std::vector<v1::ChatMessage> context_;
  std::vector<v1::ToolSpec> tools_;
  std::set<std::string> client_tools_;
  std::vector<v1::KnowledgePassage> knowledge_;
  v1::ChatReply reply_;
  uint32_t steps_ = 0;
  uint32_t tool_calls_ = 0;
  uint64_t provider_micros_ = 0;
  /// The assistant message whose calls run, and the next of them.
  size_t assistant_ = 0;
  int next_call_ = 0;
};

} // namespace bsm::agents
