#include "node/bsmctl/message.hpp"

#include <cstdio>

#include "runtime/ascii.hpp"
#include "runtime/error.hpp"

namespace bsm::ctl {

namespace {

using json = nlohmann::json;

caf::error invalid(const std::string& what) {
  return make_error(errc::invalid_argument, what);
}

bool unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
         || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
         || c == '~';
}

// The text for an error message: trimmed, at most 80 characters.
std::string quote(const std::string& text) {
  auto out = std::string{ascii_trim(text)};
  if (out.empty())
    return "(empty)";
  if (out.size() > 80)
    out = out.substr(0, 77) + "...";
  return "'" + out + "'";
}

caf::expected<std::string> required_string(const json& doc, const char* key) {
  auto it = doc.find(key);
  if (it == doc.end() || !it->is_string() || it->get<std::string>().empty())
    return invalid(std::string{"field \""} + key
                   + "\" must be a non-empty string");
  return it->get<std::string>();
}

caf::error check_fields(const json& doc) {
  static constexpr const char* known[]
    = {"actor", "type", "payload", "mode", "idempotency_key", "timeout_ms"};
  for (const auto& item : doc.items()) {
    bool found = false;
    for (const char* key : known)
      found = found || item.key() == key;
    if (!found)
      return invalid("unknown field \"" + item.key() + "\"");
  }
  return caf::none;
}

caf::error read_optional_fields(const json& doc, outgoing_message& msg) {
  if (auto it = doc.find("payload"); it != doc.end()) {
    if (!it->is_object())
      return invalid("field \"payload\" must be a JSON object");
    msg.payload = *it;
  }
  if (auto it = doc.find("mode"); it != doc.end()) {
    if (*it != "tell" && *it != "ask")
      return invalid("field \"mode\" must be \"tell\" or \"ask\"");
    msg.ask = *it == "ask";
  }
  if (auto it = doc.find("idempotency_key"); it != doc.end()) {
    if (!it->is_string())
      return invalid("field \"idempotency_key\" must be a string");
    msg.idempotency_key = it->get<std::string>();
  }
  if (auto it = doc.find("timeout_ms"); it != doc.end()) {
    if (!it->is_number_unsigned() || it->get<uint64_t>() == 0)
      return invalid("field \"timeout_ms\" must be a positive integer");
    msg.timeout_ms = it->get<uint64_t>();
  }
  return caf::none;
}

} // namespace

std::string qualified_type(const std::string& type) {
  if (type.find('.') != std::string::npos)
    return type;
  return "bsm.v1." + type;
}

std::string percent_encode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (unreserved(c)) {
      out += c;
      continue;
    }
    char buf[4];
    std::snprintf(buf, sizeof(buf), "%%%02X", static_cast<unsigned char>(c));
    out += buf;
  }
  return out;
}

std::string messages_path(const std::string& actor) {
  return "/v1/actors/" + percent_encode(actor) + "/messages";
}

std::string request_body(const outgoing_message& msg) {
  json body{{"type", msg.type},
            {"payload", msg.payload},
            {"mode", msg.ask ? "ask" : "tell"}};
  if (msg.timeout_ms)
    body["timeout_ms"] = *msg.timeout_ms;
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

caf::expected<json> parse_payload(const std::string& text) {
  auto doc = json::parse(text, nullptr, false);
  if (doc.is_discarded())
    return invalid("payload is not valid JSON: " + quote(text));
  if (!doc.is_object())
    return invalid("payload must be a JSON object, not " + quote(text));
  return doc;
}

caf::expected<outgoing_message>
parse_batch_line(const std::string& line, const batch_defaults& defaults) {
  auto doc = json::parse(line, nullptr, false);
  if (doc.is_discarded())
    return invalid("not valid JSON");
  if (!doc.is_object())
    return invalid("a line must be a JSON object");
  if (auto err = check_fields(doc))
    return err;
  outgoing_message msg;
  msg.ask = defaults.ask;
  msg.timeout_ms = defaults.timeout_ms;
  auto actor = required_string(doc, "actor");
  if (!actor)
    return actor.error();
  auto type = required_string(doc, "type");
  if (!type)
    return type.error();
  msg.actor = std::move(*actor);
  msg.type = qualified_type(*type);
  if (auto err = read_optional_fields(doc, msg))
    return err;
  return msg;
}

} // namespace bsm::ctl
