#include "agents/agent_actor.hpp"

#include <chrono>
#include <cstdio>
#include <functional>
#include <random>
#include <variant>

#include <caf/event_based_actor.hpp>
#include <caf/local_actor.hpp>
#include <nlohmann/json.hpp>

#include "actors/event_bus.hpp"
#include "actors/memory_actor.hpp"
#include "actors/remote_call.hpp"
#include "actors/timed_request.hpp"
#include "agents/agent_definition.hpp"
#include "agents/models/model_provider.hpp"
#include "agents/tools/builtin_tools.hpp"
#include "agents/tools/tool_host.hpp"
#include "agents/tools/tool_ledger.hpp"
#include "agents/turn_budget.hpp"
#include "agents/turn_plan.hpp"
#include "runtime/clock.hpp"
#include "runtime/error.hpp"
#include "runtime/mailbox/message_id.hpp"

namespace bsm::agents {

using steady = std::chrono::steady_clock;
using self_pointer = agent_actor::stateful_pointer<agent_state>;

// One turn in progress: its plan and whom to answer. Continuations hold it
// by shared pointer; `done` makes late answers (after a timeout or a
// cancel) harmless.
struct running_turn {
  turn_plan plan;
  caf::actor sink;
  caf::typed_response_promise<v1::ChatReply> rp;
  // The session it holds in the queue: the one the client named.
  std::string queued_as;
  bool done = false;
};

namespace {

using turn = running_turn;
using turn_ptr = std::shared_ptr<turn>;
using tool_done_fn = std::function<void(v1::ToolCallResponse)>;

void advance(self_pointer self, turn_ptr t, turn_step step);

// -- small helpers ------------------------------------------------------------

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
  data["turn_id"] = t.plan.reply().turn_id();
  if (!t.plan.session_id().empty())
    data["session_id"] = t.plan.session_id();
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
  auto elapsed
    = std::chrono::duration<double>(steady::now() - t.plan.started());
  m->turns->with({name, outcome}).inc();
  m->duration->with({name}).observe(elapsed.count());
  auto overhead
    = elapsed.count() - static_cast<double>(t.plan.provider_micros()) / 1e6;
  m->overhead->with({name}).observe(std::max(0.0, overhead));
}

std::chrono::milliseconds remaining(const turn& t) {
  return t.plan.remaining(steady::now());
}

// -- questions ----------------------------------------------------------------

void publish_question(self_pointer self, const v1::Question& q,
                      const char* kind, nlohmann::json data) {
  auto bus = self->state.env.names->get(event_bus_path);
  if (!bus)
    return;
  v1::PublishRequest req;
  auto* ev = req.mutable_event();
  ev->set_topic("agent." + self->state.agent + "." + kind);
  ev->set_time_unix_ms(unix_now_ms());
  ev->set_source(agent_path(self->state.agent));
  data["question_id"] = q.id();
  data["turn_id"] = q.turn_id();
  data["session_id"] = q.session_id();
  ev->set_data_json(
    data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  self->send(caf::actor_cast<event_bus_actor>(*bus), std::move(req));
}

// Answers the clients waiting on `settled` questions.
void settle_questions(self_pointer self, std::vector<v1::Question> settled) {
  auto& waiters = self->state.question_waiters;
  for (auto& q : settled) {
    publish_question(
      self, q, "question_settled",
      {{"action", q.action()}, {"answered_by", q.answered_by()}});
    auto i = waiters.find(q.id());
    if (i == waiters.end())
      continue;
    auto rp = std::move(i->second);
    waiters.erase(i);
    rp.deliver(std::move(q));
  }
}

// One timer for the earliest deadline (a later one is armed when it fires).
void arm_question_timer(self_pointer self) {
  auto next = self->state.questions.next_deadline();
  auto& armed = self->state.question_timer_ms;
  if (!next || (armed && *armed <= *next))
    return;
  armed = *next;
  auto delay = std::max<int64_t>(*next - unix_now_ms(), 0) + 1;
  self->delayed_send(self, std::chrono::milliseconds{delay}, atom::tick::value);
}

std::string new_question_id() {
  thread_local std::mt19937_64 bits{std::random_device{}()};
  char out[19];
  std::snprintf(out, sizeof(out), "q-%016llx",
                static_cast<unsigned long long>(bits()));
  return out;
}

// Holds a question of a running turn until it is settled.
caf::result<v1::Question> ask_question(self_pointer self, v1::Question q) {
  auto& st = self->state;
  auto i = st.running.find(q.turn_id());
  auto t = i == st.running.end() ? nullptr : i->second.lock();
  if (!t || t->done)
    return make_error(errc::not_found, "agent " + st.agent
                                         + " has no running turn '"
                                         + q.turn_id() + "'");
  // Nobody can answer once the turn is over.
  auto now = unix_now_ms();
  auto turn_ends = now + remaining(*t).count();
  if (q.deadline_unix_ms() == 0 || q.deadline_unix_ms() > turn_ends)
    q.set_deadline_unix_ms(turn_ends);
  auto added = st.questions.add(std::move(q), st.agent, t->plan.caller(),
                                new_question_id(), now);
  if (!added)
    return std::move(added.error());
  auto rp = self->make_response_promise<v1::Question>();
  st.question_waiters.emplace(added->id(), rp);
  if (t->sink) {
    v1::ChatDelta delta;
    *delta.mutable_question() = *added;
    caf::anon_send(t->sink, std::move(delta));
  }
  publish_question(self, *added, "question",
                   {{"server", added->server()},
                    {"tool", added->tool()},
                    {"message", added->message()},
                    {"deadline_unix_ms", added->deadline_unix_ms()}});
  arm_question_timer(self);
  return rp;
}

// -- the end of a turn --------------------------------------------------------

// Makes the turn cancellable by its id (once it has one).
void track(self_pointer self, const turn_ptr& t) {
  const auto& id = t->plan.reply().turn_id();
  if (!id.empty())
    self->state.running[id] = t;
}

void untrack(self_pointer self, const turn_ptr& t) {
  auto& running = self->state.running;
  const auto& id = t->plan.reply().turn_id();
  auto i = running.find(id);
  if (i != running.end() && i->second.lock() == t)
    running.erase(i);
  if (self->state.questions.size() > 0)
    settle_questions(self, self->state.questions.end_turn(id));
}

void fail(self_pointer self, turn_ptr t, caf::error err) {
  if (t->done)
    return;
  t->done = true;
  untrack(self, t);
  auto cancelled = is(err, errc::cancelled);
  err = t->plan.turn_error(std::move(err), steady::now());
  record_turn(self, *t, cancelled ? "cancelled" : "error");
  publish(self, *t, cancelled ? "cancelled" : "failed",
          {{"error", render(err)}});
  if (self->state.env.log) {
    if (cancelled)
      self->state.env.log->info("agent {}: {}", self->state.agent, render(err));
    else
      self->state.env.log->warn("agent {}: turn {} failed: {}",
                                self->state.agent, t->plan.reply().turn_id(),
                                render(err));
  }
  t->rp.deliver(std::move(err));
  self->state.release(t->queued_as);
}

void deliver(self_pointer self, turn_ptr t) {
  t->done = true;
  untrack(self, t);
  record_turn(self, *t, "ok");
  const auto& reply = t->plan.reply();
  publish(self, *t, "completed",
          {{"steps", t->plan.steps()},
           {"tool_calls", t->plan.tool_calls()},
           {"finish_reason", reply.finish_reason()},
           {"total_tokens", reply.usage().total_tokens()}});
  t->rp.deliver(reply);
  self->state.release(t->queued_as);
}

// Appends the user's input and the answer to the session (one write).
void remember(self_pointer self, turn_ptr t) {
  auto memory = self->state.env.names->get("memory");
  auto append = t->plan.session_append();
  if (!append || !memory)
    return deliver(self, t);
  timed_request(self, self->state.deadlines,
                caf::actor_cast<memory_actor>(*memory), remaining(*t),
                std::move(*append))
    .then(
      [self, t](const v1::SessionAppendTurnsResponse& resp) {
        if (t->done)
          return;
        if (resp.replayed() && self->state.env.log)
          self->state.env.log->info(
            "agent {}: turn {} was delivered again; its session already "
            "holds it, the stored answer is the reply",
            self->state.agent, t->plan.reply().turn_id());
        t->plan.on_appended(resp);
        deliver(self, t);
      },
      [self, t](caf::error& err) { fail(self, t, std::move(err)); });
}

// -- tools --------------------------------------------------------------------

// A call the agent's capabilities refuse: counted and logged; the model
// gets `refusal` as the call's error result.
void count_denial(self_pointer self, denial kind, const std::string& refusal) {
  const auto& st = self->state;
  if (st.env.metrics)
    st.env.metrics->capability_denied->with({st.agent, to_string(kind)}).inc();
  if (st.env.log)
    st.env.log->warn("agent {}: {} denied: {}", st.agent, to_string(kind),
                     refusal);
}

// Feeds a tool's result back to the plan and records the step.
void tool_done(self_pointer self, turn_ptr t, const v1::ToolCall& call,
               v1::ToolCallResponse result, const char* outcome) {
  if (t->done)
    return;
  if (const auto* m = self->state.env.metrics)
    m->tool_calls->with({self->state.agent, outcome}).inc();
  publish(self, *t, "tool_called",
          {{"tool", call.name()},
           {"is_error", result.is_error()},
           {"replayed", std::string{outcome} == "replayed"}});
  if (t->sink) {
    v1::ChatDelta delta;
    auto* step = delta.mutable_tool_result();
    step->set_tool(call.name());
    step->set_arguments_json(call.arguments_json());
    step->set_result(result.content());
    step->set_is_error(result.is_error());
    caf::anon_send(t->sink, std::move(delta));
  }
  advance(self, t, t->plan.on_tool_result(std::move(result), steady::now()));
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
  timed_request(self, self->state.deadlines,
                caf::actor_cast<tool_ledger_actor>(*ledger),
                self->state.env.ledger_timeout, std::move(req))
    .then([](const v1::ToolLedgerPutResponse&) {},
          [self, key](caf::error& err) {
            if (self->state.env.log)
              self->state.env.log->warn("agent {}: tool result {} not kept: {}",
                                        self->state.agent, key, render(err));
          });
}

void ask_agent(self_pointer self, turn_ptr t, const nlohmann::json& args,
               tool_done_fn done) {
  auto call = t->plan.delegate(args, steady::now());
  if (call.denied != denial::none)
    count_denial(self, call.denied, call.refusal);
  if (!call.refusal.empty())
    return done(tool_result(call.refusal, true));
  const auto& target = call.request.agent();
  if (!self->state.env.names->get(agent_path(target)))
    return done(tool_result("no agent '" + target + "'", true));
  // The other agent may live on another node: the call goes there.
  const auto& env = self->state.env;
  ask_agent_anywhere(
    self, remote_call_env{env.names, env.directory, env.types},
    std::move(call.request), remaining(*t),
    [done](const v1::ChatReply& reply) { done(tool_result(reply.output())); },
    [done](caf::error err) { done(tool_result(render(err), true)); },
    &self->state.deadlines);
}

void memory_tool(self_pointer self, turn_ptr t, tool_route route,
                 const nlohmann::json& args, tool_done_fn done) {
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
  if (route == tool_route::memory_get) {
    v1::MemoryGetRequest req;
    req.set_agent(self->state.agent);
    req.set_key(*key);
    timed_request(self, self->state.deadlines, handle, remaining(*t),
                  std::move(req))
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
  timed_request(self, self->state.deadlines, handle, remaining(*t),
                std::move(req))
    .then(
      [done, k = *key](const v1::MemoryPutResponse&) {
        done(tool_result(nlohmann::json{{"stored", k}}.dump()));
      },
      on_error);
}

void builtin_tool(self_pointer self, turn_ptr t, const run_tool_step& step,
                  tool_done_fn done) {
  auto args = parse_arguments(step.call.arguments_json());
  if (!args)
    return done(tool_result(render(args.error()), true));
  switch (step.route) {
    case tool_route::current_time: return done(current_time_result());
    case tool_route::knowledge_search:
      return done(knowledge_search_result(*t->plan.entry().knowledge, *args,
                                          t->plan.def().knowledge_top_k()));
    case tool_route::ask_agent:
      return ask_agent(self, t, *args, std::move(done));
    default: return memory_tool(self, t, step.route, *args, std::move(done));
  }
}

void hosted_tool(self_pointer self, turn_ptr t, const run_tool_step& step,
                 tool_done_fn done) {
  auto host = self->state.env.names->get(tool_host_path);
  if (!host)
    return done(tool_result("no tool host is running", true));
  v1::ToolCallRequest req;
  req.set_name(step.call.name());
  req.set_arguments_json(step.call.arguments_json());
  req.set_idempotency_key(step.ledger_key);
  req.set_timeout_ms(static_cast<uint32_t>(remaining(*t).count()));
  // For the server's progress events and sampling requests.
  req.set_agent(self->state.agent);
  req.set_session_id(t->plan.session_id());
  req.set_turn_id(t->plan.reply().turn_id());
  *req.mutable_model() = t->plan.def().model();
  timed_request(self, self->state.deadlines,
                caf::actor_cast<tool_host_actor>(*host), remaining(*t),
                std::move(req))
    .then(
      [self, done](v1::ToolCallResponse& resp) {
        count_tokens(self, resp.sampling_usage());
        done(std::move(resp));
      },
      [done](caf::error& err) { done(tool_result(render(err), true)); });
}

// Runs one call the way the plan routed it.
void run_tool_now(self_pointer self, turn_ptr t, const run_tool_step& step) {
  auto done = [self, t, step](v1::ToolCallResponse result) {
    if (t->done)
      return;
    // A failed call may succeed when the turn is replayed.
    if (!result.is_error())
      remember_result(self, step.ledger_key, result);
    auto outcome = result.is_error() ? "error" : "ok";
    tool_done(self, t, step.call, std::move(result), outcome);
  };
  switch (step.route) {
    case tool_route::refused:
      count_denial(self, step.denied, step.refusal);
      return done(tool_result(step.refusal, true));
    case tool_route::hosted: return hosted_tool(self, t, step, std::move(done));
    default: return builtin_tool(self, t, step, std::move(done));
  }
}

// Runs one call, unless the ledger has its result.
void run_tool(self_pointer self, turn_ptr t, run_tool_step step) {
  if (t->sink) {
    v1::ChatDelta delta;
    delta.mutable_tool_call()->set_tool(step.call.name());
    delta.mutable_tool_call()->set_arguments_json(step.call.arguments_json());
    caf::anon_send(t->sink, std::move(delta));
  }
  auto ledger = self->state.env.names->get(tool_ledger_path);
  // A refused call has nothing to replay, even if the definition allowed
  // it when the turn first ran.
  if (!ledger || step.route == tool_route::refused)
    return run_tool_now(self, t, step);
  v1::ToolLedgerGetRequest req;
  req.set_key(step.ledger_key);
  timed_request(self, self->state.deadlines,
                caf::actor_cast<tool_ledger_actor>(*ledger), remaining(*t),
                std::move(req))
    .then(
      [self, t, step](v1::ToolLedgerGetResponse& resp) {
        if (t->done)
          return;
        // A replayed call spends no tokens again.
        resp.mutable_result()->clear_sampling_usage();
        if (resp.found())
          tool_done(self, t, step.call, std::move(*resp.mutable_result()),
                    "replayed");
        else
          run_tool_now(self, t, step);
      },
      [self, t, step](caf::error&) {
        // Without the ledger the call runs; the turn is not lost for it.
        if (!t->done)
          run_tool_now(self, t, step);
      });
}

// -- the model ----------------------------------------------------------------

// Sends the model call the budgets admitted; settles them after it.
void send_model_call(self_pointer self, turn_ptr t, v1::ModelRequest req,
                     budget_hold hold) {
  if (t->done)
    return settle_model_call(self, hold, {});
  auto provider = self->state.env.names->get(model_provider_path);
  if (!provider) {
    settle_model_call(self, hold, {});
    return fail(self, t,
                make_error(errc::unavailable, "no model provider is running"));
  }
  auto timeout = t->plan.remaining(steady::now());
  auto handle = caf::actor_cast<model_provider_actor>(*provider);
  auto on_error = [self, t, hold](caf::error& err) {
    settle_model_call(self, hold, {});
    fail(self, t, std::move(err));
  };
  auto on_response = [self, t, hold](v1::ModelResponse& resp) {
    settle_model_call(self, hold, resp.usage());
    if (t->done)
      return;
    count_tokens(self, resp.usage());
    advance(self, t, t->plan.on_model_response(std::move(resp), steady::now()));
  };
  if (t->sink)
    timed_request(self, self->state.deadlines, handle, timeout, std::move(req),
                  t->sink)
      .then(on_response, on_error);
  else
    timed_request(self, self->state.deadlines, handle, timeout, std::move(req))
      .then(on_response, on_error);
}

void call_model(self_pointer self, turn_ptr t) {
  if (!self->state.env.names->get(model_provider_path))
    return fail(self, t,
                make_error(errc::unavailable, "no model provider is running"));
  if (const auto* m = self->state.env.metrics)
    m->steps->with({self->state.agent}).inc();
  publish(self, *t, "step", {{"step", t->plan.steps()}});
  auto req = t->plan.model_request(steady::now());
  auto caller = t->plan.caller();
  reserve_model_call(
    self, caller, req,
    [self, t, req](budget_hold hold) mutable {
      send_model_call(self, t, std::move(req), std::move(hold));
    },
    [self, t](caf::error err) { fail(self, t, std::move(err)); });
}

// -- what the plan asks for ---------------------------------------------------

void advance(self_pointer self, turn_ptr t, turn_step step) {
  if (t->done)
    return;
  if (std::holds_alternative<call_model_step>(step))
    call_model(self, t);
  else if (auto* run = std::get_if<run_tool_step>(&step))
    run_tool(self, t, std::move(*run));
  else if (std::holds_alternative<answer_step>(step))
    remember(self, t);
  else
    fail(self, t, std::move(std::get<stop_step>(step).error));
}

// -- the start of a turn ------------------------------------------------------

void offer_tools(self_pointer self, turn_ptr t) {
  auto host = self->state.env.names->get(tool_host_path);
  if (!t->plan.wants_hosted_tools() || !host)
    return advance(self, t, t->plan.offer_tools());
  timed_request(self, self->state.deadlines,
                caf::actor_cast<tool_host_actor>(*host), remaining(*t),
                t->plan.tool_list_request(steady::now()))
    .then(
      [self, t](const v1::ToolListResponse& resp) {
        advance(self, t, t->plan.offer_tools(resp.tools()));
      },
      [self, t](caf::error& err) {
        // The agent still works with the tools it has.
        if (self->state.env.log)
          self->state.env.log->warn("agent {}: tool host: {}",
                                    self->state.agent, render(err));
        advance(self, t, t->plan.offer_tools());
      });
}

void start(self_pointer self, turn_ptr t) {
  auto memory = self->state.env.names->get("memory");
  auto read = t->plan.history_request();
  if (!read || !memory) {
    t->plan.begin();
    track(self, t);
    return offer_tools(self, t);
  }
  timed_request(self, self->state.deadlines,
                caf::actor_cast<memory_actor>(*memory), remaining(*t),
                std::move(*read))
    .then(
      [self, t](const v1::SessionReadResponse& resp) {
        if (t->done)
          return;
        t->plan.begin(resp.turns());
        track(self, t);
        offer_tools(self, t);
      },
      [self, t](caf::error& err) { fail(self, t, std::move(err)); });
}

} // namespace

// -- agent_state --------------------------------------------------------------

namespace {

caf::error no_agent(const std::string& name) {
  return make_error(errc::not_found, "no agent '" + name + "'");
}

// Starts the turn of `q` now; its session (`queued_as`) is busy for it.
void start_turn(self_pointer self, std::string queued_as, queued_turn q,
                std::shared_ptr<const agent_entry> entry) {
  auto& st = self->state;
  auto t = std::make_shared<turn>(
    turn{turn_plan{st.agent, std::move(q.req), std::move(entry), steady::now(),
                   new_message_id},
         std::move(q.sink), q.rp, std::move(queued_as)});
  // A turn the client named is cancellable before its history is read.
  track(self, t);
  start(self, std::move(t));
}

} // namespace

void agent_state::submit(v1::ChatRequest req, request_origin origin,
                         caf::actor sink,
                         caf::typed_response_promise<v1::ChatReply> rp) {
  if (auto err = check_chat_request(req)) {
    rp.deliver(std::move(err));
    return;
  }
  settle_caller(req, origin);
  auto entry = env.catalog->find(agent);
  if (!entry) {
    rp.deliver(no_agent(agent));
    return;
  }
  auto session = req.session_id();
  queued_turn q{std::move(req), std::move(sink), rp};
  if (sessions.try_start(session))
    return start_turn(self, std::move(session), std::move(q), std::move(entry));
  if (sessions.full(session)) {
    rp.deliver(make_error(errc::unavailable,
                          "session '" + session + "' has "
                            + std::to_string(env.opts.max_waiting_turns)
                            + " turns waiting"));
    return;
  }
  sessions.enqueue(session, std::move(q));
}

void agent_state::release(const std::string& session) {
  while (auto next = sessions.release(session)) {
    // A reload may have removed the agent since the turn was queued.
    if (auto entry = env.catalog->find(agent))
      return start_turn(self, session, std::move(*next), std::move(entry));
    next->rp.deliver(no_agent(agent));
  }
}

caf::expected<v1::TurnCancelResponse>
agent_state::cancel(v1::TurnCancelRequest req, request_origin origin) {
  settle_caller(req, origin);
  const auto& id = req.turn_id();
  auto refused = [&] {
    return make_error(errc::permission_denied,
                      "turn " + id + " of agent " + agent
                        + " acts for another caller; cancelling it needs "
                          "agents:"
                        + agent + ":cancel");
  };
  auto cancelled = [&] {
    return make_error(errc::cancelled, "turn " + id + " was cancelled");
  };
  v1::TurnCancelResponse resp;
  if (auto i = running.find(id); i != running.end())
    if (auto t = i->second.lock(); t && !t->done) {
      if (!may_cancel(req.caller(), t->plan.caller(), agent))
        return refused();
      fail(self, t, cancelled());
      resp.set_was("running");
      return resp;
    }
  auto named = [&](const queued_turn& q) {
    return q.req.turn_id() == id;
  };
  const auto* waiting = id.empty() ? nullptr : sessions.find_waiting(named);
  if (waiting == nullptr)
    return make_error(errc::not_found, "agent " + agent
                                         + " has no running or waiting turn "
                                         + id);
  if (!may_cancel(req.caller(), waiting->req.caller(), agent))
    return refused();
  if (auto q = sessions.remove_waiting(named))
    q->rp.deliver(cancelled());
  resp.set_was("waiting");
  return resp;
}

namespace {

// Where the message being handled came from (caller.hpp).
request_origin current_origin(self_pointer self) {
  const auto& sender = self->current_sender();
  if (!sender)
    return origin_of(false, false, {});
  auto* local = dynamic_cast<const caf::local_actor*>(sender->get());
  return origin_of(true, sender->node() == self->node(),
                   local ? local->name() : "");
}

} // namespace

agent_actor::behavior_type
agent(agent_actor::stateful_pointer<agent_state> self, std::string name,
      agent_env env) {
  self->state.self = self;
  self->state.agent = std::move(name);
  self->state.env = std::move(env);
  self->state.sessions
    = session_queue<queued_turn>{self->state.env.opts.max_waiting_turns};
  return {
    // The origin first: a response promise takes the sender away.
    [self](v1::ChatRequest& req) -> caf::result<v1::ChatReply> {
      auto origin = current_origin(self);
      auto rp = self->make_response_promise<v1::ChatReply>();
      self->state.submit(std::move(req), origin, caf::actor{}, rp);
      return rp;
    },
    [self](v1::ChatRequest& req,
           caf::actor& sink) -> caf::result<v1::ChatReply> {
      auto origin = current_origin(self);
      auto rp = self->make_response_promise<v1::ChatReply>();
      self->state.submit(std::move(req), origin, std::move(sink), rp);
      return rp;
    },
    [self](v1::TurnCancelRequest& req) -> caf::result<v1::TurnCancelResponse> {
      auto done = self->state.cancel(std::move(req), current_origin(self));
      if (!done)
        return std::move(done.error());
      return std::move(*done);
    },
    [self](v1::QuestionAskRequest& req) -> caf::result<v1::Question> {
      return ask_question(self, std::move(*req.mutable_question()));
    },
    [self](
      v1::QuestionListRequest& req) -> caf::result<v1::QuestionListResponse> {
      settle_caller(req, current_origin(self));
      v1::QuestionListResponse resp;
      for (auto& q :
           self->state.questions.pending(req.session_id(), req.caller()))
        *resp.add_questions() = std::move(q);
      return resp;
    },
    [self](v1::QuestionAnswerRequest& req) -> caf::result<v1::Question> {
      settle_caller(req, current_origin(self));
      auto q = self->state.questions.answer(req.question_id(), req.action(),
                                            req.content_json(), req.caller());
      if (!q)
        return std::move(q.error());
      settle_questions(self, {*q});
      return std::move(*q);
    },
    [self](v1::ToolProgress& progress) {
      auto& running = self->state.running;
      auto i = running.find(progress.turn_id());
      auto t = i == running.end() ? nullptr : i->second.lock();
      if (!t || t->done || !t->sink)
        return;
      v1::ChatDelta delta;
      *delta.mutable_progress() = std::move(progress);
      caf::anon_send(t->sink, std::move(delta));
    },
    [self](atom::deadline) { self->state.deadlines.on_timer(self); },
    [self](atom::tick) {
      auto now = unix_now_ms();
      auto& armed = self->state.question_timer_ms;
      if (armed && *armed <= now)
        armed.reset();
      settle_questions(self, self->state.questions.expire(now));
      arm_question_timer(self);
    },
  };
}

} // namespace bsm::agents
