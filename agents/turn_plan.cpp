#include "agents/turn_plan.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

#include <caf/sec.hpp>

#include "agents/agent_definition.hpp"
#include "agents/caller.hpp"
#include "agents/tools/builtin_tools.hpp"
#include "agents/tools/tool_names.hpp"
#include "runtime/error.hpp"

namespace bsm::agents {

namespace {

v1::ChatMessage message(std::string role, std::string content) {
  v1::ChatMessage result;
  result.set_role(std::move(role));
  result.set_content(std::move(content));
  return result;
}

// Longest delivery id a turn uses: "s-" + it is a session id (128 at most).
constexpr size_t max_delivery_id = 120;

// A delivery id that can name a session and a turn; empty otherwise (a
// client may set one on a request no mailbox delivered).
std::string usable_delivery_id(const std::string& id) {
  if (id.size() > max_delivery_id)
    return {};
  for (auto c : id)
    if (c <= 0x20 || c >= 0x7F)
      return {};
  return id;
}

} // namespace

std::string tool_call_key(const std::string& agent, const std::string& turn_id,
                          uint32_t step, const v1::ToolCall& call) {
  // FNV-1a: stable across processes and versions, unlike std::hash.
  uint64_t hash = 1469598103934665603ull;
  for (auto c : call.name() + '\0' + call.arguments_json()) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx",
                static_cast<unsigned long long>(hash));
  return agent + "/" + turn_id + "/" + std::to_string(step) + "/" + hex;
}

const char* to_string(denial x) {
  switch (x) {
    case denial::tool: return "tool";
    case denial::delegation: return "delegation";
    case denial::permission: return "permission";
    default: return "none";
  }
}

caf::error check_chat_request(const v1::ChatRequest& req) {
  if (req.input().empty() && req.messages().empty())
    return make_error(errc::invalid_argument,
                      "a chat needs an input or messages");
  if (!req.messages().empty() && !req.input().empty())
    return make_error(errc::invalid_argument,
                      "a chat has either an input or messages, not both");
  return caf::none;
}

// -- the start ----------------------------------------------------------------

turn_plan::turn_plan(std::string agent, v1::ChatRequest req,
                     std::shared_ptr<const agent_entry> entry, steady_time now,
                     id_source new_id)
  : agent_(std::move(agent)), req_(std::move(req)), entry_(std::move(entry)),
    new_id_(std::move(new_id)), session_id_(req_.session_id()),
    delivery_id_(usable_delivery_id(req_.delivery_id())),
    caller_grants_(grants_of(req_.caller())), started_(now) {
  if (session_id_.empty() && req_.messages().empty()) {
    session_id_ = "s-" + (delivery_id_.empty() ? new_id_() : delivery_id_);
    new_session_ = true;
  }
  auto limit = std::chrono::milliseconds{def().timeout_ms()};
  if (req_.timeout_ms() > 0)
    limit = std::min(limit, std::chrono::milliseconds{req_.timeout_ms()});
  deadline_ = started_ + limit;
  reply_.set_agent(agent_);
  reply_.set_session_id(session_id_);
  reply_.set_turn_id(req_.turn_id());
  reply_.set_model(model_label(def()));
}

std::optional<v1::SessionReadRequest> turn_plan::history_request() const {
  if (new_session_ || session_id_.empty())
    return std::nullopt;
  v1::SessionReadRequest req;
  req.set_agent(agent_);
  req.set_session_id(session_id_);
  req.set_limit(std::max(def().memory_history_turns(), 1u));
  return req;
}

void turn_plan::begin(
  const google::protobuf::RepeatedPtrField<v1::SessionTurn>& history) {
  if (reply_.turn_id().empty() && !delivery_id_.empty())
    reply_.set_turn_id(delivery_id_);
  if (reply_.turn_id().empty()) {
    // The next position in the session: the same id when a turn that was
    // never appended (a crash) runs again.
    auto last = history.empty() ? 0 : history.rbegin()->seq();
    if (!session_id_.empty() && !new_session_)
      reply_.set_turn_id(session_id_ + "#" + std::to_string(last + 1));
    else
      reply_.set_turn_id("t-" + new_id_());
  }
  if (!def().system_prompt().empty())
    context_.push_back(message("system", def().system_prompt()));
  if (def().memory_history_turns() > 0)
    for (const auto& x : history)
      if (x.role() == "user" || x.role() == "assistant")
        context_.push_back(message(x.role(), x.content()));
  if (req_.messages().empty()) {
    context_.push_back(message("user", req_.input()));
  } else {
    for (auto x : req_.messages()) {
      if (x.role() == "developer")
        x.set_role("system");
      context_.push_back(std::move(x));
    }
  }
  if (def().knowledge_top_k() > 0 && entry_->knowledge)
    knowledge_ = entry_->knowledge->search(input(), def().knowledge_top_k());
}

bool turn_plan::wants_hosted_tools() const {
  return std::any_of(def().tools().begin(), def().tools().end(),
                     [](const auto& x) { return !is_builtin_tool(x); });
}

v1::ToolListRequest turn_plan::tool_list_request(steady_time now) const {
  v1::ToolListRequest req;
  std::set<std::string> servers;
  for (const auto& tool : def().tools())
    if (auto parts = mcp::split_tool_name(tool))
      servers.emplace(parts->first);
  for (const auto& x : servers)
    req.add_wait_for_servers(x);
  req.set_wait_ms(static_cast<uint32_t>(remaining(now).count() / 2));
  return req;
}

turn_step turn_plan::offer_tools(
  const google::protobuf::RepeatedPtrField<v1::ToolSpec>& hosted) {
  for (const auto& spec : builtin_tool_specs())
    if (offers_builtin(spec.name()))
      tools_.push_back(spec);
  for (const auto& spec : req_.client_tools()) {
    client_tools_.insert(spec.name());
    tools_.push_back(spec);
  }
  for (const auto& spec : hosted)
    if (allows_tool(def(), spec.name()))
      tools_.push_back(spec);
  return model_step();
}

// -- the loop -----------------------------------------------------------------

v1::ModelRequest turn_plan::model_request(steady_time now) const {
  v1::ModelRequest req;
  *req.mutable_model() = def().model();
  for (const auto& x : context_)
    *req.add_messages() = x;
  for (const auto& x : tools_)
    *req.add_tools() = x;
  // The client runs its own tools: a streamed turn shows it their calls as
  // the model writes them. The agent runs the others itself.
  for (const auto& x : client_tools_)
    req.add_relay_tool_calls(x);
  for (const auto& x : knowledge_)
    *req.add_knowledge() = x;
  req.set_timeout_ms(static_cast<uint32_t>(remaining(now).count()));
  req.set_request_id(reply_.turn_id());
  if (req_.has_generation())
    *req.mutable_generation() = req_.generation();
  // A forced tool call is the first model call's: after its result the
  // model decides, or the turn would call tools until max_steps.
  if (steps_ > 1)
    req.mutable_generation()->clear_tool_choice();
  return req;
}

turn_step turn_plan::on_model_response(v1::ModelResponse resp,
                                       steady_time now) {
  provider_micros_ += resp.provider_micros();
  if (!resp.model().empty())
    reply_.set_model(resp.model());
  if (auto over = count_usage(resp.usage()))
    return std::move(*over);
  auto& said = *resp.mutable_message();
  said.set_role("assistant");
  if (said.tool_calls().empty())
    return answer(said.content(), resp.finish_reason());
  assistant_ = context_.size();
  next_call_ = 0;
  context_.push_back(std::move(said));
  return tool_step(now);
}

std::optional<stop_step> turn_plan::count_usage(const v1::TokenUsage& used) {
  auto* usage = reply_.mutable_usage();
  usage->set_prompt_tokens(usage->prompt_tokens() + used.prompt_tokens());
  usage->set_completion_tokens(usage->completion_tokens()
                               + used.completion_tokens());
  usage->set_total_tokens(usage->prompt_tokens() + usage->completion_tokens());
  auto budget = def().token_budget();
  if (budget > 0 && usage->total_tokens() > budget)
    return stop_step{
      make_error(errc::failed_precondition,
                 "token budget (" + std::to_string(budget) + ") exceeded: "
                   + std::to_string(usage->total_tokens()) + " tokens used")};
  return std::nullopt;
}

turn_step turn_plan::on_tool_result(v1::ToolCallResponse result,
                                    steady_time now) {
  // Tokens an MCP server's sampling requests spent count as the agent's.
  if (auto over = count_usage(result.sampling_usage()))
    return std::move(*over);
  const auto& call = pending()[next_call_];
  auto* step = reply_.add_steps();
  step->set_tool(call.name());
  step->set_arguments_json(call.arguments_json());
  step->set_result(result.content());
  step->set_is_error(result.is_error());
  *step->mutable_questions() = std::move(*result.mutable_questions());
  auto msg = message("tool", std::move(*result.mutable_content()));
  msg.set_tool_call_id(call.id());
  msg.set_name(call.name());
  context_.push_back(std::move(msg));
  ++next_call_;
  return tool_step(now);
}

delegation turn_plan::delegate(const nlohmann::json& args,
                               steady_time now) const {
  delegation result;
  auto target = string_argument(args, "agent");
  auto input = string_argument(args, "input");
  if (!target || !input) {
    result.refusal = render(!target ? target.error() : input.error());
    return result;
  }
  if (!allows_delegation(def(), *target)) {
    result.refusal = "agent '" + agent_ + "' may not ask agent '" + *target
                     + "' (not among its delegates)";
    result.denied = denial::delegation;
    return result;
  }
  // The caller's rights travel with the turn: an agent may not ask on its
  // behalf what the caller could not.
  auto needed = chat_permission(*target);
  if (!caller_grants_.allows(needed)) {
    result.refusal = "the caller lacks permission '" + needed
                     + "' to ask agent '" + *target + "'";
    result.denied = denial::permission;
    return result;
  }
  std::vector<std::string> chain{req_.delegation_chain().begin(),
                                 req_.delegation_chain().end()};
  result.refusal = delegation_problem(chain, agent_, *target);
  if (!result.refusal.empty())
    return result;
  auto& req = result.request;
  req.set_agent(*target);
  req.set_input(*input);
  *req.mutable_caller() = req_.caller();
  for (const auto& x : chain)
    req.add_delegation_chain(x);
  req.add_delegation_chain(agent_);
  req.set_timeout_ms(static_cast<uint32_t>(remaining(now).count()));
  req.set_turn_id(reply_.turn_id() + "/" + *target);
  return result;
}

// -- the end ------------------------------------------------------------------

namespace {

// A step's arguments and result in a session's history: at most this many
// bytes each, so a turn's steps stay far below memory.max_turn_bytes.
constexpr size_t max_history_step_bytes = 2048;

void cut_for_history(std::string& text) {
  if (text.size() <= max_history_step_bytes)
    return;
  auto keep = max_history_step_bytes;
  // Not inside a UTF-8 sequence.
  while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80)
    --keep;
  text.resize(keep);
  text += "…";
}

} // namespace

std::optional<v1::SessionAppendTurnsRequest> turn_plan::session_append() const {
  if (session_id_.empty())
    return std::nullopt;
  v1::SessionAppendTurnsRequest req;
  req.set_agent(agent_);
  req.set_session_id(session_id_);
  auto add = [&req](const char* role, const std::string& content) {
    auto* turn = req.add_turns();
    turn->set_role(role);
    turn->set_content(content);
  };
  add("user", input());
  add("assistant", reply_.output());
  auto* answer = req.mutable_turns(1);
  for (auto step : reply_.steps()) {
    // The history shows what a call did; the chat's answer has it whole.
    cut_for_history(*step.mutable_arguments_json());
    cut_for_history(*step.mutable_result());
    *answer->add_steps() = std::move(step);
  }
  *answer->mutable_usage() = reply_.usage();
  // Appended once per delivered envelope, however often it is delivered.
  req.set_turn_id(delivery_id_);
  return req;
}

void turn_plan::on_appended(const v1::SessionAppendTurnsResponse& resp) {
  if (!resp.replayed())
    return;
  const auto& turns = resp.turns();
  auto stored = std::find_if(turns.rbegin(), turns.rend(), [](const auto& t) {
    return t.role() == "assistant";
  });
  if (stored != turns.rend())
    reply_.set_output(stored->content());
}

caf::error turn_plan::turn_error(caf::error err, steady_time now) const {
  // CAF's own timeout is the turn's deadline as the caller sees it.
  if (err == caf::sec::request_timeout || expired(now))
    return make_error(errc::deadline_exceeded,
                      "the turn did not finish within "
                        + std::to_string(def().timeout_ms()) + "ms");
  return err;
}

// -- properties ---------------------------------------------------------------

std::chrono::milliseconds turn_plan::remaining(steady_time now) const {
  auto left
    = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - now);
  return std::max(left, std::chrono::milliseconds{1});
}

std::string turn_plan::input() const {
  if (!req_.input().empty() || req_.messages().empty())
    return req_.input();
  for (auto i = req_.messages().rbegin(); i != req_.messages().rend(); ++i)
    if (i->role() == "user")
      return i->content();
  return {};
}

// -- decisions ----------------------------------------------------------------

turn_step turn_plan::model_step() {
  if (steps_ >= def().max_steps())
    return stop_step{make_error(errc::failed_precondition,
                                "step limit ("
                                  + std::to_string(def().max_steps())
                                  + " model calls) reached without an answer")};
  ++steps_;
  return call_model_step{};
}

// The calls of the last assistant message run one at a time, in order;
// after the last one the model sees their results.
turn_step turn_plan::tool_step(steady_time now) {
  if (expired(now))
    return stop_step{make_error(errc::deadline_exceeded, "turn timeout")};
  const auto& calls = pending();
  if (next_call_ >= calls.size())
    return model_step();
  // Calls of client tools go back to the client, which runs them.
  auto is_client_tool = [this](const v1::ToolCall& x) {
    return client_tools_.count(x.name()) > 0;
  };
  if (next_call_ == 0
      && std::any_of(calls.begin(), calls.end(), is_client_tool)) {
    *reply_.mutable_tool_calls() = calls;
    return answer(context_[assistant_].content(), "tool_calls");
  }
  if (tool_calls_ >= def().max_tool_calls())
    return stop_step{make_error(errc::failed_precondition,
                                "tool call limit ("
                                  + std::to_string(def().max_tool_calls())
                                  + ") reached")};
  ++tool_calls_;
  run_tool_step step;
  step.call = calls[next_call_];
  step.route = route(step.call.name());
  step.ledger_key = tool_call_key(agent_, reply_.turn_id(), steps_, step.call);
  if (step.route == tool_route::refused) {
    step.refusal
      = "tool '" + step.call.name() + "' is not available to this agent";
    step.denied = denial::tool;
  }
  return step;
}

turn_step turn_plan::answer(const std::string& content,
                            const std::string& finish_reason) {
  reply_.set_output(content);
  reply_.set_finish_reason(finish_reason.empty() ? "stop" : finish_reason);
  return answer_step{};
}

bool turn_plan::offers_builtin(const std::string& tool) const {
  // An ask_agent with nobody to ask would only be refused.
  if (tool == ask_agent_tool && def().delegates().empty())
    return false;
  return allows_tool(def(), tool);
}

tool_route turn_plan::route(const std::string& tool) const {
  if (!allows_tool(def(), tool))
    return tool_route::refused;
  if (tool == current_time_tool)
    return tool_route::current_time;
  if (tool == knowledge_search_tool)
    return tool_route::knowledge_search;
  if (tool == ask_agent_tool)
    return tool_route::ask_agent;
  if (tool == memory_get_tool)
    return tool_route::memory_get;
  if (tool == memory_put_tool)
    return tool_route::memory_put;
  return tool_route::hosted;
}

const google::protobuf::RepeatedPtrField<v1::ToolCall>&
turn_plan::pending() const {
  return context_[assistant_].tool_calls();
}

} // namespace bsm::agents
