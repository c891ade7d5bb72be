// How a run_engine starts its steps: a step's order (its task or child
// run), its `when`, its timer or approval, and a map's items.

#include "workflows/run_engine.hpp"

#include "bsm/v1/agents.pb.h"
#include "runtime/error.hpp"
#include "workflows/run_engine_detail.hpp"
#include "workflows/workflow_expression.hpp"
#include "workflows/workflow_time.hpp"

namespace bsm::workflows {

using nlohmann::json;

// -- starting steps -----------------------------------------------------------

namespace {

// The task of an agent, tool or message step, all but a message's payload
// (which needs the type registry: the order carries it as JSON).
v1::TaskSubmitRequest task_of(const v1::RunRecord& run, const std::string& id,
                              const step_definition& def) {
  v1::TaskSubmitRequest req;
  auto* spec = req.mutable_spec();
  spec->set_idempotency_key("wf:" + run.run_id() + ":" + id);
  spec->set_notify(run_engine::notify_path);
  (*spec->mutable_labels())["run"] = run.run_id();
  (*spec->mutable_labels())["step"] = id;
  spec->set_max_attempts(def.max_attempts);
  spec->set_backoff_initial_ms(
    static_cast<uint32_t>(def.backoff.initial.count()));
  spec->set_backoff_max_ms(static_cast<uint32_t>(def.backoff.max.count()));
  spec->set_timeout_ms(static_cast<uint32_t>(def.timeout.count()));
  *req.mutable_caller() = run.started_by();
  return req;
}

} // namespace

// The order that runs an agent, tool or message step (its task) or a
// workflow step (its child run), rendered in `ctx`. Errors name the field.
caf::expected<run_order> run_engine::work_order(const std::string& id,
                                                const step_definition& def,
                                                const json& ctx) const {
  auto field_error = [](const char* field, const caf::error& err) {
    return make_error(errc::invalid_argument,
                      std::string{field} + ": " + render(err));
  };
  run_order order;
  order.step_id = id;
  if (const auto* a = std::get_if<agent_step>(&def.body)) {
    auto input = render_text(a->input, ctx);
    if (!input)
      return field_error("input", input.error());
    auto session = render_text(a->session, ctx);
    if (!session)
      return field_error("session", session.error());
    order.what = run_order::kind::submit_task;
    order.task = task_of(run_, id, def);
    order.task.mutable_spec()->set_agent(a->agent);
    order.task.mutable_spec()->set_input(as_text(*input));
    order.task.mutable_spec()->set_session_id(as_text(*session));
  } else if (const auto* t = std::get_if<tool_step>(&def.body)) {
    auto args = render_value(t->arguments, ctx);
    if (!args)
      return field_error("arguments", args.error());
    v1::ToolCallRequest call;
    call.set_name(t->tool);
    call.set_arguments_json(args->dump());
    call.set_idempotency_key("wf:" + run_.run_id() + ":" + id);
    call.set_timeout_ms(static_cast<uint32_t>(def.timeout.count()));
    order.what = run_order::kind::submit_task;
    order.task = task_of(run_, id, def);
    order.task.mutable_spec()->set_actor("tools");
    order.task.mutable_spec()->set_type_name("bsm.v1.ToolCallRequest");
    order.task.mutable_spec()->set_payload(call.SerializeAsString());
  } else if (const auto* m = std::get_if<message_step>(&def.body)) {
    auto payload = render_value(m->payload, ctx);
    if (!payload)
      return field_error("payload", payload.error());
    order.what = run_order::kind::submit_task;
    order.task = task_of(run_, id, def);
    order.task.mutable_spec()->set_actor(m->actor);
    order.task.mutable_spec()->set_type_name(m->type);
    order.input = std::move(*payload);
  } else if (const auto* w = std::get_if<workflow_step>(&def.body)) {
    auto input = render_value(w->input, ctx);
    if (!input)
      return field_error("input", input.error());
    order.what = run_order::kind::start_child;
    order.id = run_.run_id() + "." + id;
    order.workflow = w->workflow;
    order.input = std::move(*input);
  } else {
    return make_error(errc::internal, "step '" + id + "' runs no task");
  }
  return order;
}

void run_engine::start(const std::string& id, const step_definition& def,
                       const json* item, int64_t now) {
  auto& rec = record(id);
  touch(id);
  rec.set_started_unix_ms(now);
  auto ctx = context(item);
  auto fail = [&](const std::string& why) {
    finish(id, v1::STEP_STATE_FAILED, nullptr, why, now);
  };
  if (!def.when.empty()) {
    auto cond = parse_expression(def.when);
    if (!cond)
      return fail("when: " + render(cond.error()));
    if (!cond->holds(ctx))
      return finish(id, v1::STEP_STATE_SKIPPED, nullptr, {}, now);
  }
  if (const auto* s = std::get_if<sleep_step>(&def.body)) {
    int64_t wake = now;
    if (s->duration) {
      wake = now + s->duration->count();
    } else {
      auto until = render_text(s->until, ctx);
      if (!until)
        return fail("until: " + render(until.error()));
      auto at = parse_rfc3339(as_text(*until));
      if (!at)
        return fail("until: '" + as_text(*until).substr(0, 64)
                    + "' is not an RFC 3339 time");
      wake = at->time_since_epoch().count();
    }
    rec.set_state(v1::STEP_STATE_WAITING);
    rec.set_wake_unix_ms(std::max(wake, now));
    return order_wake(rec);
  }
  if (const auto* ap = std::get_if<approval_step>(&def.body)) {
    auto prompt = render_text(ap->prompt, ctx);
    if (!prompt)
      return fail("prompt: " + render(prompt.error()));
    rec.set_state(v1::STEP_STATE_WAITING);
    rec.set_output_json(json{{"prompt", as_text(*prompt)}}.dump());
    if (def.timeout.count() > 0) {
      rec.set_wake_unix_ms(now + def.timeout.count());
      order_wake(rec);
    }
    return; // without a timeout it waits for its signal only
  }
  if (const auto* m = std::get_if<map_step>(&def.body))
    return start_map(id, *m, now);
  auto order = work_order(id, def, ctx);
  if (!order)
    return fail(render(order.error()));
  rec.set_state(v1::STEP_STATE_RUNNING);
  if (order->what == run_order::kind::start_child)
    rec.set_child_run_id(order->id);
  orders_.push_back(std::move(*order));
}

const map_step* run_engine::map_of(const std::string& id) const {
  for (const auto& s : def_->steps)
    if (s.id == id)
      return std::get_if<map_step>(&s.body);
  return nullptr;
}

void run_engine::start_map(const std::string& id, const map_step& m,
                           int64_t now) {
  json over = m.over;
  if (over.is_string()) {
    auto value = render_text(over.get<std::string>(), context());
    if (!value)
      return finish(id, v1::STEP_STATE_FAILED, nullptr,
                    "over: " + render(value.error()), now);
    over = std::move(*value);
  }
  if (!over.is_array())
    return finish(id, v1::STEP_STATE_FAILED, nullptr,
                  std::string{"over: not a list but "} + over.type_name(), now);
  if (over.size() > limits_.max_map_items)
    return finish(id, v1::STEP_STATE_FAILED, nullptr,
                  "over: " + std::to_string(over.size()) + " items, at most "
                    + std::to_string(limits_.max_map_items),
                  now);
  auto& rec = record(id);
  rec.set_state(v1::STEP_STATE_RUNNING);
  // The items stay in the map's record until it ends: after a restart the
  // rest start from there.
  rec.set_output_json(json{{"items", over}}.dump());
  for (size_t n = 0; n < over.size(); ++n) {
    record(item_id(id, n));
    touch(item_id(id, n));
  }
  maps_[id] = map_cursor{std::move(over), 0, 0, {}};
  pump_map(id, now);
}

// The cursor of a running map, read from its records once (after a load).
run_engine::map_cursor& run_engine::cursor(const std::string& id) {
  auto i = maps_.find(id);
  if (i != maps_.end())
    return i->second;
  map_cursor c;
  c.items
    = parse_or_null(record(id).output_json()).value("items", json::array());
  c.next = c.items.size();
  for (size_t n = 0; n < c.items.size(); ++n) {
    const auto& item = record(item_id(id, n));
    if (item.state() == v1::STEP_STATE_PENDING) {
      c.next = std::min(c.next, n);
      continue;
    }
    if (is_active(item.state()))
      ++c.active;
    if ((item.state() == v1::STEP_STATE_FAILED
         || item.state() == v1::STEP_STATE_CANCELLED)
        && c.failed.empty())
      c.failed = item.step_id();
  }
  return maps_.emplace(id, std::move(c)).first->second;
}

// Starts items up to the parallelism (none after a failed one); ends the
// map once every started item ended.
void run_engine::pump_map(const std::string& id, int64_t now) {
  const auto* m = map_of(id);
  if (m == nullptr || record(id).state() != v1::STEP_STATE_RUNNING)
    return;
  auto& c = cursor(id);
  pumping_ = true;
  while (c.failed.empty() && c.active < m->parallelism
         && c.next < c.items.size()) {
    auto n = c.next++;
    auto item = item_id(id, n);
    start(item, *m->step, &c.items[n], now);
    auto state = record(item).state();
    if (is_active(state))
      ++c.active;
    else if (state == v1::STEP_STATE_FAILED)
      c.failed = item;
  }
  pumping_ = false;
  if (c.active > 0 || (c.failed.empty() && c.next < c.items.size()))
    return;
  auto size = c.items.size();
  auto failed = c.failed;
  maps_.erase(id);
  if (!failed.empty()) {
    for (size_t n = 0; n < size; ++n)
      if (record(item_id(id, n)).state() == v1::STEP_STATE_PENDING)
        finish(item_id(id, n), v1::STEP_STATE_SKIPPED, nullptr,
               "not started: item " + failed + " failed", now);
    return finish(id, v1::STEP_STATE_FAILED, nullptr,
                  "item " + failed + ": " + record(failed).error(), now);
  }
  json outputs = json::array();
  for (size_t n = 0; n < size; ++n)
    outputs.push_back(parse_or_null(record(item_id(id, n)).output_json()));
  finish(id, v1::STEP_STATE_SUCCEEDED, std::move(outputs), {}, now);
}

} // namespace bsm::workflows
