#pragma once

// Internal to workflows/: the tree a parsed expression is, shared by the
// parser and the evaluation.

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "workflows/workflow_expression.hpp"

namespace bsm::workflows {

enum class node_kind { literal, path, negate, both, either, compare };

enum class compare_op { eq, ne, lt, le, gt, ge };

/// A key (`.name`, `["name"]`) or an index (`[0]`) of a path.
using path_segment = std::variant<std::string, size_t>;

struct expression::node {
  node_kind kind = node_kind::literal;
  nlohmann::json value;               // literal
  std::string root;                   // path: input, steps or item
  std::vector<path_segment> segments; // path
  compare_op op = compare_op::eq;     // compare
  std::shared_ptr<const node> lhs;    // negate, both, either, compare
  std::shared_ptr<const node> rhs;    // both, either, compare
};

} // namespace bsm::workflows
