#pragma once

// Roles and the permissions they grant: the built-in roles, replaced or
// extended by those of the config (security.roles). Unknown role names
// grant nothing (default deny).

#include <map>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/security/permission.hpp"

namespace bsm::security {

class role_table {
public:
  /// The built-in roles only.
  role_table();

  /// The built-in roles with `configured` on top (a configured role
  /// replaces the built-in one of its name). Errors: invalid_argument for
  /// a grant that does not parse.
  [[nodiscard]] static caf::expected<role_table>
  make(const std::map<std::string, std::vector<std::string>>& configured);

  /// The union of the grants of `roles`.
  [[nodiscard]] permission_set
  grants_of(const std::vector<std::string>& roles) const;

  /// True if a role of that name exists.
  [[nodiscard]] bool has(const std::string& role) const {
    return roles_.count(role) > 0;
  }

  /// Every role with its grants, as text, by name.
  [[nodiscard]] std::map<std::string, std::vector<std::string>> list() const;

  /// The built-in roles, as text: admin, operator, reader, chat.
  static const std::map<std::string, std::vector<std::string>>& builtin();

private:
  std::map<std::string, permission_set> roles_;
};

} // namespace bsm::security
