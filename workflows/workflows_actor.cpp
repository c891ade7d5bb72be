#include "workflows/workflows_actor.hpp"

#include <algorithm>
#include <iterator>
#include <random>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <nlohmann/json.hpp>

#include "actors/event_publish.hpp"
#include "actors/member_fanout.hpp"
#include "runtime/clock.hpp"
#include "runtime/error.hpp"
#include "runtime/messages/handled_types.hpp"
#include "runtime/security/permission.hpp"
#include "tasks/task_lifecycle.hpp"
#include "tasks/tasks_actor.hpp"
#include "workflows/workflow_keys.hpp"
#include "workflows/workflow_version.hpp"
#include "workflows/workflows_actor_detail.hpp"

namespace bsm::workflows {

namespace detail {

using nlohmann::json;

spdlog::logger& log_of(self_pointer self) {
  return *self->state.env.log;
}

void publish(self_pointer self, std::string topic,
             const std::function<json()>& data) {
  const auto& env = self->state.env;
  publish_event(self, *env.calls.names, env.topics.get(), std::move(topic),
                workflows_path, [&data] {
                  return data().dump(-1, ' ', false,
                                     json::error_handler_t::replace);
                });
}

void write(self_pointer self, store_writer::batch_fill fill, then_fn then) {
  auto& st = self->state;
  st.writes.submit(*st.env.writer, caf::actor_cast<workflows_actor>(self),
                   std::move(fill), std::move(then));
}

} // namespace detail

namespace {

using detail::get_workflow;
using detail::list_workflows;
using detail::log_of;
using detail::publish;
using detail::put_workflow;
using detail::self_pointer;
using detail::store_version;
using detail::then_fn;
using detail::version_of;
using detail::write;
using nlohmann::json;

// Asks of the tasks actor on this node.
constexpr std::chrono::milliseconds task_ask_timeout{10'000};
// A submit the queue refused for now is tried again this much later.
constexpr int64_t resubmit_wait_ms = 1'000;
// Asks of the members for a run this node does not hold.
constexpr std::chrono::milliseconds member_ask_timeout{3'000};

void apply(self_pointer self, const std::string& run_id, run_change change,
           then_fn written = {});
void arm(self_pointer self);

run_engine* engine_of(self_pointer self, const std::string& run_id) {
  auto i = self->state.runs.find(run_id);
  return i == self->state.runs.end() ? nullptr : i->second.get();
}

// -- events -------------------------------------------------------------------

void count_change(self_pointer self, const v1::RunRecord& run,
                  const run_change& change) {
  const auto* m = self->state.env.metrics.get();
  if (m == nullptr)
    return;
  for (const auto& s : change.steps)
    m->steps->with({step_state_name(s.state())}).inc();
  if (change.run_changed && run.state() != v1::RUN_STATE_RUNNING)
    m->runs->with({run_state_name(run.state())}).inc();
  m->running->set(static_cast<double>(self->state.runs.size()));
}

void publish_change(self_pointer self, const v1::RunRecord& run,
                    const run_change& change) {
  count_change(self, run, change);
  for (const auto& s : change.steps)
    publish(
      self, std::string{"workflow.step."} + step_state_name(s.state()), [&] {
        return json{
          {"run_id", s.run_id()},     {"workflow", run.workflow()},
          {"step", s.step_id()},      {"state", step_state_name(s.state())},
          {"attempts", s.attempts()}, {"error", s.error()}};
      });
  if (change.run_changed && run.state() != v1::RUN_STATE_RUNNING)
    publish(self, std::string{"workflow.run."} + run_state_name(run.state()),
            [&] {
              return json{{"run_id", run.run_id()},
                          {"workflow", run.workflow()},
                          {"state", run_state_name(run.state())},
                          {"error", run.error()}};
            });
}

// -- writing ------------------------------------------------------------------

store_writer::batch_fill fill_of(const store* db, const v1::RunRecord* run,
                                 const std::vector<v1::StepRecord>& steps) {
  std::optional<v1::RunRecord> copy;
  if (run != nullptr)
    copy = *run;
  return [db, copy, steps](rocksdb::WriteBatch& batch) {
    for (const auto& s : steps)
      if (auto st = put_step(batch, *db, s); !st.ok())
        return st;
    return copy ? put_run(batch, *db, *copy) : rocksdb::Status::OK();
  };
}

// -- orders -------------------------------------------------------------------

std::optional<tasks_actor> tasks_of(self_pointer self) {
  auto tasks = self->state.env.calls.names->get(tasks_path);
  if (!tasks)
    return std::nullopt;
  return caf::actor_cast<tasks_actor>(*tasks);
}

bool try_again_later(const caf::error& err) {
  return is(err, errc::unavailable) || is(err, errc::resource_exhausted)
         || err.category() != errc_category;
}

void start_child(self_pointer self, const v1::RunRecord& parent,
                 const run_order& order);
void cancel_run(self_pointer self, const std::string& run_id, int64_t now);

void submit(self_pointer self, const std::string& run_id, run_order order) {
  auto& env = self->state.env;
  auto* engine = engine_of(self, run_id);
  if (engine == nullptr)
    return;
  auto now = unix_now_ms();
  if (!order.input.is_null()) {
    // A message step's payload: its JSON mapping as the type's bytes.
    auto bytes = env.calls.types->json_to_binary(order.task.spec().type_name(),
                                                 order.input.dump());
    if (!bytes)
      return apply(self, run_id,
                   engine->on_submit_failed(
                     order.step_id, "payload: " + render(bytes.error()), now));
    order.task.mutable_spec()->set_payload(std::move(*bytes));
  }
  auto tasks = tasks_of(self);
  if (!tasks) {
    self->state.retries.emplace_back(run_id, std::move(order));
    return arm(self);
  }
  auto step = order.step_id;
  self->request(*tasks, task_ask_timeout, order.task)
    .then(
      [self, run_id, step](v1::TaskSubmitResponse& resp) {
        auto* e = engine_of(self, run_id);
        if (e == nullptr)
          return;
        auto answered = unix_now_ms();
        apply(self, run_id,
              e->on_submitted(step, resp.task().task_id(), answered));
        // Found by its key after a restart, and over already.
        if (tasks::is_final(resp.task().state()))
          if (auto* again = engine_of(self, run_id))
            apply(self, run_id, again->on_task(resp.task(), answered));
      },
      [self, run_id, order](caf::error& err) {
        auto* e = engine_of(self, run_id);
        if (e == nullptr)
          return;
        if (try_again_later(err)) {
          self->state.retries.emplace_back(run_id, order);
          return arm(self);
        }
        apply(self, run_id,
              e->on_submit_failed(order.step_id, render(err), unix_now_ms()));
      });
}

void cancel_task(self_pointer self, const v1::RunRecord& run,
                 const std::string& task_id) {
  auto tasks = tasks_of(self);
  if (!tasks)
    return;
  v1::TaskCancelRequest req;
  req.set_task_id(task_id);
  *req.mutable_caller() = run.started_by();
  self->request(*tasks, task_ask_timeout, std::move(req))
    .then([](v1::TaskCancelResponse&) {},
          [self, task_id](caf::error& err) {
            // Ended meanwhile: nothing to cancel.
            log_of(self).debug("workflow: cancel of task {}: {}", task_id,
                               render(err));
          });
}

void carry_out(self_pointer self, const std::string& run_id,
               std::vector<run_order> orders) {
  for (auto& order : orders) {
    auto* engine = engine_of(self, run_id);
    if (engine == nullptr)
      return;
    switch (order.what) {
      case run_order::kind::submit_task:
        submit(self, run_id, std::move(order));
        break;
      case run_order::kind::cancel_task:
        cancel_task(self, engine->run(), order.id);
        break;
      case run_order::kind::start_child:
        start_child(self, engine->run(), order);
        break;
      case run_order::kind::cancel_child:
        cancel_run(self, order.id, unix_now_ms());
        break;
      case run_order::kind::wake_at:
        self->state.wakes.emplace(order.at, run_id);
        arm(self);
        break;
    }
  }
}

// The run ended: its parent (a workflow step) hears it, and it leaves
// memory.
void retire(self_pointer self, const std::string& run_id) {
  auto i = self->state.runs.find(run_id);
  if (i == self->state.runs.end() || !i->second->finished())
    return;
  auto run = i->second->run();
  self->state.runs.erase(i);
  if (const auto* m = self->state.env.metrics.get())
    m->running->set(static_cast<double>(self->state.runs.size()));
  if (!run.parent_run_id().empty())
    if (auto* parent = engine_of(self, run.parent_run_id()))
      apply(self, run.parent_run_id(), parent->on_child(run, unix_now_ms()));
}

// The submits among `orders`, taken out: they go with their change's
// write, not after it. A submit is durable and idempotent by its key
// itself, so a crash or a failed write in between gives the same order
// again when the run is read back (run_engine.hpp); it saves a store
// round trip per step. Not for a run whose first write is in flight.
std::vector<run_order> early_submits(self_pointer self,
                                     const std::string& run_id,
                                     std::vector<run_order>& orders) {
  std::vector<run_order> result;
  if (self->state.unstored.count(run_id) != 0)
    return result;
  auto later = std::stable_partition(
    orders.begin(), orders.end(), [](const run_order& order) {
      return order.what != run_order::kind::submit_task;
    });
  std::move(later, orders.end(), std::back_inserter(result));
  orders.erase(later, orders.end());
  return result;
}

// Writes what changed, then acts on it (submits at once, early_submits);
// `written` (if any) hears first how the write went. A write that fails
// drops the run from memory: it is loaded again from the store at the
// next tick.
void apply(self_pointer self, const std::string& run_id, run_change change,
           then_fn written) {
  if (change.empty())
    return;
  auto* engine = engine_of(self, run_id);
  if (engine == nullptr)
    return;
  auto early = early_submits(self, run_id, change.orders);
  auto run = engine->run();
  auto fill = fill_of(self->state.env.db, change.run_changed ? &run : nullptr,
                      change.steps);
  write(self, std::move(fill),
        [self, run_id, run, change = std::move(change),
         written = std::move(written)](const caf::error& err) {
          if (written)
            written(err);
          if (err) {
            log_of(self).error("workflow run {}: cannot store a change, "
                               "reloading it: {}",
                               run_id, render(err));
            self->state.runs.erase(run_id);
            self->state.wakes.emplace(unix_now_ms() + resubmit_wait_ms, run_id);
            return arm(self);
          }
          publish_change(self, run, change);
          carry_out(self, run_id, change.orders);
          retire(self, run_id);
        });
  carry_out(self, run_id, std::move(early));
}

// -- timers -------------------------------------------------------------------

void arm(self_pointer self) {
  auto& st = self->state;
  std::optional<int64_t> next;
  if (!st.wakes.empty())
    next = st.wakes.begin()->first;
  if (!st.retries.empty()) {
    auto soon = unix_now_ms() + resubmit_wait_ms;
    next = next ? std::min(*next, soon) : soon;
  }
  if (!next || (st.tick_at && *st.tick_at <= *next))
    return;
  st.tick_at = *next;
  auto wait = std::max<int64_t>(*next - unix_now_ms(), 0);
  self->delayed_send(self, std::chrono::milliseconds{wait}, atom::tick::value);
}

caf::expected<std::unique_ptr<run_engine>>
load_engine(self_pointer self, const v1::RunRecord& run,
            const std::vector<v1::StepRecord>& steps);

// Loads a running run from the store (after a restart, or a failed write).
void reload(self_pointer self, const std::string& run_id) {
  if (engine_of(self, run_id) != nullptr)
    return;
  const auto& db = *self->state.env.db;
  auto run = read_run(db, run_id);
  auto steps = run && *run ? read_steps(db, run_id)
                           : caf::expected<std::vector<v1::StepRecord>>{
                             std::vector<v1::StepRecord>{}};
  if (!run || !steps) {
    log_of(self).error("workflow run {}: cannot read it: {}", run_id,
                       render(run ? steps.error() : run.error()));
    return;
  }
  if (!*run || (*run)->state() != v1::RUN_STATE_RUNNING)
    return;
  auto engine = load_engine(self, **run, *steps);
  if (!engine) {
    log_of(self).error("workflow run {}: {}", run_id, render(engine.error()));
    return;
  }
  auto* e = engine->get();
  self->state.runs[run_id] = std::move(*engine);
  apply(self, run_id, e->advance(unix_now_ms()));
}

void on_tick(self_pointer self) {
  auto& st = self->state;
  st.tick_at.reset();
  auto now = unix_now_ms();
  std::vector<std::string> due;
  while (!st.wakes.empty() && st.wakes.begin()->first <= now) {
    due.push_back(st.wakes.begin()->second);
    st.wakes.erase(st.wakes.begin());
  }
  for (const auto& run_id : due) {
    if (auto* e = engine_of(self, run_id))
      apply(self, run_id, e->on_timer(now));
    else
      reload(self, run_id);
  }
  auto retries = std::exchange(st.retries, {});
  for (auto& [run_id, order] : retries)
    submit(self, run_id, std::move(order));
  arm(self);
}

caf::expected<std::unique_ptr<run_engine>>
load_engine(self_pointer self, const v1::RunRecord& run,
            const std::vector<v1::StepRecord>& steps) {
  // Many runs of one version load at a start: parsed, and read, once.
  auto entry = version_of(self, run.workflow(), run.version());
  if (!entry)
    return entry.error();
  return std::make_unique<run_engine>(entry->def, *entry->graph, run, steps,
                                      self->state.env.limits);
}

// -- runs ---------------------------------------------------------------------

// What the caller must be allowed to run each step's target directly.
caf::error may_run(const workflow_definition& def, const v1::Principal& who) {
  std::vector<std::string> grants(who.permissions().begin(),
                                  who.permissions().end());
  auto set = security::permission_set::parse(grants);
  if (!set)
    return make_error(errc::permission_denied, "the caller's grants do not "
                                               "parse");
  auto need = [&](const step_definition& s) -> std::string {
    if (const auto* a = std::get_if<agent_step>(&s.body))
      return "agents:" + a->agent + ":chat";
    if (std::holds_alternative<tool_step>(s.body))
      return "actors:tools:inject:bsm.v1.ToolCallRequest";
    if (const auto* m = std::get_if<message_step>(&s.body))
      return "actors:" + m->actor + ":inject:" + m->type;
    if (const auto* w = std::get_if<workflow_step>(&s.body))
      return "workflows:" + w->workflow + ":run";
    return {};
  };
  for (const auto& s : def.steps) {
    const auto* body = &s;
    if (const auto* m = std::get_if<map_step>(&s.body))
      body = m->step.get();
    auto required = need(*body);
    if (!required.empty() && !set->allows(required))
      return make_error(errc::permission_denied,
                        "step '" + s.id + "' needs " + required);
  }
  return caf::none;
}

std::string new_run_id(self_pointer self) {
  auto& env = self->state.env;
  if (!env.random) {
    env.random
      = [gen = std::make_shared<std::mt19937>(std::random_device{}())] {
          return static_cast<uint32_t>((*gen)());
        };
  }
  return make_run_id(unix_now_ms(), env.random());
}

struct start_spec {
  std::string run_id;
  std::string workflow;
  json input;
  v1::Principal caller;
  std::string parent_run_id;
  std::string parent_step;
};

// Starts a run (or finds it by id); `done` hears the record once it is on
// disk, or the error.
void start_run(self_pointer self, start_spec spec,
               std::function<void(caf::expected<v1::RunStartResponse>)> done) {
  auto& st = self->state;
  auto existing = [&](const v1::RunRecord& run) {
    if (auto err = same_run(run, spec.workflow, spec.parent_run_id))
      return done(err);
    v1::RunStartResponse resp;
    *resp.mutable_run() = run;
    resp.set_existed(true);
    done(std::move(resp));
  };
  if (auto* e = engine_of(self, spec.run_id))
    return existing(e->run());
  auto found = read_run(*st.env.db, spec.run_id);
  if (!found)
    return done(found.error());
  if (*found)
    return existing(**found);
  auto v = read_version(*st.env.db, spec.workflow);
  if (!v)
    return done(v.error());
  if (!*v)
    return done(make_error(
      errc::not_found, "no workflow '" + spec.workflow.substr(0, 64) + "'"));
  auto entry = version_of(self, **v);
  if (!entry)
    return done(entry.error());
  if (auto err = may_run(*entry->def, spec.caller))
    return done(err);
  if (st.runs.size() >= st.env.max_running)
    return done(make_error(errc::resource_exhausted,
                           std::to_string(st.env.max_running)
                             + " runs are running on this node"));
  auto now = unix_now_ms();
  v1::RunRecord run;
  run.set_run_id(spec.run_id);
  run.set_workflow(spec.workflow);
  run.set_version((*v)->version());
  run.set_state(v1::RUN_STATE_RUNNING);
  run.set_input_json(spec.input.dump());
  run.set_created_unix_ms(now);
  run.set_updated_unix_ms(now);
  *run.mutable_started_by() = spec.caller;
  run.set_node(st.env.node_name);
  run.set_parent_run_id(spec.parent_run_id);
  run.set_parent_step(spec.parent_step);
  auto engine = std::make_unique<run_engine>(entry->def, *entry->graph, run,
                                             std::vector<v1::StepRecord>{},
                                             st.env.limits);
  auto* e = engine.get();
  st.runs[spec.run_id] = std::move(engine);
  auto change = e->advance(now);
  auto written = e->run();
  auto fill = fill_of(st.env.db, &written, change.steps);
  auto run_id = spec.run_id;
  st.unstored.insert(run_id);
  write(self, std::move(fill),
        [self, run_id, written, change = std::move(change),
         done = std::move(done)](const caf::error& err) mutable {
          self->state.unstored.erase(run_id);
          if (err) {
            self->state.runs.erase(run_id);
            return done(err);
          }
          if (const auto* m = self->state.env.metrics.get())
            m->runs->with({"running"}).inc();
          publish(self, "workflow.run.started", [&] {
            return json{{"run_id", run_id},
                        {"workflow", written.workflow()},
                        {"version", written.version()}};
          });
          v1::RunStartResponse resp;
          *resp.mutable_run() = written;
          done(std::move(resp));
          change.run_changed = written.state() != v1::RUN_STATE_RUNNING;
          publish_change(self, written, change);
          carry_out(self, run_id, change.orders);
          retire(self, run_id);
        });
}

void start_child(self_pointer self, const v1::RunRecord& parent,
                 const run_order& order) {
  start_spec spec{order.id,        order.workflow,
                  order.input,     parent.started_by(),
                  parent.run_id(), order.step_id};
  auto parent_id = parent.run_id();
  start_run(self, std::move(spec),
            [self, parent_id,
             child_id = order.id](caf::expected<v1::RunStartResponse> started) {
              auto* p = engine_of(self, parent_id);
              if (p == nullptr)
                return;
              v1::RunRecord child;
              child.set_run_id(child_id);
              if (!started) {
                child.set_state(v1::RUN_STATE_FAILED);
                child.set_error("cannot start: " + render(started.error()));
              } else if (started->run().state() == v1::RUN_STATE_RUNNING) {
                return; // its end comes through retire
              } else {
                child = started->run();
              }
              apply(self, parent_id, p->on_child(child, unix_now_ms()));
            });
}

void cancel_run(self_pointer self, const std::string& run_id, int64_t now) {
  if (auto* e = engine_of(self, run_id))
    apply(self, run_id, e->cancel(now));
}

caf::result<v1::RunGetResponse> get_run(self_pointer self,
                                        const v1::RunGetRequest& req);

// This node's miss is not the cluster's: a run lives on the node that
// started it, which answers (actors/member_fanout.hpp).
template <class Response, class Request>
caf::result<Response> from_members(self_pointer self, Request req,
                                   const std::string& run_id) {
  return answer_from_members<Response>(
    self, self->state.env.calls, workflows_path, std::move(req),
    make_error(errc::not_found, "no run '" + run_id.substr(0, 128) + "'"),
    member_ask_timeout);
}

caf::result<v1::RunGetResponse> get_run(self_pointer self,
                                        const v1::RunGetRequest& req) {
  v1::RunGetResponse resp;
  if (auto* e = engine_of(self, req.run_id())) {
    *resp.mutable_run() = e->run();
    for (auto& s : e->shown_steps())
      *resp.add_steps() = std::move(s);
    return resp;
  }
  const auto& db = *self->state.env.db;
  auto run = read_run(db, req.run_id());
  if (!run)
    return run.error();
  if (!*run)
    return from_members<v1::RunGetResponse>(self, req, req.run_id());
  auto steps = read_steps(db, req.run_id());
  if (!steps)
    return steps.error();
  *resp.mutable_run() = std::move(**run);
  for (auto& s : *steps)
    *resp.add_steps() = std::move(s);
  return resp;
}

// Answers once the change `e` gave is on disk, with `make` of the engine.
template <class Response, class Make>
caf::result<Response> answer_after(self_pointer self, const std::string& run_id,
                                   run_change change, Make make) {
  auto* e = engine_of(self, run_id);
  auto resp = make(e->run());
  if (change.empty())
    return resp;
  auto rp = self->make_response_promise<Response>();
  apply(self, run_id, std::move(change),
        [rp, resp](const caf::error& err) mutable {
          if (err)
            rp.deliver(err);
          else
            rp.deliver(resp);
        });
  return rp;
}

caf::result<v1::RunCancelResponse> cancel(self_pointer self,
                                          const v1::RunCancelRequest& req) {
  auto* e = engine_of(self, req.run_id());
  if (e == nullptr) {
    auto run = read_run(*self->state.env.db, req.run_id());
    if (!run)
      return run.error();
    if (!*run)
      return from_members<v1::RunCancelResponse>(self, req, req.run_id());
    return make_error(errc::failed_precondition,
                      "run '" + req.run_id() + "' is "
                        + run_state_name((*run)->state()));
  }
  auto change = e->cancel(unix_now_ms());
  return answer_after<v1::RunCancelResponse>(
    self, req.run_id(), std::move(change), [](const v1::RunRecord& run) {
      v1::RunCancelResponse resp;
      *resp.mutable_run() = run;
      return resp;
    });
}

caf::result<v1::RunSignalResponse> signal(self_pointer self,
                                          const v1::RunSignalRequest& req) {
  auto payload = json::parse(
    req.payload_json().empty() ? "{}" : req.payload_json(), nullptr, false);
  if (payload.is_discarded() || !payload.is_object())
    return make_field_error(errc::invalid_argument, "payload",
                            "payload: expected a JSON object");
  auto* e = engine_of(self, req.run_id());
  if (e == nullptr) {
    // A finished run: the same signal again is still the same.
    auto run = read_run(*self->state.env.db, req.run_id());
    if (!run)
      return run.error();
    if (!*run)
      return from_members<v1::RunSignalResponse>(self, req, req.run_id());
    auto steps = read_steps(*self->state.env.db, req.run_id());
    if (!steps)
      return steps.error();
    for (const auto& s : *steps) {
      if (s.step_id() != req.name())
        continue;
      auto before = json::parse(s.signal_json(), nullptr, false);
      if (!s.signal().empty() && before.is_object()
          && before.value("decision", "") == payload.value("decision", "")) {
        v1::RunSignalResponse resp;
        *resp.mutable_run() = **run;
        resp.set_existed(true);
        return resp;
      }
      return make_error(errc::failed_precondition,
                        "run '" + req.run_id() + "' is "
                          + run_state_name((*run)->state()));
    }
    return make_error(errc::not_found, "run " + req.run_id()
                                         + " has no approval step '"
                                         + req.name().substr(0, 64) + "'");
  }
  bool existed = false;
  auto change = e->on_signal(req.name(), payload, unix_now_ms(), existed);
  if (!change)
    return change.error();
  return answer_after<v1::RunSignalResponse>(
    self, req.run_id(), std::move(*change),
    [existed](const v1::RunRecord& run) {
      v1::RunSignalResponse resp;
      *resp.mutable_run() = run;
      resp.set_existed(existed);
      return resp;
    });
}

// Every running run of this node, loaded and given its orders again.
void recover(self_pointer self) {
  auto running = read_running(*self->state.env.db);
  if (!running) {
    log_of(self).error("cannot read the running workflow runs: {}",
                       render(running.error()));
    self->quit(running.error());
    return;
  }
  for (const auto& run_id : *running)
    reload(self, run_id);
  if (!running->empty())
    log_of(self).info("workflows: resumed {} running runs", running->size());
}

} // namespace

workflows_actor::behavior_type
workflows_service(workflows_actor::stateful_pointer<workflows_state> self,
                  workflows_env env) {
  self->state.env = std::move(env);
  v1::Principal files;
  files.set_name("local");
  files.set_kind("local");
  for (const auto& def : self->state.env.initial)
    store_version(
      self, def, files,
      [self, name = def.name](caf::expected<v1::WorkflowPutResponse> resp) {
        if (!resp)
          log_of(self).error("workflow {}: cannot store it: {}", name,
                             render(resp.error()));
      });
  recover(self);
  return {
    [self](v1::WorkflowPutRequest& req) { return put_workflow(self, req); },
    [self](const v1::WorkflowGetRequest& req) {
      return get_workflow(self, req);
    },
    [self](const v1::WorkflowListRequest&) { return list_workflows(self); },
    [self](v1::RunStartRequest& req) -> caf::result<v1::RunStartResponse> {
      if (!req.run_id().empty() && !valid_run_id(req.run_id()))
        return make_field_error(errc::invalid_argument, "run_id",
                                "run_id: [A-Za-z0-9._-], 1..128");
      if (req.input_json().size() > self->state.env.max_body_bytes)
        return make_field_error(
          errc::invalid_argument, "input",
          "input: larger than " + std::to_string(self->state.env.max_body_bytes)
            + " bytes");
      auto input = json::parse(
        req.input_json().empty() ? "{}" : req.input_json(), nullptr, false);
      if (input.is_discarded())
        return make_field_error(errc::invalid_argument, "input",
                                "input: not JSON");
      start_spec spec{req.run_id().empty() ? new_run_id(self) : req.run_id(),
                      req.workflow(),
                      std::move(input),
                      req.caller(),
                      {},
                      {}};
      auto rp = self->make_response_promise<v1::RunStartResponse>();
      start_run(self, std::move(spec), detail::deliver_to(rp));
      return rp;
    },
    [self](const v1::RunGetRequest& req) { return get_run(self, req); },
    [self](const v1::RunListRequest& req) -> caf::result<v1::RunListResponse> {
      run_query q;
      q.workflow = req.workflow();
      q.state = req.state();
      q.limit
        = std::clamp<uint32_t>(req.limit() == 0 ? 100 : req.limit(), 1, 1000);
      q.after = req.after();
      auto page = list_runs(*self->state.env.db, q);
      if (!page)
        return page.error();
      return std::move(*page);
    },
    [self](const v1::RunCancelRequest& req) { return cancel(self, req); },
    [self](const v1::RunSignalRequest& req) { return signal(self, req); },
    [self](const v1::TaskFinished& msg) {
      const auto& labels = msg.task().spec().labels();
      auto run = labels.find("run");
      if (run == labels.end())
        return;
      if (auto* e = engine_of(self, run->second))
        apply(self, run->second, e->on_task(msg.task(), unix_now_ms()));
    },
    [self](atom::applied, uint64_t token, const caf::error& err) {
      self->state.writes.complete(token, err);
    },
    [self](atom::tick) { on_tick(self); },
  };
}

child_spec workflows_child(workflows_env env,
                           std::chrono::milliseconds shutdown_timeout) {
  child_spec spec;
  spec.name = workflows_path;
  spec.handles = handled_types<workflows_actor>();
  spec.shutdown_timeout = shutdown_timeout;
  spec.start
    = [env = std::move(env)](caf::actor_system& sys,
                             const std::string&) -> caf::expected<caf::actor> {
    // Detached: its store reads block its own thread only.
    return caf::actor_cast<caf::actor>(
      sys.spawn<caf::detached>(workflows_service, env));
  };
  return spec;
}

} // namespace bsm::workflows
