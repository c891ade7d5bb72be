#include "workflows/run_engine.hpp"

#include <algorithm>
#include <utility>

#include "bsm/v1/agents.pb.h"
#include "runtime/error.hpp"
#include "workflows/run_engine_detail.hpp"
#include "workflows/workflow_expression.hpp"
#include "workflows/workflow_time.hpp"

namespace bsm::workflows {

namespace detail {

using nlohmann::json;

bool is_active(v1::StepState x) {
  return x == v1::STEP_STATE_RUNNING || x == v1::STEP_STATE_WAITING;
}

bool is_over(v1::StepState x) {
  return x == v1::STEP_STATE_SUCCEEDED || x == v1::STEP_STATE_FAILED
         || x == v1::STEP_STATE_SKIPPED || x == v1::STEP_STATE_CANCELLED;
}

step_state graph_state(v1::StepState x) {
  switch (x) {
    case v1::STEP_STATE_RUNNING:
    case v1::STEP_STATE_WAITING: return step_state::running;
    case v1::STEP_STATE_SUCCEEDED: return step_state::succeeded;
    case v1::STEP_STATE_FAILED: return step_state::failed;
    case v1::STEP_STATE_SKIPPED: return step_state::skipped;
    case v1::STEP_STATE_CANCELLED: return step_state::cancelled;
    default: return step_state::pending;
  }
}

json parse_or_null(const std::string& text) {
  if (text.empty())
    return nullptr;
  auto x = json::parse(text, nullptr, false);
  return x.is_discarded() ? json{} : x;
}

// JSON when `text` is a JSON object or array, else the text itself.
json json_or_text(const std::string& text) {
  auto x = json::parse(text, nullptr, false);
  if (!x.is_discarded() && (x.is_object() || x.is_array()))
    return x;
  return text;
}

std::string as_text(const json& x) {
  return x.is_string() ? x.get<std::string>() : (x.is_null() ? "" : x.dump());
}

// "<id>[<n>]" -> {id, n}; nothing for a top-level id.
std::optional<std::pair<std::string, size_t>>
split_item(const std::string& id) {
  auto open = id.find('[');
  if (open == std::string::npos || id.back() != ']')
    return std::nullopt;
  return std::make_pair(
    id.substr(0, open),
    static_cast<size_t>(std::stoul(id.substr(open + 1, id.size() - open - 2))));
}

std::string item_id(const std::string& map_id, size_t n) {
  return map_id + "[" + std::to_string(n) + "]";
}

caf::expected<json> render_text(const std::string& text, const json& ctx) {
  auto t = parse_template(text);
  if (!t)
    return t.error();
  return t->render(ctx);
}

caf::expected<json> render_value(const json& value, const json& ctx) {
  auto t = parse_value_template(value);
  if (!t)
    return t.error();
  return t->render(ctx);
}

} // namespace detail

using nlohmann::json;

// -- names --------------------------------------------------------------------

const char* run_state_name(v1::RunState x) {
  switch (x) {
    case v1::RUN_STATE_RUNNING: return "running";
    case v1::RUN_STATE_SUCCEEDED: return "succeeded";
    case v1::RUN_STATE_FAILED: return "failed";
    case v1::RUN_STATE_CANCELLED: return "cancelled";
    default: return "unspecified";
  }
}

const char* step_state_name(v1::StepState x) {
  switch (x) {
    case v1::STEP_STATE_PENDING: return "pending";
    case v1::STEP_STATE_RUNNING: return "running";
    case v1::STEP_STATE_WAITING: return "waiting";
    case v1::STEP_STATE_SUCCEEDED: return "succeeded";
    case v1::STEP_STATE_FAILED: return "failed";
    case v1::STEP_STATE_SKIPPED: return "skipped";
    case v1::STEP_STATE_CANCELLED: return "cancelled";
    default: return "unspecified";
  }
}

json output_of_task(const v1::TaskRecord& task) {
  if (!task.spec().agent().empty())
    return json_or_text(task.result());
  auto reply = parse_or_null(task.result());
  if (task.spec().type_name() == "bsm.v1.ToolCallRequest" && reply.is_object())
    return json_or_text(reply.value("content", ""));
  return reply;
}

caf::error same_run(const v1::RunRecord& existing, const std::string& workflow,
                    const std::string& parent_run_id) {
  auto taken = [&](const std::string& what) {
    return make_error(errc::already_exists,
                      "run '" + existing.run_id() + "' is " + what);
  };
  if (existing.workflow() != workflow)
    return taken("a run of workflow '" + existing.workflow() + "'");
  if (existing.parent_run_id() != parent_run_id)
    return existing.parent_run_id().empty()
             ? taken("not a child run")
             : taken("a child run of '" + existing.parent_run_id() + "'");
  return {};
}

// -- construction -------------------------------------------------------------

run_engine::run_engine(std::shared_ptr<const workflow_definition> def,
                       workflow_graph graph, v1::RunRecord run,
                       const std::vector<v1::StepRecord>& steps,
                       engine_limits limits)
  : def_(std::move(def)), graph_(std::move(graph)), run_(std::move(run)),
    limits_(limits) {
  for (const auto& s : steps)
    steps_[s.step_id()] = s;
}

std::vector<v1::StepRecord> run_engine::shown_steps() const {
  auto all = steps_;
  for (const auto& id : graph_.order()) {
    auto [i, added] = all.try_emplace(id);
    if (added) {
      i->second.set_run_id(run_.run_id());
      i->second.set_step_id(id);
      i->second.set_state(v1::STEP_STATE_PENDING);
    }
  }
  std::vector<v1::StepRecord> out;
  out.reserve(all.size());
  for (auto& [id, s] : all)
    out.push_back(std::move(s));
  return out;
}

bool run_engine::finished() const noexcept {
  return run_.state() != v1::RUN_STATE_RUNNING;
}

std::optional<int64_t> run_engine::next_wake() const {
  std::optional<int64_t> result;
  for (const auto& [id, s] : steps_)
    if (s.state() == v1::STEP_STATE_WAITING && s.wake_unix_ms() > 0
        && (!result || s.wake_unix_ms() < *result))
      result = s.wake_unix_ms();
  return result;
}

// -- bookkeeping --------------------------------------------------------------

v1::StepRecord& run_engine::record(const std::string& id) {
  auto [i, added] = steps_.try_emplace(id);
  if (added) {
    i->second.set_run_id(run_.run_id());
    i->second.set_step_id(id);
    i->second.set_state(v1::STEP_STATE_PENDING);
  }
  return i->second;
}

void run_engine::touch(const std::string& id) {
  dirty_.insert(id);
}

void run_engine::touch_run(int64_t now) {
  run_.set_updated_unix_ms(now);
  run_dirty_ = true;
}

run_change run_engine::collect() {
  run_change result;
  for (const auto& id : dirty_)
    result.steps.push_back(steps_.at(id));
  dirty_.clear();
  result.run_changed = std::exchange(run_dirty_, false);
  result.orders = std::exchange(orders_, {});
  return result;
}

json run_engine::context(const json* item) const {
  json steps = json::object();
  for (const auto& [id, s] : steps_) {
    if (split_item(id))
      continue;
    // A step still running has no output yet (a running map keeps its
    // items there, not read here).
    steps[id]
      = {{"output",
          is_active(s.state()) ? json{} : parse_or_null(s.output_json())},
         {"state", step_state_name(s.state())},
         {"error", s.error()},
         {"attempts", s.attempts()}};
  }
  json ctx{{"input", parse_or_null(run_.input_json())},
           {"steps", std::move(steps)}};
  if (item != nullptr)
    ctx["item"] = *item;
  return ctx;
}

step_states run_engine::top_states() const {
  step_states result;
  for (const auto& id : graph_.order())
    if (auto i = steps_.find(id); i != steps_.end())
      result[id] = graph_state(i->second.state());
  return result;
}

const step_definition* run_engine::step_def(const std::string& id) const {
  auto top = split_item(id);
  const auto& name = top ? top->first : id;
  for (const auto& s : def_->steps)
    if (s.id == name) {
      if (!top)
        return &s;
      if (const auto* m = std::get_if<map_step>(&s.body))
        return m->step.get();
      return nullptr;
    }
  return nullptr;
}

// -- ending steps -------------------------------------------------------------

void run_engine::finish(const std::string& id, v1::StepState state, json output,
                        std::string error, int64_t now) {
  auto& rec = record(id);
  touch(id);
  auto text = output.is_null() ? std::string{} : output.dump();
  if (text.size() > limits_.max_output_bytes) {
    state = v1::STEP_STATE_FAILED;
    error = "output: " + std::to_string(text.size()) + " bytes, at most "
            + std::to_string(limits_.max_output_bytes);
    text.clear();
  }
  rec.set_state(state);
  rec.set_output_json(text);
  rec.set_error(std::move(error));
  rec.set_finished_unix_ms(now);
  rec.set_wake_unix_ms(0);
  if (auto item = split_item(id)) {
    // Counted by pump_map when it ends within its start, else here.
    auto c = maps_.find(item->first);
    if (pumping_ || c == maps_.end())
      return;
    if (c->second.active > 0)
      --c->second.active;
    if ((state == v1::STEP_STATE_FAILED || state == v1::STEP_STATE_CANCELLED)
        && c->second.failed.empty())
      c->second.failed = id;
    if (state != v1::STEP_STATE_SKIPPED)
      pump_map(item->first, now);
    return;
  }
  const auto* def = step_def(id);
  if (state == v1::STEP_STATE_FAILED && def != nullptr
      && def->on_failure != failure_policy::continue_run
      && !graph_.is_compensation(id))
    halt_siblings(id, now);
}

// A step failed the run: the others that run are cancelled (compensations
// start through the graph).
void run_engine::halt_siblings(const std::string& failed, int64_t now) {
  for (auto& [id, rec] : steps_)
    if (id != failed && is_active(rec.state())
        && !graph_.is_compensation(split_item(id) ? split_item(id)->first : id))
      cancel_step(rec, "cancelled: step '" + failed + "' failed", now);
}

void run_engine::order_wake(const v1::StepRecord& rec) {
  run_order order;
  order.what = run_order::kind::wake_at;
  order.step_id = rec.step_id();
  order.at = rec.wake_unix_ms();
  orders_.push_back(std::move(order));
}

void run_engine::cancel_step(v1::StepRecord& rec, const std::string& why,
                             int64_t now) {
  if (!is_active(rec.state()))
    return;
  run_order order;
  order.step_id = rec.step_id();
  if (!rec.task_id().empty()) {
    order.what = run_order::kind::cancel_task;
    order.id = rec.task_id();
    orders_.push_back(order);
  } else if (!rec.child_run_id().empty()) {
    order.what = run_order::kind::cancel_child;
    order.id = rec.child_run_id();
    orders_.push_back(order);
  }
  rec.set_state(v1::STEP_STATE_CANCELLED);
  rec.set_error(why);
  rec.set_finished_unix_ms(now);
  rec.set_wake_unix_ms(0);
  touch(rec.step_id());
}

void run_engine::end_run(int64_t now) {
  const v1::StepRecord* failed = nullptr;
  for (const auto& id : graph_.order()) {
    auto& rec = record(id);
    if (rec.state() == v1::STEP_STATE_PENDING) {
      rec.set_state(v1::STEP_STATE_SKIPPED);
      rec.set_error("not started");
      touch(id);
    }
    const auto* def = step_def(id);
    if (!failed && rec.state() == v1::STEP_STATE_FAILED && def != nullptr
        && def->on_failure != failure_policy::continue_run
        && !graph_.is_compensation(id))
      failed = &rec;
  }
  if (failed) {
    run_.set_state(v1::RUN_STATE_FAILED);
    run_.set_error("step '" + failed->step_id() + "': " + failed->error());
  } else {
    auto ctx = context();
    json output;
    if (def_->output.is_null()) {
      output = json::object();
      for (const auto& [id, s] : ctx["steps"].items())
        if (s["state"] == "succeeded")
          output[id] = s["output"];
    } else if (auto rendered = render_value(def_->output, ctx)) {
      output = std::move(*rendered);
    } else {
      run_.set_state(v1::RUN_STATE_FAILED);
      run_.set_error("output: " + render(rendered.error()));
      return touch_run(now);
    }
    run_.set_state(v1::RUN_STATE_SUCCEEDED);
    run_.set_output_json(output.dump());
  }
  touch_run(now);
}

// -- events -------------------------------------------------------------------

// A step running when the run was loaded: its orders again (the task's
// key and the child's id make them find what the first ones made).
void run_engine::reissue(const std::string& id, const v1::StepRecord& rec) {
  const auto* def = step_def(id);
  if (def == nullptr)
    return;
  if (rec.state() == v1::STEP_STATE_WAITING) {
    if (rec.wake_unix_ms() > 0)
      order_wake(rec);
    return;
  }
  if (std::holds_alternative<map_step>(def->body)) {
    cursor(id);
    return; // its items are steps of their own
  }
  json value;
  auto item = split_item(id);
  if (item) {
    const auto& items = cursor(item->first).items;
    if (item->second < items.size())
      value = items[item->second];
  }
  if (auto order = work_order(id, *def, context(item ? &value : nullptr)))
    orders_.push_back(std::move(*order));
}

run_change run_engine::advance(int64_t now) {
  if (finished())
    return collect();
  if (!reissued_) {
    reissued_ = true;
    // Maps first: their cursors must exist before their items end.
    for (const auto& [id, rec] : steps_)
      if (is_active(rec.state()) && !split_item(id))
        reissue(id, rec);
    for (const auto& [id, rec] : steps_)
      if (is_active(rec.state()) && split_item(id))
        reissue(id, rec);
  }
  for (size_t round = 0; round <= graph_.order().size(); ++round) {
    auto ready = graph_.ready(top_states());
    if (ready.empty())
      break;
    for (const auto& id : ready)
      if (const auto* def = step_def(id))
        start(id, *def, nullptr, now);
  }
  bool active = false;
  for (const auto& id : graph_.order())
    if (auto i = steps_.find(id);
        i != steps_.end() && is_active(i->second.state()))
      active = true;
  if (!active && graph_.ready(top_states()).empty())
    end_run(now);
  return collect();
}

run_change run_engine::on_task(const v1::TaskRecord& task, int64_t now) {
  const auto& labels = task.spec().labels();
  auto run = labels.find("run");
  auto step = labels.find("step");
  if (run == labels.end() || step == labels.end()
      || run->second != run_.run_id())
    return collect();
  auto i = steps_.find(step->second);
  if (i == steps_.end() || i->second.state() != v1::STEP_STATE_RUNNING)
    return collect();
  i->second.set_task_id(task.task_id());
  i->second.set_attempts(task.attempts());
  touch(step->second);
  switch (task.state()) {
    case v1::TASK_STATE_SUCCEEDED:
      finish(step->second, v1::STEP_STATE_SUCCEEDED, output_of_task(task), {},
             now);
      break;
    case v1::TASK_STATE_DEAD:
    case v1::TASK_STATE_CANCELLED:
      finish(step->second, v1::STEP_STATE_FAILED, nullptr,
             task.state() == v1::TASK_STATE_CANCELLED
               ? "its task " + task.task_id() + " was cancelled"
               : task.error(),
             now);
      break;
    default: return collect(); // not over: a submit's answer
  }
  return advance(now);
}

run_change run_engine::on_submit_failed(const std::string& step_id,
                                        const std::string& error, int64_t now) {
  auto i = steps_.find(step_id);
  if (i == steps_.end() || i->second.state() != v1::STEP_STATE_RUNNING)
    return collect();
  finish(step_id, v1::STEP_STATE_FAILED, nullptr, error, now);
  return advance(now);
}

run_change run_engine::on_submitted(const std::string& step_id,
                                    const std::string& task_id, int64_t) {
  auto i = steps_.find(step_id);
  if (i == steps_.end())
    return collect();
  if (i->second.state() == v1::STEP_STATE_RUNNING) {
    // Not written on its own: the step's next move writes it, and after a
    // restart the step's order, given again, finds its task by its key.
    i->second.set_task_id(task_id);
  } else if (i->second.state() == v1::STEP_STATE_CANCELLED) {
    // Cancelled before its task was known: cancel the task now.
    run_order order;
    order.what = run_order::kind::cancel_task;
    order.step_id = step_id;
    order.id = task_id;
    orders_.push_back(order);
  }
  return collect();
}

caf::expected<run_change> run_engine::on_signal(const std::string& name,
                                                const json& payload,
                                                int64_t now, bool& existed) {
  existed = false;
  const auto* def = step_def(name);
  if (def == nullptr || !std::holds_alternative<approval_step>(def->body))
    return make_error(errc::not_found, "run " + run_.run_id()
                                         + " has no approval step '"
                                         + name.substr(0, 64) + "'");
  auto decision = payload.is_object() ? payload.value("decision", "") : "";
  if (decision != "approve" && decision != "reject")
    return make_field_error(errc::invalid_argument, "payload.decision",
                            "payload.decision: \"approve\" or \"reject\"");
  auto& rec = record(name);
  if (is_over(rec.state())) {
    auto before = parse_or_null(rec.signal_json());
    if (!rec.signal().empty() && before.value("decision", "") == decision) {
      existed = true;
      return collect();
    }
    return make_error(
      errc::failed_precondition,
      "approval '" + name + "' is " + step_state_name(rec.state())
        + (rec.signal().empty()
             ? std::string{}
             : " (answered " + before.value("decision", "") + ")"));
  }
  if (rec.state() != v1::STEP_STATE_WAITING)
    return make_error(errc::failed_precondition,
                      "approval '" + name + "' is not waiting yet");
  rec.set_signal(name);
  rec.set_signal_json(payload.dump());
  auto output = parse_or_null(rec.output_json());
  if (!output.is_object())
    output = json::object();
  output["decision"] = decision;
  output["payload"] = payload;
  if (decision == "approve")
    finish(name, v1::STEP_STATE_SUCCEEDED, std::move(output), {}, now);
  else
    finish(name, v1::STEP_STATE_FAILED, std::move(output), "rejected", now);
  return advance(now);
}

run_change run_engine::on_timer(int64_t now) {
  std::vector<std::string> due;
  for (const auto& [id, rec] : steps_)
    if (rec.state() == v1::STEP_STATE_WAITING && rec.wake_unix_ms() > 0
        && rec.wake_unix_ms() <= now)
      due.push_back(id);
  for (const auto& id : due) {
    const auto* def = step_def(id);
    auto& rec = record(id);
    // An earlier one of them may have failed the run and cancelled it.
    if (def == nullptr || rec.state() != v1::STEP_STATE_WAITING)
      continue;
    if (std::holds_alternative<sleep_step>(def->body)) {
      finish(id, v1::STEP_STATE_SUCCEEDED, json{{"woke_at", now}}, {}, now);
      continue;
    }
    const auto& ap = std::get<approval_step>(def->body);
    auto output = parse_or_null(rec.output_json());
    if (!output.is_object())
      output = json::object();
    output["timed_out"] = true;
    if (ap.default_outcome == approval_outcome::approve) {
      output["decision"] = "approve";
      finish(id, v1::STEP_STATE_SUCCEEDED, std::move(output), {}, now);
    } else if (ap.default_outcome == approval_outcome::reject) {
      output["decision"] = "reject";
      finish(id, v1::STEP_STATE_FAILED, std::move(output),
             "timed out: rejected by default", now);
    } else {
      finish(id, v1::STEP_STATE_FAILED, std::move(output),
             "timed out without an answer", now);
    }
  }
  return advance(now);
}

run_change run_engine::on_child(const v1::RunRecord& child, int64_t now) {
  for (auto& [id, rec] : steps_) {
    if (rec.child_run_id() != child.run_id()
        || rec.state() != v1::STEP_STATE_RUNNING)
      continue;
    if (child.state() == v1::RUN_STATE_SUCCEEDED)
      finish(id, v1::STEP_STATE_SUCCEEDED, parse_or_null(child.output_json()),
             {}, now);
    else if (child.state() != v1::RUN_STATE_RUNNING)
      finish(id, v1::STEP_STATE_FAILED, nullptr,
             "child run " + child.run_id() + " " + run_state_name(child.state())
               + (child.error().empty() ? "" : ": " + child.error()),
             now);
    break;
  }
  return advance(now);
}

run_change run_engine::cancel(int64_t now) {
  if (finished())
    return collect();
  for (auto& [id, rec] : steps_)
    cancel_step(rec, "cancelled: the run was cancelled", now);
  for (const auto& id : graph_.order()) {
    auto& rec = record(id);
    if (rec.state() == v1::STEP_STATE_PENDING) {
      rec.set_state(v1::STEP_STATE_CANCELLED);
      rec.set_error("not started: the run was cancelled");
      touch(id);
    }
  }
  run_.set_state(v1::RUN_STATE_CANCELLED);
  touch_run(now);
  return collect();
}

} // namespace bsm::workflows
