#include "agents/mcp/server_requests.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include <nlohmann/json.hpp>

namespace bsm::mcp {

namespace {

using json = nlohmann::json;

std::string dump(const json& x) {
  return x.dump(-1, ' ', false, json::error_handler_t::replace);
}

// The string at `key`, or "" if absent or not a string (json::value would
// throw for another type, and a server sends what it likes).
std::string text_at(const json& obj, const char* key) {
  auto i = obj.find(key);
  return i != obj.end() && i->is_string() ? i->get<std::string>()
                                          : std::string{};
}

// The values an enum-like property allows: `enum`, or the `const` of each
// `oneOf`/`anyOf` entry (titled enums). Empty: not an enum.
std::vector<json> allowed_values(const json& prop) {
  std::vector<json> out;
  if (auto i = prop.find("enum"); i != prop.end() && i->is_array())
    out.assign(i->begin(), i->end());
  for (const auto* key : {"oneOf", "anyOf"})
    if (auto i = prop.find(key); i != prop.end() && i->is_array())
      for (const auto& x : *i)
        if (x.is_object() && x.contains("const"))
          out.push_back(x["const"]);
  return out;
}

bool is_allowed(const json& value, const std::vector<json>& allowed) {
  return allowed.empty()
         || std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

bool is_whole(const json& x) {
  if (x.is_number_integer())
    return true;
  return x.is_number_float() && std::isfinite(x.get<double>())
         && std::floor(x.get<double>()) == x.get<double>();
}

// True if `value` is a valid answer for the property `prop`.
bool fits(const json& prop, const json& value) {
  auto type = text_at(prop, "type");
  if (type == "string")
    return value.is_string() && is_allowed(value, allowed_values(prop));
  if (type == "integer")
    return is_whole(value);
  if (type == "number")
    return value.is_number();
  if (type == "boolean")
    return value.is_boolean();
  if (type == "array") {
    // Multi-select enums: each chosen value among the items' values.
    auto items = prop.value("items", json::object());
    auto allowed
      = items.is_object() ? allowed_values(items) : std::vector<json>{};
    return value.is_array()
           && std::all_of(value.begin(), value.end(), [&](const json& x) {
                return x.is_string() && is_allowed(x, allowed);
              });
  }
  // No type: an enum, or any plain value.
  return !value.is_object() && is_allowed(value, allowed_values(prop));
}

} // namespace

rpc_answer rpc_answer::ok(std::string result_json) {
  rpc_answer x;
  x.result_json = std::move(result_json);
  return x;
}

rpc_answer rpc_answer::error(int64_t code, std::string message) {
  rpc_answer x;
  x.code = code;
  x.message = std::move(message);
  return x;
}

std::optional<elicitation_policy> parse_elicitation_policy(std::string_view x) {
  if (x == "decline")
    return elicitation_policy::decline;
  if (x == "defaults")
    return elicitation_policy::defaults;
  if (x == "ask")
    return elicitation_policy::ask;
  return std::nullopt;
}

std::string_view to_string(elicitation_policy x) {
  switch (x) {
    case elicitation_policy::defaults: return "defaults";
    case elicitation_policy::ask: return "ask";
    default: return "decline";
  }
}

std::optional<std::string> form_defaults(const std::string& schema_json) {
  auto schema = json::parse(schema_json, nullptr, false);
  if (!schema.is_object())
    return std::nullopt;
  auto props = schema.value("properties", json::object());
  if (!props.is_object())
    return std::nullopt;
  auto content = json::object();
  for (const auto& [name, prop] : props.items()) {
    if (!prop.is_object())
      return std::nullopt;
    auto i = prop.find("default");
    if (i == prop.end())
      continue;
    if (!fits(prop, *i))
      return std::nullopt;
    content[name] = *i;
  }
  auto required = schema.value("required", json::array());
  if (!required.is_array())
    return std::nullopt;
  for (const auto& name : required)
    if (!name.is_string() || !content.contains(name.get<std::string>()))
      return std::nullopt;
  return dump(content);
}

std::string form_problem(const std::string& schema_json,
                         const std::string& content_json) {
  auto schema = json::parse(schema_json, nullptr, false);
  auto content = json::parse(content_json, nullptr, false);
  if (!content.is_object())
    return "the content is not a JSON object";
  auto props = schema.is_object() ? schema.value("properties", json::object())
                                  : json::object();
  if (!props.is_object())
    props = json::object();
  for (const auto& [name, value] : content.items()) {
    auto prop = props.find(name);
    if (prop == props.end())
      return "the form has no field '" + name + "'";
    if (!prop->is_object() || !fits(*prop, value))
      return "field '" + name
             + "' does not fit the form: " + dump(*prop).substr(0, 200);
  }
  auto required = schema.is_object() ? schema.value("required", json::array())
                                     : json::array();
  if (required.is_array())
    for (const auto& name : required)
      if (name.is_string() && !content.contains(name.get<std::string>()))
        return "required field '" + name.get<std::string>() + "' is missing";
  return {};
}

std::variant<form_request, rpc_answer>
parse_form_request(const std::string& params_json) {
  auto params = json::parse(params_json, nullptr, false);
  if (!params.is_object())
    return rpc_answer::error(rpc_invalid_params,
                             "elicitation/create: params are not an object");
  auto mode = text_at(params, "mode");
  if (!mode.empty() && mode != "form")
    // URL mode needs a person to open the page.
    return answer_of_question("decline", "");
  auto schema = params.find("requestedSchema");
  if (schema == params.end() || !schema->is_object())
    return rpc_answer::error(rpc_invalid_params,
                             "elicitation/create: requestedSchema is not an "
                             "object");
  return form_request{text_at(params, "message"), dump(*schema)};
}

rpc_answer answer_elicitation(elicitation_policy policy,
                              const std::string& params_json) {
  auto form = parse_form_request(params_json);
  if (auto* answer = std::get_if<rpc_answer>(&form))
    return std::move(*answer);
  auto& request = std::get<form_request>(form);
  if (policy != elicitation_policy::defaults)
    return answer_of_question("decline", "");
  auto content = form_defaults(request.schema_json);
  if (!content)
    return answer_of_question("decline", "");
  return answer_of_question("accept", *content);
}

rpc_answer answer_of_question(const std::string& action,
                              const std::string& content_json) {
  json result{{"action", action}};
  if (action == "accept") {
    auto content = json::parse(content_json, nullptr, false);
    result["content"] = content.is_object() ? content : json::object();
  }
  return rpc_answer::ok(dump(result));
}

std::string roots_result(const std::vector<root>& roots) {
  auto list = json::array();
  for (const auto& r : roots) {
    json entry{{"uri", r.uri}};
    if (!r.name.empty())
      entry["name"] = r.name;
    list.push_back(std::move(entry));
  }
  return dump(json{{"roots", std::move(list)}});
}

std::string root_uri_problem(std::string_view uri) {
  constexpr std::string_view scheme = "file://";
  if (uri.substr(0, scheme.size()) != scheme)
    return "must be a file:// URI";
  if (uri.size() == scheme.size())
    return "names no path";
  if (uri.find_first_of(std::string_view{" \r\n\t\0", 5}) != std::string::npos)
    return "must not contain spaces, line breaks or NUL (percent-encode "
           "them)";
  return {};
}

std::optional<progress_update> parse_progress(const std::string& params_json) {
  auto params = json::parse(params_json, nullptr, false);
  if (!params.is_object())
    return std::nullopt;
  auto token = params.find("progressToken");
  auto progress = params.find("progress");
  if (token == params.end() || !(token->is_string() || token->is_number())
      || progress == params.end() || !progress->is_number())
    return std::nullopt;
  progress_update out;
  out.token_json = dump(*token);
  out.progress = progress->get<double>();
  if (auto total = params.find("total");
      total != params.end() && total->is_number())
    out.total = total->get<double>();
  if (auto msg = params.find("message");
      msg != params.end() && msg->is_string())
    out.message = msg->get<std::string>();
  return out;
}

} // namespace bsm::mcp
