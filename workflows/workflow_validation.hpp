#pragma once

// The checks of a parsed definition that need all of it, or the node's
// agents and tools: run at PUT and at load. Every problem is reported,
// each naming the step and the field:
//   step 'review': needs: unknown step 'x'
//   step 'legal': input: refers to step 'runner', which is not upstream
//   cycle: a -> b -> c -> a

#include <functional>
#include <string>
#include <vector>

#include <caf/error.hpp>

#include "workflows/workflow_definition.hpp"

namespace bsm::workflows {

/// One problem of a definition.
struct validation_error {
  /// The step's id; empty for the workflow's own fields and for cycles.
  std::string step;
  /// The field, dotted for nested ones ("step.input", "arguments.query");
  /// empty for a cycle.
  std::string field;
  std::string message;
};

/// "step '<step>': <field>: <message>", leaving out what is empty.
[[nodiscard]] std::string to_string(const validation_error& x);

/// What the node knows, for the names in a definition. An unset function
/// is not checked (for example a definition read without a node).
struct workflow_catalog {
  /// True if an agent of that name exists.
  std::function<bool(const std::string&)> has_agent;
  /// True if a tool of that name exists (built-in, MCP or plugin).
  std::function<bool(const std::string&)> has_tool;
  /// True if a workflow of that name is stored.
  std::function<bool(const std::string&)> has_workflow;
  /// True if a message type of that full name is registered.
  std::function<bool(const std::string&)> has_message_type;
};

/// Every problem of `def`, in the order of its steps (the workflow's own
/// fields first, cycles last): duplicate ids; `needs` naming an unknown
/// step, a step twice, or a compensation step; a cycle; a `compensation`
/// naming an unknown step or its own; an unknown agent, tool or workflow,
/// or a workflow starting itself; a message type outside `bsm.v1.` or
/// unknown; an expression that does not parse, refers to an unknown step,
/// its own step or one that is not upstream (in the transitive `needs`;
/// a compensation also sees the steps it compensates), or reads `item`
/// outside a map's step; a map's `over` that is no list and no expression,
/// or an expression that is a literal other than a list.
[[nodiscard]] std::vector<validation_error>
validate(const workflow_definition& def, const workflow_catalog& catalog = {});

/// `validate` as one error: invalid_argument with the problems joined by
/// "; ", or none.
[[nodiscard]] caf::error check_definition(const workflow_definition& def,
                                          const workflow_catalog& catalog = {});

} // namespace bsm::workflows
