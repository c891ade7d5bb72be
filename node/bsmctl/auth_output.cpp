#include "node/bsmctl/auth_output.hpp"

namespace bsm::ctl {

namespace {

// The array under `key` of `doc` (or `doc` itself when it is an array).
ordered_json list_of(const ordered_json& doc, const char* key) {
  if (doc.is_array())
    return doc;
  if (doc.is_object() && doc.contains(key) && doc[key].is_array())
    return doc[key];
  return ordered_json::array();
}

std::string field_list(const ordered_json& entry, const char* key) {
  if (!entry.is_object() || !entry.contains(key))
    return "-";
  return joined(entry[key]);
}

} // namespace

std::string joined(const ordered_json& list) {
  if (!list.is_array() || list.empty())
    return "-";
  std::string out;
  for (const auto& item : list)
    out += (out.empty() ? "" : ",") + cell(item);
  return out;
}

std::string users_table(const ordered_json& doc) {
  std::vector<std::vector<std::string>> rows{
    {"NAME", "ROLES", "DISABLED", "CREATED"}};
  for (const auto& user : list_of(doc, "users"))
    rows.push_back({text_of(user, "name"), field_list(user, "roles"),
                    text_of(user, "disabled"), text_of(user, "created_at")});
  return format_table(rows);
}

std::string api_keys_table(const ordered_json& doc) {
  std::vector<std::vector<std::string>> rows{
    {"ID", "NAME", "PRINCIPAL", "ROLES", "EXPIRES", "REVOKED"}};
  for (const auto& key : list_of(doc, "api_keys"))
    rows.push_back({text_of(key, "id"), text_of(key, "name"),
                    text_of(key, "principal"), field_list(key, "roles"),
                    text_of(key, "expires_at"), text_of(key, "revoked")});
  return format_table(rows);
}

std::string roles_table(const ordered_json& doc) {
  std::vector<std::vector<std::string>> rows{{"ROLE", "PERMISSIONS"}};
  for (const auto& role : list_of(doc, "roles"))
    rows.push_back({text_of(role, "name"), field_list(role, "permissions")});
  return format_table(rows);
}

} // namespace bsm::ctl
