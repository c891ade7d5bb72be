#include "agents/agent_actor.hpp"

#include <chrono>

#include <caf/event_based_actor.hpp>
#include <caf/sec.hpp>
#include <nlohmann/json.hpp>

#include "actors/event_bus.hpp"
#include "actors/memory_actor.hpp"
#include "actors/remote_call.hpp"
#include "agents/agent_definition.hpp"
#include "agents/models/model_provider.hpp"
#include "agents/tools/builtin_tools.hpp"
#include "agents/tools/tool_host.hpp"
#include "agents/tools/tool_ledger.hpp"
#include "runtime/clock.hpp"
#include "runtime/error.hpp"
#include "runtime/mailbox/message_id.hpp"

namespace bsm::agents {

using steady = std::chrono::steady_clock;
using self_pointer = agent_actor::stateful_pointer<agent_state>;

/// One turn in progress. Continuations hold it by shared pointer; `done`
/// makes late answers (after a timeout) harmless.
struct turn {
  v1::ChatRequest req;
  caf::actor sink;
  caf::typed_response_promise<v1::ChatReply> rp;
  std::shared_ptr<const agent_entry> entry;
  /// Empty when the client sent the conversation (OpenAI style).
  std::string session_id;
  bool new_session = false;
  steady::time_point started;
  steady::time_point deadline;
  std::vector<v1::ChatMessage> context;
  std::vector<v1::ToolSpec> tools;
  std::set<std::string> client_tools;
  std::vector<v1::KnowledgePassage> knowledge;
  v1::ChatReply reply;
  uint32_t steps = 0;
  uint32_t tool_calls = 0;
  uint64_t provider_micros = 0;
  bool done = false;

  const v1::AgentDefinition& def() const {
    return entry->def;
  }

  /// Time left, at least 1ms (a request with 0 would never time out).
  std::chrono::milliseconds remaining() const {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - steady::now());
    return std::max(left, std::chrono::milliseconds{1});
  }

  bool expired() const {
    return steady::now() >= deadline;
  }

  /// The text the turn answers: the input, or the last user message.
  std::string input() const {
    if (!req.input().empty() || req.messages().empty())
      return req.input();
    for (auto i = req.messages().rbegin(); i != req.messages().rend(); ++i)
      if (i->role() == "user")
        return i->content();
    return {};
  }
};

using turn_ptr = std::shared_ptr<turn>;

std::string tool_call_key(const std::string& turn_id, uint32_t step,
                          const v1::ToolCall& call) {
  // FNV-1a: stable across processes and versions, unlike std::hash.
  uint64_t hash = 1469598103934665603ull;
  for (auto c : call.name() + '\0' + call.arguments_json()) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx",
                static_cast<unsigned long long>(hash));
  return turn_id + "/" + std::to_string(step) + "/" + hex;
}

namespace {

void call_model(self_pointer self, turn_ptr t);
void run_tools(self_pointer self, turn_ptr t, size_t index);

// -- small helpers ------------------------------------------------------------

v1::ChatMessage message(std::string role, std::string content) {
  v1::ChatMessage result;
  result.set_role(std::move(role));
  result.set_content(std::move(content));
  return result;
}

std::string new_session_id() {
  return "s-" + new_message_id();
}

// CAF's own timeout is the turn's deadline as the caller sees it.
caf::error as_turn_error(const turn& t, caf::error err) {
  if (err == caf::sec::request_timeout || t.expired())
    return make_error(errc::deadline_exceeded,
                      "the turn did not finish within "
                        + std::to_string(t.def().timeout_ms()) + "ms");
  return err;
}

void publish(self_pointer self, const turn& t, const char* kind,
             nlohmann::json data) {
  auto bus = self->state.env.names->get(event_bus_path);
  if (!bus)
    return;
  v1::PublishRequest req;
  auto* ev = req.mutable_event();
  ev->set_topic("agent." + self->state.agent + "." + kind);
  ev->set_time_unix_ms(unix_now_ms());
  ev->set_source(agent_path(self->state.agent));
  data["turn_id"] = t.reply.turn_id();
  if (!t.session_id.empty())
    data["session_id"] = t.session_id;
  ev->set_data_json(data.dump());
  self->send(caf::actor_cast<event_bus_actor>(*bus), std::move(req));
}

void count_tokens(self_pointer self, const v1::TokenUsage& usage) {
  const auto* m = self->state.env.metrics;
  if (!m)
    return;
  const auto& name = self->state.agent;
  m->tokens->with({name, "prompt"}).inc(usage.prompt_tokens());
  m->tokens->with({name, "completion"}).inc(usage.completion_tokens());
}

void record_turn(self_pointer self, const turn& t, const char* outcome) {
  const auto* m = self->state.env.metrics;
  if (!m)
    return;
  const auto& name = self->state.agent;
  auto elapsed = std::chrono::duration<double>(steady::now() - t.started);
  m->turns->with({name, outcome}).inc();
  m->duration->with({name}).observe(elapsed.count());
  auto overhead
    = elapsed.count() - static_cast<double>(t.provider_micros) / 1e6;
  m->overhead->with({name}).observe(std::max(0.0, overhead));
}

// -- the end of a turn --------------------------------------------------------

void fail(self_pointer self, turn_ptr t, caf::error err) {
  if (t->done)
    return;
  t->done = true;
  err = as_turn_error(*t, std::move(err));
  record_turn(self, *t, "error");
  publish(self, *t, "failed", {{"error", render(err)}});
  if (self->state.env.log)
    self->state.env.log->warn("agent {}: turn {} failed: {}", self->state.agent,
                              t->reply.turn_id(), render(err));
  t->rp.deliver(std::move(err));
  self->state.release(t->session_id);
}

void deliver(self_pointer self, turn_ptr t) {
  t->done = true;
  record_turn(self, *t, "ok");
  publish(self, *t, "completed",
          {{"steps", t->steps},
           {"tool_calls", t->tool_calls},
           {"finish_reason", t->reply.finish_reason()},
           {"total_tokens", t->reply.usage().total_tokens()}});
  t->rp.deliver(t->reply);
  self->state.release(t->session_id);
}

// Appends the user's input, then the answer, to the session.
void remember(self_pointer self, turn_ptr t) {
  auto memory = self->state.env.names->get("memory");
  if (t->session_id.empty() || !memory) {
    deliver(self, t);
    return;
  }
  auto handle = caf::actor_cast<memory_actor>(*memory);
  auto append = [&](const std::string& role, const std::string& content) {
    v1::SessionAppendRequest req;
    req.set_agent(self->state.agent);
    req.set_session_id(t->session_id);
    req.set_role(role);
    req.set_content(content);
    return req;
  };
  auto assistant = append("assistant", t->reply.output());
  self->request(handle, t->remaining(), append("user", t->input()))
    .then(
      [self, t, handle, assistant](const v1::SessionAppendResponse&) {
        if (t->done)
          return;
        self->request(handle, t->remaining(), assistant)
          .then(
            [self, t](const v1::SessionAppendResponse&) {
              if (!t->done)
                deliver(self, t);
            },
            [self, t](caf::error& err) { fail(self, t, std::move(err)); });
      },
      [self, t](caf::error& err) { fail(self, t, std::move(err)); });
}

void finish(self_pointer self, turn_ptr t, const v1::ChatMessage& answer,
            const std::string& finish_reason) {
  t->reply.set_output(answer.content());
  t->reply.set_finish_reason(finish_reason.empty() ? "stop" : finish_reason);
  remember(self, t);
}

// -- tools --------------------------------------------------------------------

// Feeds a tool's result back to the model and records the step.
void tool_done(self_pointer self, turn_ptr t, size_t index,
               const v1::ToolCall& call, v1::ToolCallResponse result,
               const char* outcome) {
  if (t->done)
    return;
  if (const auto* m = self->state.env.metrics)
    m->tool_calls->with({self->state.agent, outcome}).inc();
  auto* step = t->reply.add_steps();
  step->set_tool(call.name());
  step->set_arguments_json(call.arguments_json());
  step->set_result(result.content());
  step->set_is_error(result.is_error());
  publish(self, *t, "tool_called",
          {{"tool", call.name()},
           {"is_error", result.is_error()},
           {"replayed", std::string{outcome} == "replayed"}});
  auto msg = message("tool", result.content());
  msg.set_tool_call_id(call.id());
  msg.set_name(call.name());
  t->context.push_back(std::move(msg));
  run_tools(self, t, index + 1);
}

// Records a completed call's result, so a replayed turn does not run it
// again; the turn goes on without waiting for the write.
void remember_result(self_pointer self, const std::string& key,
                     const v1::ToolCallResponse& result) {
  auto ledger = self->state.env.names->get(tool_ledger_path);
  if (!ledger)
    return;
  v1::ToolLedgerPutRequest req;
  req.set_key(key);
  *req.mutable_result() = result;
  self
    ->request(caf::actor_cast<tool_ledger_actor>(*ledger),
              std::chrono::seconds{10}, std::move(req))
    .then([](const v1::ToolLedgerPutResponse&) {},
          [self, key](caf::error& err) {
            if (self->state.env.log)
              self->state.env.log->warn("agent {}: tool result {} not kept: {}",
                                        self->state.agent, key, render(err));
          });
}

void ask_agent(self_pointer self, turn_ptr t, const nlohmann::json& args,
               std::function<void(v1::ToolCallResponse)> done) {
  auto target = string_argument(args, "agent");
  auto input = string_argument(args, "input");
  if (!target || !input)
    return done(
      tool_result(render(!target ? target.error() : input.error()), true));
  std::vector<std::string> chain{t->req.delegation_chain().begin(),
                                 t->req.delegation_chain().end()};
  if (auto problem = delegation_problem(chain, self->state.agent, *target);
      !problem.empty())
    return done(tool_result(problem, true));
  if (!self->state.env.names->get(agent_path(*target)))
    return done(tool_result("no agent '" + *target + "'", true));
  v1::ChatRequest req;
  req.set_agent(*target);
  req.set_input(*input);
  for (const auto& x : chain)
    req.add_delegation_chain(x);
  req.add_delegation_chain(self->state.agent);
  req.set_timeout_ms(static_cast<uint32_t>(t->remaining().count()));
  req.set_turn_id(t->reply.turn_id() + "/" + *target);
  // The other agent may live on another node: the call goes there.
  const auto& env = self->state.env;
  ask_agent_anywhere(
    self, remote_call_env{env.names, env.directory, env.types}, std::move(req),
    t->remaining(),
    [done](const v1::ChatReply& reply) { done(tool_result(reply.output())); },
    [done](caf::error err) { done(tool_result(render(err), true)); });
}

void memory_tool(self_pointer self, turn_ptr t, const std::string& tool,
                 const nlohmann::json& args,
                 std::function<void(v1::ToolCallResponse)> done) {
  auto memory = self->state.env.names->get("memory");
  auto key = string_argument(args, "key");
  if (!key)
    return done(tool_result(render(key.error()), true));
  if (!memory)
    return done(tool_result("memory is not available", true));
  auto handle = caf::actor_cast<memory_actor>(*memory);
  auto on_error = [done](caf::error& err) {
    done(tool_result(render(err), true));
  };
  if (tool == memory_get_tool) {
    v1::MemoryGetRequest req;
    req.set_agent(self->state.agent);
    req.set_key(*key);
    self->request(handle, t->remaining(), std::move(req))
      .then(
        [done, k = *key](const v1::MemoryGetResponse& resp) {
          nlohmann::json out{{"key", k}, {"found", resp.found()}};
          if (resp.found())
            out["value"] = resp.value();
          done(tool_result(out.dump()));
        },
        on_error);
    return;
  }
  auto value = string_argument(args, "value");
  if (!value)
    return done(tool_result(render(value.error()), true));
  v1::MemoryPutRequest req;
  req.set_agent(self->state.agent);
  req.set_key(*key);
  req.set_value(*value);
  self->request(handle, t->remaining(), std::move(req))
    .then(
      [done, k = *key](const v1::MemoryPutResponse&) {
        done(tool_result(nlohmann::json{{"stored", k}}.dump()));
      },
      on_error);
}

void builtin_tool(self_pointer self, turn_ptr t, const v1::ToolCall& call,
                  std::function<void(v1::ToolCallResponse)> done) {
  auto args = parse_arguments(call.arguments_json());
  if (!args)
    return done(tool_result(render(args.error()), true));
  const auto& tool = call.name();
  if (tool == current_time_tool)
    return done(current_time_result());
  if (tool == knowledge_search_tool)
    return done(knowledge_search_result(*t->entry->knowledge, *args,
                                        t->def().knowledge_top_k()));
  if (tool == ask_agent_tool)
    return ask_agent(self, t, *args, std::move(done));
  memory_tool(self, t, tool, *args, std::move(done));
}

void hosted_tool(self_pointer self, turn_ptr t, const v1::ToolCall& call,
                 const std::string& key,
                 std::function<void(v1::ToolCallResponse)> done) {
  auto host = self->state.env.names->get(tool_host_path);
  if (!host)
    return done(tool_result("no tool host is running", true));
  v1::ToolCallRequest req;
  req.set_name(call.name());
  req.set_arguments_json(call.arguments_json());
  req.set_idempotency_key(key);
  req.set_timeout_ms(static_cast<uint32_t>(t->remaining().count()));
  self
    ->request(caf::actor_cast<tool_host_actor>(*host), t->remaining(),
              std::move(req))
    .then([done](v1::ToolCallResponse& resp) { done(std::move(resp)); },
          [done](caf::error& err) { done(tool_result(render(err), true)); });
}

// Runs one call (not a client tool), unless the ledger has its result.
void run_tool(self_pointer self, turn_ptr t, size_t index,
              const v1::ToolCall& call) {
  auto key = tool_call_key(t->reply.turn_id(), t->steps, call);
  auto run = [self, t, index, call, key] {
    auto done = [self, t, index, call, key](v1::ToolCallResponse result) {
      if (t->done)
        return;
      // A failed call may succeed when the turn is replayed.
      if (!result.is_error())
        remember_result(self, key, result);
      tool_done(self, t, index, call, std::move(result),
                result.is_error() ? "error" : "ok");
    };
    if (!allows_tool(t->def(), call.name()))
      return done(tool_result(
        "tool '" + call.name() + "' is not available to this agent", true));
    if (is_builtin_tool(call.name()))
      return builtin_tool(self, t, call, std::move(done));
    hosted_tool(self, t, call, key, std::move(done));
  };
  auto ledger = self->state.env.names->get(tool_ledger_path);
  if (!ledger)
    return run();
  v1::ToolLedgerGetRequest req;
  req.set_key(key);
  self
    ->request(caf::actor_cast<tool_ledger_actor>(*ledger), t->remaining(),
              std::move(req))
    .then(
      [self, t, index, call, run](v1::ToolLedgerGetResponse& resp) {
        if (t->done)
          return;
        if (resp.found())
          tool_done(self, t, index, call, std::move(*resp.mutable_result()),
                    "replayed");
        else
          run();
      },
      [self, t, run](caf::error&) {
        // Without the ledger the call runs; the turn is not lost for it.
        if (!t->done)
          run();
      });
}

// Runs the calls of the last assistant message from `index` on, one at a
// time, then calls the model again. Calls of client tools end the turn.
void run_tools(self_pointer self, turn_ptr t, size_t index) {
  if (t->done)
    return;
  if (t->expired())
    return fail(self, t, make_error(errc::deadline_exceeded, "turn timeout"));
  // The calls being run are those of the last assistant message; their
  // results follow it in the context.
  auto assistant
    = std::find_if(t->context.rbegin(), t->context.rend(),
                   [](const auto& x) { return x.role() == "assistant"; });
  const auto& all = assistant->tool_calls();
  if (index >= static_cast<size_t>(all.size()))
    return call_model(self, t);
  if (index == 0) {
    // Calls of client tools go back to the client, which runs them.
    for (const auto& call : all)
      if (t->client_tools.count(call.name()) > 0) {
        for (const auto& x : all)
          *t->reply.add_tool_calls() = x;
        v1::ChatMessage answer;
        answer.set_content(assistant->content());
        return finish(self, t, answer, "tool_calls");
      }
  }
  if (t->tool_calls >= t->def().max_tool_calls())
    return fail(self, t,
                make_error(errc::failed_precondition,
                           "tool call limit ("
                             + std::to_string(t->def().max_tool_calls())
                             + ") reached"));
  ++t->tool_calls;
  run_tool(self, t, index, all[static_cast<int>(index)]);
}

// -- the model ----------------------------------------------------------------

void on_model_response(self_pointer self, turn_ptr t, v1::ModelResponse resp) {
  if (t->done)
    return;
  t->provider_micros += resp.provider_micros();
  auto* usage = t->reply.mutable_usage();
  usage->set_prompt_tokens(usage->prompt_tokens()
                           + resp.usage().prompt_tokens());
  usage->set_completion_tokens(usage->completion_tokens()
                               + resp.usage().completion_tokens());
  usage->set_total_tokens(usage->prompt_tokens() + usage->completion_tokens());
  count_tokens(self, resp.usage());
  if (!resp.model().empty())
    t->reply.set_model(resp.model());
  auto budget = t->def().token_budget();
  if (budget > 0 && usage->total_tokens() > budget)
    return fail(
      self, t,
      make_error(errc::failed_precondition,
                 "token budget (" + std::to_string(budget) + ") exceeded: "
                   + std::to_string(usage->total_tokens()) + " tokens used"));
  auto& answer = *resp.mutable_message();
  answer.set_role("assistant");
  if (answer.tool_calls().empty())
    return finish(self, t, answer, resp.finish_reason());
  t->context.push_back(std::move(answer));
  run_tools(self, t, 0);
}

void call_model(self_pointer self, turn_ptr t) {
  if (t->done)
    return;
  if (t->steps >= t->def().max_steps())
    return fail(self, t,
                make_error(errc::failed_precondition,
                           "step limit (" + std::to_string(t->def().max_steps())
                             + " model calls) reached without an answer"));
  auto provider = self->state.env.names->get(model_provider_path);
  if (!provider)
    return fail(self, t,
                make_error(errc::unavailable, "no model provider is running"));
  ++t->steps;
  if (const auto* m = self->state.env.metrics)
    m->steps->with({self->state.agent}).inc();
  publish(self, *t, "step", {{"step", t->steps}});
  v1::ModelRequest req;
  *req.mutable_model() = t->def().model();
  for (const auto& x : t->context)
    *req.add_messages() = x;
  for (const auto& x : t->tools)
    *req.add_tools() = x;
  for (const auto& x : t->knowledge)
    *req.add_knowledge() = x;
  req.set_timeout_ms(static_cast<uint32_t>(t->remaining().count()));
  req.set_request_id(t->reply.turn_id());
  auto handle = caf::actor_cast<model_provider_actor>(*provider);
  auto on_error = [self, t](caf::error& err) {
    fail(self, t, std::move(err));
  };
  auto on_response = [self, t](v1::ModelResponse& resp) {
    on_model_response(self, t, std::move(resp));
  };
  if (t->sink)
    self->request(handle, t->remaining(), std::move(req), t->sink)
      .then(on_response, on_error);
  else
    self->request(handle, t->remaining(), std::move(req))
      .then(on_response, on_error);
}

// -- the start of a turn ------------------------------------------------------

bool uses_hosted_tools(const v1::AgentDefinition& def) {
  for (const auto& x : def.tools())
    if (!is_builtin_tool(x))
      return true;
  return false;
}

void offer_tools(self_pointer self, turn_ptr t) {
  for (const auto& spec : builtin_tool_specs())
    if (allows_tool(t->def(), spec.name()))
      t->tools.push_back(spec);
  for (const auto& spec : t->req.client_tools()) {
    t->client_tools.insert(spec.name());
    t->tools.push_back(spec);
  }
  auto host = self->state.env.names->get(tool_host_path);
  if (!uses_hosted_tools(t->def()) || !host)
    return call_model(self, t);
  self
    ->request(caf::actor_cast<tool_host_actor>(*host), t->remaining(),
              v1::ToolListRequest{})
    .then(
      [self, t](v1::ToolListResponse& resp) {
        for (auto& spec : *resp.mutable_tools())
          if (allows_tool(t->def(), spec.name()))
            t->tools.push_back(std::move(spec));
        call_model(self, t);
      },
      [self, t](caf::error& err) {
        // The agent still works with the tools it has.
        if (self->state.env.log)
          self->state.env.log->warn("agent {}: tool host: {}",
                                    self->state.agent, render(err));
        call_model(self, t);
      });
}

void build_context(
  self_pointer self, turn_ptr t,
  const google::protobuf::RepeatedPtrField<v1::SessionTurn>& history) {
  if (!t->def().system_prompt().empty())
    t->context.push_back(message("system", t->def().system_prompt()));
  for (const auto& x : history)
    if (x.role() == "user" || x.role() == "assistant")
      t->context.push_back(message(x.role(), x.content()));
  if (t->req.messages().empty()) {
    t->context.push_back(message("user", t->req.input()));
  } else {
    for (auto x : t->req.messages()) {
      if (x.role() == "developer")
        x.set_role("system");
      t->context.push_back(std::move(x));
    }
  }
  if (t->def().knowledge_top_k() > 0)
    t->knowledge
      = t->entry->knowledge->search(t->input(), t->def().knowledge_top_k());
  offer_tools(self, t);
}

// A turn of an existing session is "<session>#<its position>", so a turn
// replayed after a crash (it was never appended) gets the same id and its
// completed tool calls are found in the ledger. Other turns get a new id.
void name_turn(turn& t, uint64_t last_seq) {
  if (!t.reply.turn_id().empty())
    return;
  if (!t.session_id.empty() && !t.new_session)
    t.reply.set_turn_id(t.session_id + "#" + std::to_string(last_seq + 1));
  else
    t.reply.set_turn_id("t-" + new_message_id());
}

void start(self_pointer self, turn_ptr t) {
  const auto& def = t->def();
  auto limit = std::chrono::milliseconds{def.timeout_ms()};
  if (t->req.timeout_ms() > 0)
    limit = std::min(limit, std::chrono::milliseconds{t->req.timeout_ms()});
  t->deadline = t->started + limit;
  auto memory = self->state.env.names->get("memory");
  if (t->new_session || t->session_id.empty() || !memory) {
    name_turn(*t, 0);
    return build_context(self, t, {});
  }
  // Read at least the last turn: its position names this one.
  v1::SessionReadRequest req;
  req.set_agent(self->state.agent);
  req.set_session_id(t->session_id);
  req.set_limit(std::max(def.memory_history_turns(), 1u));
  self
    ->request(caf::actor_cast<memory_actor>(*memory), t->remaining(),
              std::move(req))
    .then(
      [self, t](v1::SessionReadResponse& resp) {
        if (t->done)
          return;
        name_turn(*t, resp.turns().empty() ? 0 : resp.turns().rbegin()->seq());
        if (t->def().memory_history_turns() == 0)
          resp.clear_turns();
        build_context(self, t, resp.turns());
      },
      [self, t](caf::error& err) { fail(self, t, std::move(err)); });
}

caf::error check_request(const v1::ChatRequest& req) {
  if (req.input().empty() && req.messages().empty())
    return make_error(errc::invalid_argument,
                      "a chat needs an input or messages");
  if (!req.messages().empty() && !req.input().empty())
    return make_error(errc::invalid_argument,
                      "a chat has either an input or messages, not both");
  return caf::none;
}

} // namespace

// -- agent_state --------------------------------------------------------------

void agent_state::submit(v1::ChatRequest req, caf::actor sink,
                         caf::typed_response_promise<v1::ChatReply> rp) {
  if (auto err = check_request(req)) {
    rp.deliver(std::move(err));
    return;
  }
  auto entry = env.catalog->find(agent);
  if (!entry) {
    rp.deliver(make_error(errc::not_found, "no agent '" + agent + "'"));
    return;
  }
  const auto& session = req.session_id();
  if (!session.empty() && busy_sessions.count(session) > 0) {
    waiting[session].push_back({std::move(req), std::move(sink), rp});
    return;
  }
  auto t = std::make_shared<turn>();
  t->started = steady::now();
  t->entry = std::move(entry);
  t->sink = std::move(sink);
  t->rp = rp;
  t->session_id = req.session_id();
  if (t->session_id.empty() && req.messages().empty()) {
    t->session_id = new_session_id();
    t->new_session = true;
  }
  if (!t->session_id.empty())
    busy_sessions.insert(t->session_id);
  t->reply.set_agent(agent);
  t->reply.set_session_id(t->session_id);
  t->reply.set_turn_id(req.turn_id()); // or named by start()
  t->reply.set_model(model_label(t->entry->def));
  t->req = std::move(req);
  start(self, std::move(t));
}

void agent_state::release(const std::string& session) {
  if (session.empty())
    return;
  busy_sessions.erase(session);
  auto i = waiting.find(session);
  if (i == waiting.end())
    return;
  auto next = std::move(i->second.front());
  i->second.pop_front();
  if (i->second.empty())
    waiting.erase(i);
  submit(std::move(next.req), std::move(next.sink), next.rp);
}

agent_actor::behavior_type
agent(agent_actor::stateful_pointer<agent_state> self, std::string name,
      agent_env env) {
  self->state.self = self;
  self->state.agent = std::move(name);
  self->state.env = std::move(env);
  return {
    [self](v1::ChatRequest& req) -> caf::result<v1::ChatReply> {
      auto rp = self->make_response_promise<v1::ChatReply>();
      self->state.submit(std::move(req), caf::actor{}, rp);
      return rp;
    },
    [self](v1::ChatRequest& req,
           caf::actor& sink) -> caf::result<v1::ChatReply> {
      auto rp = self->make_response_promise<v1::ChatReply>();
      self->state.submit(std::move(req), std::move(sink), rp);
      return rp;
    },
  };
}

} // namespace bsm::agents
