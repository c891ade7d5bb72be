#include "runtime/security/credential_records.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "runtime/error.hpp"

namespace bsm::security {

namespace {

using nlohmann::json;

constexpr size_t max_name_bytes = 64;
constexpr size_t max_key_name_bytes = 128;
constexpr size_t max_password_hash_bytes = 1024;
constexpr size_t sha256_hex_digits = 64;

bool is_alnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
         || (c >= '0' && c <= '9');
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
         || (c >= 'A' && c <= 'F');
}

// True if `text` has 1 to `max_bytes` bytes, each alphanumeric or in
// `extra`.
bool matches(std::string_view text, size_t max_bytes, std::string_view extra) {
  return !text.empty() && text.size() <= max_bytes
         && std::all_of(text.begin(), text.end(), [&](char c) {
              return is_alnum(c) || extra.find(c) != std::string_view::npos;
            });
}

bool is_valid_role(std::string_view role) {
  return matches(role, max_name_bytes, "._@:-");
}

bool is_printable_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c > ' ' && c < '\x7f'; });
}

bool has_control_characters(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
  });
}

caf::error invalid(std::string what) {
  return make_error(errc::invalid_argument, std::move(what));
}

caf::error validate_roles(const std::vector<std::string>& roles) {
  if (roles.size() > max_roles)
    return invalid("at most " + std::to_string(max_roles) + " roles");
  if (!std::all_of(roles.begin(), roles.end(), is_valid_role))
    return invalid("role names must match [A-Za-z0-9._@:-]{1,64}");
  return caf::none;
}

// -- reading stored records ---------------------------------------------------

// Reads one field of a stored record; false if it is missing or of another
// type. Values never go into messages: they may be hashes.
bool read(const json& obj, const char* field, std::string& out) {
  auto i = obj.find(field);
  if (i == obj.end() || !i->is_string())
    return false;
  out = i->get<std::string>();
  return true;
}

bool read(const json& obj, const char* field, int64_t& out) {
  auto i = obj.find(field);
  if (i == obj.end() || !i->is_number_integer())
    return false;
  out = i->get<int64_t>();
  return true;
}

bool read(const json& obj, const char* field, bool& out) {
  auto i = obj.find(field);
  if (i == obj.end() || !i->is_boolean())
    return false;
  out = i->get<bool>();
  return true;
}

bool read(const json& obj, const char* field, std::vector<std::string>& out) {
  auto i = obj.find(field);
  if (i == obj.end() || !i->is_array())
    return false;
  out.clear();
  for (const auto& item : *i) {
    if (!item.is_string())
      return false;
    out.push_back(item.get<std::string>());
  }
  return true;
}

caf::error damaged(std::string_view where, std::string why) {
  return make_error(errc::failed_precondition, "credential record '"
                                                 + std::string{where}
                                                 + "' is damaged: " + why);
}

caf::expected<json> parse_object(std::string_view text,
                                 std::string_view where) {
  auto obj = json::parse(text.begin(), text.end(), nullptr, false);
  if (obj.is_discarded() || !obj.is_object())
    return damaged(where, "not a JSON object");
  return obj;
}

// A decoded record must pass the same checks as a new one.
template <class Record>
caf::expected<Record> checked(Record record, std::string_view where) {
  if (auto err = validate(record))
    return damaged(where, render(err));
  return record;
}

} // namespace

bool is_usable(const api_key_record& key, int64_t now_unix) {
  return !key.revoked && (key.expires_at == 0 || now_unix < key.expires_at);
}

bool is_valid_principal_name(std::string_view name) {
  return matches(name, max_name_bytes, "._@-");
}

bool is_valid_api_key_id(std::string_view id) {
  return matches(id, max_name_bytes, "_-");
}

caf::error validate(const user_record& user) {
  if (!is_valid_principal_name(user.name))
    return invalid("user names must match [A-Za-z0-9._@-]{1,64}");
  if (user.password_hash.empty()
      || user.password_hash.size() > max_password_hash_bytes
      || !is_printable_ascii(user.password_hash))
    return invalid("a password hash must be printable ASCII of 1 to 1024 "
                   "bytes");
  if (user.created_at < 0)
    return invalid("created_at must not be negative");
  return validate_roles(user.roles);
}

caf::error validate(const api_key_record& key) {
  if (!is_valid_api_key_id(key.id))
    return invalid("API key ids must match [A-Za-z0-9_-]{1,64}");
  if (key.name.empty() || key.name.size() > max_key_name_bytes
      || has_control_characters(key.name))
    return invalid("an API key name must have 1 to 128 bytes and no "
                   "control characters");
  if (key.key_hash.size() != sha256_hex_digits
      || !std::all_of(key.key_hash.begin(), key.key_hash.end(), is_hex))
    return invalid("an API key hash must be 64 hex digits");
  if (!is_valid_principal_name(key.principal))
    return invalid("principal names must match [A-Za-z0-9._@-]{1,64}");
  if (key.created_at < 0 || key.expires_at < 0)
    return invalid("created_at and expires_at must not be negative");
  return validate_roles(key.roles);
}

std::string encode(const user_record& user) {
  return json{{"name", user.name},
              {"password_hash", user.password_hash},
              {"roles", user.roles},
              {"created_at", user.created_at},
              {"disabled", user.disabled}}
    .dump();
}

std::string encode(const api_key_record& key) {
  return json{{"id", key.id},
              {"name", key.name},
              {"key_hash", key.key_hash},
              {"principal", key.principal},
              {"roles", key.roles},
              {"created_at", key.created_at},
              {"expires_at", key.expires_at},
              {"revoked", key.revoked}}
    .dump();
}

caf::expected<user_record> decode_user(std::string_view text,
                                       std::string_view where) {
  auto obj = parse_object(text, where);
  if (!obj)
    return obj.error();
  user_record result;
  if (!read(*obj, "name", result.name)
      || !read(*obj, "password_hash", result.password_hash)
      || !read(*obj, "roles", result.roles)
      || !read(*obj, "created_at", result.created_at)
      || !read(*obj, "disabled", result.disabled))
    return damaged(where, "a field is missing or of the wrong type");
  return checked(std::move(result), where);
}

caf::expected<api_key_record> decode_api_key(std::string_view text,
                                             std::string_view where) {
  auto obj = parse_object(text, where);
  if (!obj)
    return obj.error();
  api_key_record result;
  if (!read(*obj, "id", result.id) || !read(*obj, "name", result.name)
      || !read(*obj, "key_hash", result.key_hash)
      || !read(*obj, "principal", result.principal)
      || !read(*obj, "roles", result.roles)
      || !read(*obj, "created_at", result.created_at)
      || !read(*obj, "expires_at", result.expires_at)
      || !read(*obj, "revoked", result.revoked))
    return damaged(where, "a field is missing or of the wrong type");
  return checked(std::move(result), where);
}

} // namespace bsm::security
