#include "runtime/security/role_table.hpp"

#include "runtime/security/principal.hpp"

namespace bsm::security {

namespace {

permission_set parse_builtin(const std::vector<std::string>& grants) {
  // Built-in grants are written in code: they parse.
  return *permission_set::parse(grants);
}

} // namespace

principal local_admin() {
  return principal{
    "local", principal_kind::local, {"admin"}, parse_builtin({"*"})};
}

role_table::role_table() {
  for (const auto& [name, grants] : builtin())
    roles_[name] = parse_builtin(grants);
}

caf::expected<role_table> role_table::make(
  const std::map<std::string, std::vector<std::string>>& configured) {
  role_table result;
  for (const auto& [name, grants] : configured) {
    auto set = permission_set::parse(grants);
    if (!set)
      return std::move(set.error());
    result.roles_[name] = std::move(*set);
  }
  return result;
}

permission_set
role_table::grants_of(const std::vector<std::string>& roles) const {
  permission_set result;
  for (const auto& role : roles) {
    auto i = roles_.find(role);
    if (i != roles_.end())
      result.merge(i->second);
  }
  return result;
}

std::map<std::string, std::vector<std::string>> role_table::list() const {
  std::map<std::string, std::vector<std::string>> result;
  for (const auto& [name, grants] : roles_)
    result[name] = grants.to_strings();
  return result;
}

const std::map<std::string, std::vector<std::string>>& role_table::builtin() {
  static const std::map<std::string, std::vector<std::string>> result{
    {"admin", {"*"}},
    {"operator",
     {"agents:*", "actors:read", "actors:agents/*:inject", "events:*",
      "cluster:*", "metrics:read", "openapi:read", "tasks:*", "workflows:*",
      "deadletters:*", "plugins:read", "budgets:read"}},
    {"reader",
     {"agents:read", "actors:read", "events:read", "cluster:read",
      "metrics:read", "openapi:read", "deadletters:read", "plugins:read",
      "budgets:read"}},
    {"chat", {"agents:read", "agents:chat"}},
  };
  return result;
}

} // namespace bsm::security
