#include "node/bsmctl/output.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <yaml-cpp/yaml.h>

namespace bsm::ctl {

std::string compact(const ordered_json& doc) {
  return doc.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

std::optional<ordered_json> parse_body(const std::string& body) {
  auto doc = ordered_json::parse(body, nullptr, false);
  if (doc.is_discarded())
    return std::nullopt;
  return doc;
}

std::string one_line(const std::string& body) {
  if (auto doc = parse_body(body))
    return compact(*doc);
  auto text = body;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  return text;
}

std::string single_line(std::string text) {
  for (auto& c : text)
    if (c == '\n' || c == '\r' || c == '\t')
      c = ' ';
  return text;
}

std::string text_of(const ordered_json& doc, const char* key,
                    const std::string& fallback) {
  if (!doc.is_object())
    return fallback;
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null())
    return fallback;
  return cell(*it);
}

std::string cell(const ordered_json& value) {
  if (value.is_string())
    return value.get<std::string>();
  return compact(value);
}

std::string format_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i)
      widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size())
        out.append(widths[i] - row[i].size() + 2, ' ');
    }
    out += '\n';
  }
  return out;
}

std::string actors_table(const ordered_json& doc) {
  const ordered_json* list = &doc;
  if (doc.is_object() && doc.contains("actors"))
    list = &doc["actors"];
  std::vector<std::vector<std::string>> rows{{"NAME", "MAILBOX_DEPTH"}};
  if (list->is_array())
    for (const auto& actor : *list)
      rows.push_back({text_of(actor, "name"), text_of(actor, "mailbox_depth")});
  return format_table(rows);
}

namespace {

// A loaded plugin's tools and actor kinds' paths, or a failed one's reason.
std::string plugin_offers(const ordered_json& plugin) {
  if (text_of(plugin, "state") != "loaded")
    return text_of(plugin, "reason");
  std::string text;
  auto add = [&text](const std::string& x) {
    text += (text.empty() ? "" : " ") + x;
  };
  if (plugin.contains("tools") && plugin["tools"].is_array())
    for (const auto& tool : plugin["tools"])
      add(cell(tool));
  if (plugin.contains("actor_kinds") && plugin["actor_kinds"].is_array())
    for (const auto& kind : plugin["actor_kinds"])
      add(text_of(kind, "path"));
  return text.empty() ? "-" : text;
}

} // namespace

std::string plugins_table(const ordered_json& doc) {
  std::vector<std::vector<std::string>> rows{
    {"NAME", "STATE", "VERSION", "OFFERS_OR_REASON", "PATH"}};
  if (doc.is_object() && doc.contains("plugins") && doc["plugins"].is_array())
    for (const auto& p : doc["plugins"])
      rows.push_back({text_of(p, "name").empty() ? "-" : text_of(p, "name"),
                      text_of(p, "state"), text_of(p, "version"),
                      plugin_offers(p), text_of(p, "path")});
  return format_table(rows);
}

std::string event_line(const ordered_json& event) {
  std::string data = "-";
  if (event.is_object() && event.contains("data"))
    data = compact(event["data"]);
  return text_of(event, "time") + ' ' + text_of(event, "topic") + ' '
         + text_of(event, "source") + ' ' + data;
}

std::string fields_table(const ordered_json& doc) {
  if (!doc.is_object())
    return compact(doc) + '\n';
  std::vector<std::vector<std::string>> rows{{"KEY", "VALUE"}};
  for (const auto& item : doc.items())
    rows.push_back({item.key(), cell(item.value())});
  return format_table(rows);
}

namespace {

// A string that a YAML reader would take for a number, a boolean or null
// when written plain ("7", "true", "null", "0x1f"): the protobuf JSON
// mapping writes 64-bit integers as such strings.
bool looks_typed(const std::string& text) {
  std::string lower;
  for (char c : text)
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* word : {"true", "false", "yes", "no", "on", "off", "y", "n",
                           "null", "~", ".inf", "-.inf", "+.inf", ".nan"})
    if (lower == word)
      return true;
  if (lower.rfind("0x", 0) == 0 || lower.rfind("0o", 0) == 0)
    return true;
  char* end = nullptr;
  (void)std::strtod(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size();
}

void emit(YAML::Emitter& out, const ordered_json& value) {
  switch (value.type()) {
    case ordered_json::value_t::object:
      out << YAML::BeginMap;
      for (const auto& item : value.items())
        emit(out << YAML::Key << item.key() << YAML::Value, item.value());
      out << YAML::EndMap;
      break;
    case ordered_json::value_t::array:
      out << YAML::BeginSeq;
      for (const auto& item : value)
        emit(out, item);
      out << YAML::EndSeq;
      break;
    case ordered_json::value_t::string: {
      const auto& text = value.get_ref<const std::string&>();
      if (looks_typed(text))
        out << YAML::DoubleQuoted;
      out << text;
      break;
    }
    case ordered_json::value_t::boolean: out << value.get<bool>(); break;
    case ordered_json::value_t::number_integer:
      out << value.get<int64_t>();
      break;
    case ordered_json::value_t::number_unsigned:
      out << value.get<uint64_t>();
      break;
    case ordered_json::value_t::number_float: out << value.get<double>(); break;
    default: out << YAML::Null; break;
  }
}

} // namespace

std::string yaml_document(const ordered_json& doc) {
  YAML::Emitter out;
  emit(out, doc);
  return std::string{out.c_str()} + '\n';
}

std::string error_summary(const std::string& body) {
  auto doc = parse_body(body);
  if (doc && doc->is_object() && doc->contains("error")
      && (*doc)["error"].is_object()) {
    const auto& err = (*doc)["error"];
    return text_of(err, "code", "error") + ": " + text_of(err, "message", "");
  }
  return one_line(body);
}

} // namespace bsm::ctl
