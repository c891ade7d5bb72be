#include "node/bsmctl/budgets_command.hpp"

namespace bsm::ctl {

std::string budgets_table(const ordered_json& doc) {
  std::vector<std::vector<std::string>> rows{{"NAME", "SCOPE", "KEY", "LIMIT",
                                              "USED", "REMAINING", "RESETS_AT",
                                              "NODE"}};
  if (doc.is_object() && doc.contains("budgets") && doc["budgets"].is_array())
    for (const auto& x : doc["budgets"])
      rows.push_back({text_of(x, "name"), text_of(x, "scope"),
                      text_of(x, "key"),
                      text_of(x, "limit") + " " + text_of(x, "limit_kind", ""),
                      text_of(x, "used"), text_of(x, "remaining"),
                      text_of(x, "resets_at"), text_of(x, "node")});
  auto result = format_table(rows);
  if (doc.is_object() && doc.contains("unreachable")
      && doc["unreachable"].is_array() && !doc["unreachable"].empty()) {
    std::string nodes;
    for (const auto& node : doc["unreachable"])
      nodes += (nodes.empty() ? "" : ", ") + cell(node);
    result += "not answering (their counters are missing): " + nodes + "\n";
  }
  return result;
}

} // namespace bsm::ctl
