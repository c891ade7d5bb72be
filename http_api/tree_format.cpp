#include "http_api/tree_format.hpp"

#include "http_api/json_body.hpp"
#include "protocols/enum_label.hpp"
#include "runtime/ascii.hpp"

namespace bsm::http_handlers {

namespace {

std::string name_of(const v1::TreeNode& node) {
  return node.name().empty() ? "root" : node.name();
}

// Empty for a node that is no supervisor.
std::string strategy_of(const v1::TreeNode& node) {
  if (node.strategy() == v1::RESTART_STRATEGY_UNSPECIFIED)
    return {};
  return enum_label(v1::RestartStrategy_Name(node.strategy()),
                    "RESTART_STRATEGY_");
}

std::string state_of(const v1::TreeNode& node) {
  if (node.state() == v1::CHILD_STATE_UNSPECIFIED)
    return "running";
  return enum_label(v1::ChildState_Name(node.state()), "CHILD_STATE_");
}

void append_lines(const v1::TreeNode& node, size_t depth, std::string& out) {
  out.append(depth * 2, ' ');
  out += name_of(node);
  if (auto strategy = strategy_of(node); !strategy.empty())
    out += " [" + strategy + "]";
  out += ' ' + state_of(node);
  out += " restarts=" + std::to_string(node.restarts()) + '\n';
  for (const auto& child : node.children())
    append_lines(child, depth + 1, out);
}

} // namespace

nlohmann::json tree_json(const v1::TreeNode& node) {
  nlohmann::json children = nlohmann::json::array();
  for (const auto& child : node.children())
    children.push_back(tree_json(child));
  auto strategy = strategy_of(node);
  return {{"name", name_of(node)},
          {"children", std::move(children)},
          {"restarts", node.restarts()},
          {"strategy", strategy.empty() ? nlohmann::json(nullptr)
                                        : nlohmann::json(strategy)},
          {"state", state_of(node)}};
}

std::string tree_text(const v1::TreeNode& node) {
  std::string out;
  append_lines(node, 0, out);
  return out;
}

bool wants_text(std::string_view accept) {
  return asks_for_instead_of_json(accept, "text/plain");
}

} // namespace bsm::http_handlers
