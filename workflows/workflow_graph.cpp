#include "workflows/workflow_graph.hpp"

#include <algorithm>
#include <functional>

#include "runtime/error.hpp"

namespace bsm::workflows {

namespace {

// The needs of each step by id; the first of two steps with one id wins.
std::map<std::string, const std::vector<std::string>*>
needs_by_id(const workflow_definition& def) {
  std::map<std::string, const std::vector<std::string>*> result;
  for (const auto& step : def.steps)
    result.emplace(step.id, &step.needs);
  return result;
}

caf::error bad(std::string what) {
  return make_error(errc::invalid_argument, std::move(what));
}

} // namespace

const char* to_string(step_state x) {
  switch (x) {
    case step_state::pending: return "pending";
    case step_state::running: return "running";
    case step_state::succeeded: return "succeeded";
    case step_state::failed: return "failed";
    case step_state::skipped: return "skipped";
    default: return "cancelled";
  }
}

std::vector<std::string> find_cycle(const workflow_definition& def) {
  auto needs = needs_by_id(def);
  enum class color { white, grey, black };
  std::map<std::string, color> colors;
  std::vector<std::string> path; // the grey steps, outermost first
  std::vector<std::string> cycle;
  // Depth-first along needs: reaching a grey step closes a cycle.
  std::function<bool(const std::string&)> visit = [&](const std::string& id) {
    colors[id] = color::grey;
    path.push_back(id);
    for (const auto& next : *needs.at(id)) {
      if (needs.count(next) == 0)
        continue;
      if (colors[next] == color::grey) {
        auto first = std::find(path.begin(), path.end(), next);
        cycle.assign(first, path.end());
        cycle.push_back(next);
        return true;
      }
      if (colors[next] == color::white && visit(next))
        return true;
    }
    colors[id] = color::black;
    path.pop_back();
    return false;
  };
  for (const auto& step : def.steps)
    if (colors[step.id] == color::white && visit(step.id))
      return cycle;
  return {};
}

std::map<std::string, std::set<std::string>>
upstream_sets(const workflow_definition& def) {
  auto needs = needs_by_id(def);
  std::map<std::string, std::set<std::string>> result;
  for (const auto& [id, direct] : needs) {
    auto& up = result[id];
    std::vector<std::string> todo(direct->begin(), direct->end());
    while (!todo.empty()) {
      auto next = std::move(todo.back());
      todo.pop_back();
      if (!up.insert(next).second)
        continue; // seen: also what ends a cycle
      if (auto i = needs.find(next); i != needs.end())
        todo.insert(todo.end(), i->second->begin(), i->second->end());
    }
  }
  return result;
}

std::set<std::string> compensation_steps(const workflow_definition& def) {
  std::set<std::string> result;
  for (const auto& step : def.steps)
    if (!step.compensation.empty())
      result.insert(step.compensation);
  return result;
}

// -- workflow_graph -----------------------------------------------------------

caf::expected<workflow_graph>
workflow_graph::make(const workflow_definition& def) {
  workflow_graph result;
  for (const auto& step : def.steps) {
    auto [i, added] = result.vertices_.emplace(step.id, vertex{});
    if (!added)
      return bad("step '" + step.id + "': id: another step has this id");
    auto& v = i->second;
    v.needs = step.needs;
    v.on_failure = step.on_failure;
    v.compensation = step.compensation;
    result.order_.push_back(step.id); // sorted below
  }
  for (const auto& step : def.steps) {
    for (const auto& need : step.needs)
      if (!result.contains(need))
        return bad("step '" + step.id + "': needs: unknown step '" + need
                   + "'");
    if (!step.compensation.empty() && !result.contains(step.compensation))
      return bad("step '" + step.id + "': compensation: unknown step '"
                 + step.compensation + "'");
  }
  if (auto cycle = find_cycle(def); !cycle.empty()) {
    std::string text;
    for (const auto& id : cycle)
      text += (text.empty() ? "" : " -> ") + id;
    return bad("cycle: " + text);
  }
  auto upstream = upstream_sets(def);
  for (auto& [id, v] : result.vertices_)
    v.upstream = std::move(upstream[id]);
  for (const auto& id : compensation_steps(def))
    result.vertices_[id].is_compensation = true;
  // Stable: a step goes after the last of the steps it depends on, so
  // ordering by the size of its upstream set is not enough; count instead
  // the longest chain below each step and keep definition order for ties.
  std::map<std::string, size_t> depth;
  std::function<size_t(const std::string&)> depth_of
    = [&](const std::string& id) -> size_t {
    if (auto i = depth.find(id); i != depth.end())
      return i->second;
    size_t d = 0;
    for (const auto& need : result.vertices_.at(id).needs)
      d = std::max(d, depth_of(need) + 1);
    return depth[id] = d;
  };
  std::stable_sort(result.order_.begin(), result.order_.end(),
                   [&](const std::string& a, const std::string& b) {
                     return depth_of(a) < depth_of(b);
                   });
  return result;
}

bool workflow_graph::contains(const std::string& id) const {
  return vertices_.count(id) > 0;
}

const std::set<std::string>&
workflow_graph::upstream(const std::string& id) const {
  return vertices_.at(id).upstream;
}

bool workflow_graph::is_compensation(const std::string& id) const {
  return vertices_.at(id).is_compensation;
}

step_state workflow_graph::state_of(const step_states& states,
                                    const std::string& id) {
  auto i = states.find(id);
  return i == states.end() ? step_state::pending : i->second;
}

bool workflow_graph::counts_as_done(const std::string& id,
                                    step_state state) const {
  return state == step_state::succeeded || state == step_state::skipped
         || (state == step_state::failed
             && vertices_.at(id).on_failure == failure_policy::continue_run);
}

bool workflow_graph::halted(const step_states& states) const {
  for (const auto& [id, state] : states) {
    auto v = vertices_.find(id);
    if (v == vertices_.end())
      continue;
    if (state == step_state::cancelled
        || (state == step_state::failed
            && v->second.on_failure != failure_policy::continue_run))
      return true;
  }
  return false;
}

bool workflow_graph::triggered(const std::string& compensation,
                               const step_states& states) const {
  for (const auto& [id, v] : vertices_)
    if (v.compensation == compensation
        && state_of(states, id) == step_state::failed)
      return true;
  return false;
}

std::vector<std::string>
workflow_graph::ready(const step_states& states) const {
  std::vector<std::string> result;
  bool stopped = halted(states);
  for (const auto& id : order_) {
    const auto& v = vertices_.at(id);
    if (state_of(states, id) != step_state::pending)
      continue;
    if (v.is_compensation ? !triggered(id, states) : stopped)
      continue;
    bool needs_done = std::all_of(
      v.needs.begin(), v.needs.end(), [&](const std::string& need) {
        return counts_as_done(need, state_of(states, need));
      });
    if (needs_done)
      result.push_back(id);
  }
  return result;
}

run_outcome workflow_graph::outcome(const step_states& states) const {
  for (const auto& [id, state] : states)
    if (state == step_state::running && contains(id))
      return run_outcome::running;
  if (!ready(states).empty())
    return run_outcome::running;
  bool failed = false;
  for (const auto& [id, state] : states) {
    if (!contains(id))
      continue;
    if (state == step_state::cancelled)
      return run_outcome::cancelled;
    failed
      = failed || (state == step_state::failed && !counts_as_done(id, state));
  }
  return failed ? run_outcome::failed : run_outcome::succeeded;
}

} // namespace bsm::workflows
