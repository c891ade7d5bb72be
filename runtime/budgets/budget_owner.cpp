#include "runtime/budgets/budget_owner.hpp"

#include <vector>

#include "runtime/error.hpp"

namespace bsm::budgets {

std::string budget_path(const std::string& budget, const std::string& key) {
  return "budgets/" + budget + "/" + key;
}

caf::expected<cluster::owner> budget_owner(const cluster::directory& dir,
                                           const std::string& budget,
                                           const std::string& key) {
  if (!dir.joined())
    return make_error(errc::unavailable,
                      "node " + dir.self()
                        + " is joining the cluster; budgets are counted once "
                          "it knows the members");
  std::vector<std::string> candidates;
  if (dir.role() == cluster::self_role::member)
    candidates.push_back(dir.self());
  for (const auto& m : dir.members())
    if (dir.live_member(m.record.name()))
      candidates.push_back(m.record.name());
  if (candidates.empty())
    return make_error(errc::unavailable,
                      "no member may keep budget counters: node " + dir.self()
                        + " is leaving and no other member is up");
  cluster::owner result;
  result.node = cluster::rendezvous_owner(budget_path(budget, key), candidates);
  result.local = result.node == dir.self();
  if (!result.local)
    if (auto m = dir.member(result.node))
      result.state = m->state;
  return result;
}

} // namespace bsm::budgets
