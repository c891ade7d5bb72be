#include "agents/mcp/sampling.hpp"

#include <algorithm>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "runtime/error.hpp"

namespace bsm::mcp {

namespace {

using json = nlohmann::json;

caf::error bad(const std::string& what) {
  return make_error(errc::invalid_argument, "sampling/createMessage: " + what);
}

// The string at `key`, or "" (json::value would throw for another type).
std::string text_at(const json& obj, const char* key) {
  if (!obj.is_object())
    return {};
  auto i = obj.find(key);
  return i != obj.end() && i->is_string() ? i->get<std::string>()
                                          : std::string{};
}

// The text of a message's content: one text block or an array of them.
caf::expected<std::string> text_of(const json& content) {
  auto block_text = [](const json& block) -> caf::expected<std::string> {
    if (text_at(block, "type") != "text" || !block.contains("text")
        || !block["text"].is_string())
      return bad("only text content is supported, not '"
                 + text_at(block, "type") + "'");
    return block["text"].get<std::string>();
  };
  if (!content.is_array())
    return block_text(content);
  std::string out;
  for (const auto& block : content) {
    auto text = block_text(block);
    if (!text)
      return text.error();
    out += (out.empty() ? "" : "\n") + *text;
  }
  return out;
}

} // namespace

caf::expected<v1::ModelRequest>
sampling_request(const std::string& params_json,
                 const v1::ModelSettings& model) {
  auto params = json::parse(params_json, nullptr, false);
  if (!params.is_object())
    return bad("params are not an object");
  if (params.contains("tools"))
    return bad("tools in sampling requests are not supported");
  auto messages = params.value("messages", json::array());
  if (!messages.is_array() || messages.empty())
    return bad("messages must be a non-empty array");
  auto max_tokens = params.value("maxTokens", json{});
  if (!max_tokens.is_number_integer() || max_tokens.get<int64_t>() <= 0)
    return bad("maxTokens must be a positive integer");
  v1::ModelRequest req;
  *req.mutable_model() = model;
  auto limit = static_cast<uint32_t>(
    std::min<int64_t>(max_tokens.get<int64_t>(), UINT32_MAX));
  if (model.max_tokens() == 0 || model.max_tokens() > limit)
    req.mutable_model()->set_max_tokens(limit);
  if (auto t = params.value("temperature", json{}); t.is_number())
    req.mutable_model()->set_temperature(t.get<double>());
  if (auto sys = params.value("systemPrompt", json{});
      sys.is_string() && !sys.get<std::string>().empty()) {
    auto* m = req.add_messages();
    m->set_role("system");
    m->set_content(sys.get<std::string>());
  }
  for (const auto& msg : messages) {
    auto role = text_at(msg, "role");
    if (role != "user" && role != "assistant")
      return bad("message role must be user or assistant, not '" + role + "'");
    auto text
      = text_of(msg.is_object() ? msg.value("content", json{}) : json{});
    if (!text)
      return text.error();
    auto* m = req.add_messages();
    m->set_role(role);
    m->set_content(std::move(*text));
  }
  return req;
}

std::string sampling_result(const v1::ModelResponse& resp) {
  json out{
    {"role", "assistant"},
    {"content", {{"type", "text"}, {"text", resp.message().content()}}},
    {"model", resp.model()},
    {"stopReason", resp.finish_reason() == "length" ? "maxTokens" : "endTurn"}};
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace bsm::mcp
