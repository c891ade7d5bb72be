#include "runtime/security/certificate_principals.hpp"

#include <algorithm>

namespace bsm::security {

namespace {

std::shared_ptr<const principal> make_principal(std::string_view cn,
                                                std::vector<std::string> roles,
                                                permission_set permissions) {
  principal result;
  result.kind = principal_kind::certificate;
  result.name = certificate_principal_name(cn);
  result.roles = std::move(roles);
  result.permissions = std::move(permissions);
  return std::make_shared<const principal>(std::move(result));
}

} // namespace

bool is_certificate_name(std::string_view cn) {
  return !cn.empty() && cn.size() <= max_certificate_name_size
         && std::all_of(cn.begin(), cn.end(),
                        [](char c) { return c >= 0x20 && c < 0x7f; });
}

std::string certificate_principal_name(std::string_view cn) {
  return "cert:" + std::string{cn};
}

certificate_principals::certificate_principals(
  const std::map<std::string, std::vector<std::string>>& roles_by_cn,
  const role_table& roles)
  : enabled_(!roles_by_cn.empty()) {
  for (const auto& [cn, role_names] : roles_by_cn)
    mapped_.emplace(
      cn, make_principal(cn, role_names, roles.grants_of(role_names)));
}

std::shared_ptr<const principal>
certificate_principals::of(std::string_view cn) const {
  if (auto i = mapped_.find(std::string{cn}); i != mapped_.end())
    return i->second;
  return make_principal(cn, {}, {});
}

} // namespace bsm::security
