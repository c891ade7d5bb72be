#include "runtime/security/security_options.hpp"

#include <set>

#include "runtime/config/config_fields.hpp"
#include "runtime/security/permission.hpp"

namespace bsm {

namespace {

namespace fs = std::filesystem;
using detail::quote;
using detail::yaml_field;
using namespace std::chrono_literals;

bool role_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

std::string role_name_problem(const std::string& name) {
  if (name.empty() || name.size() > 64
      || !std::all_of(name.begin(), name.end(), role_name_char))
    return "role name " + quote(name)
           + " must be 1..64 of A-Z, a-z, 0-9, '.', '_', '-'";
  return {};
}

std::string permission_problem(std::string_view text, std::string& out) {
  auto problem = security::grant_problem(text);
  if (problem.empty())
    out = std::string{text};
  return problem;
}

caf::error read_roles(const yaml_field& in, security_options& out) {
  std::map<std::string, std::vector<std::string>> roles;
  auto err = in.entries([&](const yaml_field& entry, const std::string& name) {
    if (auto problem = role_name_problem(name); !problem.empty())
      return entry.fail(problem);
    return entry.sequence(roles[name], permission_problem);
  });
  if (err)
    return err;
  out.roles = std::move(roles);
  return {};
}

caf::error read_user(const yaml_field& entry, seeded_user& out) {
  std::set<std::string> given;
  auto err = entry.entries([&](const yaml_field& x, const std::string& key) {
    given.insert(key);
    if (key == "name")
      return x.text(out.name);
    if (key == "password_hash") {
      if (auto text_err = x.text(out.password_hash))
        return text_err;
      // A hash, never a password, belongs in a file.
      if (out.password_hash.rfind("$scrypt$", 0) != 0
          && out.password_hash.rfind("$pbkdf2-sha256$", 0) != 0)
        return x.fail("expected a PHC hash ($scrypt$... or "
                      "$pbkdf2-sha256$...), not a password");
      return caf::error{};
    }
    if (key == "roles")
      return x.sequence(out.roles, detail::assign<std::string>);
    return x.fail("unknown key (known: name, password_hash, roles)");
  });
  if (err)
    return err;
  for (const auto* key : {"name", "password_hash"})
    if (given.count(key) == 0)
      return entry.fail("missing key " + quote(key));
  return {};
}

caf::error read_users(const yaml_field& in, security_options& out) {
  std::vector<seeded_user> users;
  auto err = in.elements([&](const yaml_field& entry) {
    return read_user(entry, users.emplace_back());
  });
  if (err)
    return err;
  out.users = std::move(users);
  return {};
}

std::string render_users(const security_options& x) {
  auto name = [](const seeded_user& u) {
    return u.name;
  };
  return "[" + detail::join(x.users, ", ", name) + "]";
}

std::string render_roles(const security_options& x) {
  auto role = [](const auto& entry) {
    return entry.first + ": [" + detail::join(entry.second, ", ", quote) + "]";
  };
  return "{" + detail::join(x.roles, ", ", role) + "}";
}

config::maybe_problem check_security(const security_options& x) {
  if (x.rate_per_address > 0 && x.burst_per_address == 0)
    return config::problem{"security.burst_per_address",
                           "must be at least 1 when rate_per_address is set",
                           "security.rate_per_address"};
  if (x.rate_per_principal > 0 && x.burst_per_principal == 0)
    return config::problem{"security.burst_per_principal",
                           "must be at least 1 when rate_per_principal is set",
                           "security.rate_per_principal"};
  if (x.enabled && !has_configured_credentials(x))
    return config::problem{
      "security.enabled",
      "is true, but no credential is configured: set "
      "security.jwt_hs256_key_file, jwt_rs256_public_key_file or "
      "jwt_es256_public_key_file, or seed security.users",
      {}};
  return std::nullopt;
}

} // namespace

bool has_configured_credentials(const security_options& x) {
  return !x.users.empty() || !x.jwt_hs256_key_file.empty()
         || !x.jwt_rs256_public_key_file.empty()
         || !x.jwt_es256_public_key_file.empty();
}

const config::section<security_options>& security_section() {
  static const config::section<security_options> result{
    "security",
    {config::boolean("enabled", &security_options::enabled),
     config::boolean("allow_insecure", &security_options::allow_insecure),
     config::parsed("jwt_hs256_key_file", &security_options::jwt_hs256_key_file,
                    detail::assign<fs::path>),
     config::parsed("jwt_rs256_public_key_file",
                    &security_options::jwt_rs256_public_key_file,
                    detail::assign<fs::path>),
     config::parsed("jwt_es256_public_key_file",
                    &security_options::jwt_es256_public_key_file,
                    detail::assign<fs::path>),
     config::text("jwt_issuer", &security_options::jwt_issuer),
     config::sequence("jwt_audiences", &security_options::jwt_audiences,
                      detail::assign<std::string>),
     config::duration("jwt_leeway", &security_options::jwt_leeway, 0ms),
     config::duration("token_lifetime", &security_options::token_lifetime, 1s),
     {"roles", read_roles, render_roles, {}, false, true},
     {"users", read_users, render_users, {}, true, true},
     config::boolean("metrics_open", &security_options::metrics_open),
     config::integer("max_concurrent_chats",
                     &security_options::max_concurrent_chats, 0, 100'000),
     config::integer("max_open_streams", &security_options::max_open_streams, 0,
                     100'000),
     config::integer("rate_per_address", &security_options::rate_per_address, 0,
                     1'000'000),
     config::integer("burst_per_address", &security_options::burst_per_address,
                     0, 1'000'000),
     config::integer("rate_per_principal",
                     &security_options::rate_per_principal, 0, 1'000'000),
     config::integer("burst_per_principal",
                     &security_options::burst_per_principal, 0, 1'000'000)},
    check_security};
  return result;
}

} // namespace bsm
