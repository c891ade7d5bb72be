#include "runtime/security/security_options.hpp"

#include <set>

#include "runtime/ascii.hpp"
#include "runtime/config/config_fields.hpp"
#include "runtime/security/certificate_principals.hpp"
#include "runtime/security/credential_records.hpp"
#include "runtime/security/permission.hpp"
#include "runtime/security/role_table.hpp"

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

// The id of a key as api_key.cpp makes it: 12 of [A-Za-z0-9].
std::string key_id_problem(std::string_view text, std::string& out) {
  if (text.size() != 12 || !security::is_valid_api_key_id(text)
      || text.find_first_of("_-") != std::string_view::npos)
    return "expected the key's id, the 12 characters [A-Za-z0-9] after "
           "'bsm_'";
  out = std::string{text};
  return {};
}

std::string key_name_problem(std::string_view text, std::string& out) {
  if (!security::is_valid_principal_name(text))
    return "expected a name matching [A-Za-z0-9._@-]{1,64}";
  out = std::string{text};
  return {};
}

// Lowercase, as api_key_digest() makes it and the store compares it.
std::string sha256_problem(std::string_view text, std::string& out) {
  auto is_hex = [](char c) {
    return ascii_hex_value(c) >= 0;
  };
  if (text.size() != 64 || !std::all_of(text.begin(), text.end(), is_hex))
    return "expected the key's SHA-256 as 64 hex digits (printf %s \"$KEY\" "
           "| sha256sum), never the key itself";
  out = ascii_lower(text);
  return {};
}

caf::error read_api_key(const yaml_field& entry, seeded_api_key& out) {
  std::set<std::string> given;
  auto err = entry.entries([&](const yaml_field& x, const std::string& key) {
    given.insert(key);
    if (key == "id")
      return x.parsed(out.id, key_id_problem);
    if (key == "name")
      return x.parsed(out.name, key_name_problem);
    if (key == "sha256")
      return x.parsed(out.sha256, sha256_problem);
    if (key == "roles")
      return x.sequence(out.roles, detail::assign<std::string>);
    if (key == "expires_at")
      // Up to the year 9999.
      return x.integer(out.expires_at, 0, 253'402'300'799);
    return x.fail("unknown key (known: id, name, sha256, roles, expires_at)");
  });
  if (err)
    return err;
  for (const auto* key : {"id", "name", "sha256"})
    if (given.count(key) == 0)
      return entry.fail("missing key " + quote(key));
  return {};
}

caf::error read_api_keys(const yaml_field& in, security_options& out) {
  std::vector<seeded_api_key> keys;
  std::set<std::string> ids;
  auto err = in.elements([&](const yaml_field& entry) {
    auto& key = keys.emplace_back();
    if (auto key_err = read_api_key(entry, key))
      return key_err;
    if (!ids.insert(key.id).second)
      return entry.fail("id " + quote(key.id) + " appears twice");
    return caf::error{};
  });
  if (err)
    return err;
  out.api_keys = std::move(keys);
  return {};
}

caf::error read_client_certificates(const yaml_field& in,
                                    security_options& out) {
  std::map<std::string, std::vector<std::string>> certificates;
  auto err = in.entries([&](const yaml_field& entry, const std::string& cn) {
    if (!security::is_certificate_name(cn))
      return entry.fail("a certificate CN must be 1..64 printable ASCII "
                        "characters");
    return entry.sequence(certificates[cn], detail::assign<std::string>);
  });
  if (err)
    return err;
  out.client_certificates = std::move(certificates);
  return {};
}

std::string render_api_keys(const security_options& x) {
  // Ids and names only: a hash stays out of every output.
  auto key = [](const seeded_api_key& k) {
    return k.name + " (" + k.id + ")";
  };
  return "[" + detail::join(x.api_keys, ", ", key) + "]";
}

std::string
render_role_map(const std::map<std::string, std::vector<std::string>>& xs) {
  auto entry = [](const auto& x) {
    return x.first + ": [" + detail::join(x.second, ", ", quote) + "]";
  };
  return "{" + detail::join(xs, ", ", entry) + "}";
}

// The first role in `names` that neither the built-in roles nor
// security.roles define; empty if none.
std::string unknown_role(const security_options& x,
                         const std::vector<std::string>& names) {
  const auto& builtin = security::role_table::builtin();
  for (const auto& name : names)
    if (builtin.count(name) == 0 && x.roles.count(name) == 0)
      return name;
  return {};
}

config::maybe_problem check_seeded_roles(const security_options& x) {
  auto problem = [](const std::string& key, const std::string& role) {
    return config::problem{key,
                           "unknown role " + quote(role)
                             + " (define it under security.roles)",
                           {}};
  };
  for (const auto& user : x.users)
    if (auto role = unknown_role(x, user.roles); !role.empty())
      return problem("security.users", role);
  for (const auto& key : x.api_keys)
    if (auto role = unknown_role(x, key.roles); !role.empty())
      return problem("security.api_keys", role);
  for (const auto& [cn, roles] : x.client_certificates)
    if (auto role = unknown_role(x, roles); !role.empty())
      return problem("security.client_certificates", role);
  return std::nullopt;
}

std::string render_users(const security_options& x) {
  auto name = [](const seeded_user& u) {
    return u.name;
  };
  return "[" + detail::join(x.users, ", ", name) + "]";
}

std::string render_roles(const security_options& x) {
  return render_role_map(x.roles);
}

std::string render_client_certificates(const security_options& x) {
  return render_role_map(x.client_certificates);
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
      "jwt_es256_public_key_file, seed security.users or api_keys, or map "
      "security.client_certificates",
      {}};
  return check_seeded_roles(x);
}

} // namespace

bool has_configured_credentials(const security_options& x) {
  return !x.users.empty() || !x.api_keys.empty()
         || !x.client_certificates.empty() || !x.jwt_hs256_key_file.empty()
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
     {"api_keys", read_api_keys, render_api_keys, {}, true, true},
     {"client_certificates",
      read_client_certificates,
      render_client_certificates,
      {},
      false,
      true},
     config::boolean("metrics_open", &security_options::metrics_open),
     config::boolean("openapi_open", &security_options::openapi_open),
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
