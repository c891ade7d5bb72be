#include "workflows/workflow_validation.hpp"

#include <set>

#include "runtime/error.hpp"
#include "workflows/definition_reader.hpp"
#include "workflows/workflow_expression.hpp"
#include "workflows/workflow_graph.hpp"

namespace bsm::workflows {

namespace {

using detail::describe;
using detail::message_of;
using nlohmann::json;

constexpr std::string_view message_type_prefix = "bsm.v1.";

// What the expressions of one field may read.
struct scope {
  const std::string* self = nullptr;               // the step's own id
  const std::set<std::string>* upstream = nullptr; // null: any step
  bool item = false;                               // in a map's step
};

class checker {
public:
  checker(const workflow_definition& def, const workflow_catalog& catalog)
    : def_(def), catalog_(catalog), upstream_(upstream_sets(def)),
      compensations_(compensation_steps(def)) {
    for (const auto& step : def.steps)
      ids_.insert(step.id);
    // A compensation runs after the step it compensates failed, so it may
    // read that step and what that step could read.
    for (const auto& step : def.steps)
      if (!step.compensation.empty() && ids_.count(step.compensation)) {
        auto& up = upstream_[step.compensation];
        up.insert(step.id);
        up.insert(upstream_[step.id].begin(), upstream_[step.id].end());
      }
  }

  std::vector<validation_error> run() {
    check_output();
    std::set<std::string> seen;
    for (const auto& step : def_.steps) {
      if (!seen.insert(step.id).second)
        add(step.id, "id", "another step has this id");
      check_step(step);
    }
    if (auto cycle = find_cycle(def_); !cycle.empty())
      add("", "", "cycle: " + detail_join(cycle, " -> "));
    return std::move(errors_);
  }

private:
  static std::string detail_join(const std::vector<std::string>& xs,
                                 std::string_view sep) {
    std::string result;
    for (const auto& x : xs)
      result += (result.empty() ? "" : std::string{sep}) + x;
    return result;
  }

  void add(const std::string& step, std::string field, std::string message) {
    errors_.push_back({step, std::move(field), std::move(message)});
  }

  void check_output() {
    scope everything;
    check_value("", "output", def_.output, everything);
  }

  void check_step(const step_definition& step) {
    check_needs(step);
    check_compensation(step);
    scope own{&step.id, &upstream_[step.id], false};
    if (!step.when.empty())
      check_condition(step.id, "when", step.when, own);
    check_body(step.id, "", step.body, own);
  }

  void check_needs(const step_definition& step) {
    std::set<std::string> listed;
    for (const auto& need : step.needs) {
      if (!listed.insert(need).second)
        add(step.id, "needs", "'" + need + "' is listed twice");
      else if (!ids_.count(need))
        add(step.id, "needs", "unknown step '" + need + "'");
      else if (compensations_.count(need))
        add(step.id, "needs",
            "'" + need
              + "' is a compensation step, which runs only when the step it "
                "compensates fails");
    }
  }

  void check_compensation(const step_definition& step) {
    if (step.compensation.empty())
      return;
    if (step.compensation == step.id)
      add(step.id, "compensation", "a step cannot compensate itself");
    else if (!ids_.count(step.compensation))
      add(step.id, "compensation", "unknown step '" + step.compensation + "'");
  }

  // -- names the node knows ---------------------------------------------------

  void check_known(const std::function<bool(const std::string&)>& known,
                   const std::string& step, const std::string& field,
                   const std::string& kind, const std::string& name) {
    if (known && !known(name))
      add(step, field, "unknown " + kind + " '" + name + "'");
  }

  void check_message_type(const std::string& step, const std::string& field,
                          const std::string& type) {
    if (type.size() <= message_type_prefix.size()
        || type.compare(0, message_type_prefix.size(), message_type_prefix)
             != 0)
      add(step, field, "'" + type + "' is not a bsm.v1.* message type");
    else
      check_known(catalog_.has_message_type, step, field, "message type", type);
  }

  // -- bodies -----------------------------------------------------------------

  void check_body(const std::string& step, const std::string& prefix,
                  const step_body& body, const scope& in) {
    auto field = [&](const char* name) {
      return prefix + name;
    };
    if (const auto* agent = std::get_if<agent_step>(&body)) {
      check_known(catalog_.has_agent, step, field("agent"), "agent",
                  agent->agent);
      check_text(step, field("input"), agent->input, in);
      check_text(step, field("session"), agent->session, in);
    } else if (const auto* tool = std::get_if<tool_step>(&body)) {
      check_known(catalog_.has_tool, step, field("tool"), "tool", tool->tool);
      check_value(step, field("arguments"), tool->arguments, in);
    } else if (const auto* message = std::get_if<message_step>(&body)) {
      check_message_type(step, field("message"), message->type);
      check_value(step, field("payload"), message->payload, in);
    } else if (const auto* sleep = std::get_if<sleep_step>(&body)) {
      check_text(step, field("until"), sleep->until, in);
    } else if (const auto* approval = std::get_if<approval_step>(&body)) {
      check_text(step, field("prompt"), approval->prompt, in);
    } else if (const auto* child = std::get_if<workflow_step>(&body)) {
      if (child->workflow == def_.name)
        add(step, field("workflow"), "a workflow cannot start itself");
      else
        check_known(catalog_.has_workflow, step, field("workflow"), "workflow",
                    child->workflow);
      check_value(step, field("input"), child->input, in);
    } else if (const auto* map = std::get_if<map_step>(&body)) {
      check_map(step, prefix, *map, in);
    }
  }

  void check_map(const std::string& step, const std::string& prefix,
                 const map_step& map, const scope& in) {
    check_over(step, prefix + "over", map.over, in);
    if (!map.step)
      return;
    auto each = in;
    each.item = true;
    if (!map.step->when.empty())
      check_condition(step, prefix + "step.when", map.step->when, each);
    check_body(step, prefix + "step.", map.step->body, each);
  }

  void check_over(const std::string& step, const std::string& field,
                  const json& over, const scope& in) {
    const std::string want = "expected a list or an expression that yields "
                             "one, got ";
    if (over.is_array()) {
      check_value(step, field, over, in);
      return;
    }
    if (!over.is_string()) {
      add(step, field, want + describe(over));
      return;
    }
    auto parsed = parse_template(over.get<std::string>());
    if (!parsed) {
      add(step, field, message_of(parsed.error()));
      return;
    }
    const auto* whole = parsed->whole();
    if (!parsed->has_expressions())
      add(step, field, want + describe(over));
    else if (!whole)
      add(step, field, "text around a ${...} makes text, not a list");
    else if (const auto* literal = whole->literal();
             literal && !literal->is_array())
      add(step, field, "expected a list, got " + describe(*literal));
    else
      check_references(step, field, parsed->steps(), parsed->uses_item(), in);
  }

  // -- expressions ------------------------------------------------------------

  void check_condition(const std::string& step, const std::string& field,
                       const std::string& text, const scope& in) {
    auto parsed = parse_expression(text);
    if (!parsed)
      add(step, field, message_of(parsed.error()));
    else
      check_references(step, field, parsed->steps(), parsed->uses_item(), in);
  }

  void check_text(const std::string& step, const std::string& field,
                  const std::string& text, const scope& in) {
    auto parsed = parse_template(text);
    if (!parsed)
      add(step, field, message_of(parsed.error()));
    else
      check_references(step, field, parsed->steps(), parsed->uses_item(), in);
  }

  void check_value(const std::string& step, const std::string& field,
                   const json& value, const scope& in) {
    for_each_string(value,
                    [&](const std::string& path, const std::string& text) {
                      auto at = path.empty()     ? field
                                : path[0] == '[' ? field + path
                                                 : field + "." + path;
                      check_text(step, at, text, in);
                    });
  }

  void check_references(const std::string& step, const std::string& field,
                        const std::vector<std::string>& ids, bool uses_item,
                        const scope& in) {
    for (const auto& id : ids) {
      if (!ids_.count(id))
        add(step, field, "refers to unknown step '" + id + "'");
      else if (in.self && id == *in.self)
        add(step, field, "refers to its own step");
      else if (in.upstream && !in.upstream->count(id))
        add(step, field,
            "refers to step '" + id
              + "', which is not upstream (add it to needs)");
    }
    if (uses_item && !in.item)
      add(step, field, "${item} is only defined in a map's step");
  }

  const workflow_definition& def_;
  const workflow_catalog& catalog_;
  std::map<std::string, std::set<std::string>> upstream_;
  std::set<std::string> compensations_;
  std::set<std::string> ids_;
  std::vector<validation_error> errors_;
};

} // namespace

std::string to_string(const validation_error& x) {
  std::string result;
  if (!x.step.empty())
    result = "step '" + x.step + "': ";
  if (!x.field.empty())
    result += x.field + ": ";
  return result + x.message;
}

std::vector<validation_error> validate(const workflow_definition& def,
                                       const workflow_catalog& catalog) {
  return checker{def, catalog}.run();
}

caf::error check_definition(const workflow_definition& def,
                            const workflow_catalog& catalog) {
  auto errors = validate(def, catalog);
  if (errors.empty())
    return {};
  std::string text;
  for (const auto& x : errors)
    text += (text.empty() ? "" : "; ") + to_string(x);
  return make_error(errc::invalid_argument, std::move(text));
}

} // namespace bsm::workflows
