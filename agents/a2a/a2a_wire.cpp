#include "agents/a2a/a2a_wire.hpp"

#include <algorithm>

#include "runtime/ascii.hpp"
#include "runtime/error.hpp"

namespace bsm::a2a {

namespace {

constexpr std::string_view well_known = "/.well-known/agent-card.json";
constexpr size_t max_context_id = 128;

caf::error bad_card(const std::string& what) {
  return make_error(errc::invalid_argument, "the agent card " + what);
}

std::string text_field(const json& x, const char* key) {
  auto i = x.find(key);
  return i != x.end() && i->is_string() ? i->get<std::string>() : std::string{};
}

// "TASK_STATE_INPUT_REQUIRED" and "input-required" alike.
std::string state_of(const json& task) {
  auto status = task.find("status");
  if (status == task.end() || !status->is_object())
    return {};
  auto state = ascii_lower(text_field(*status, "state"));
  if (state.rfind("task_state_", 0) == 0)
    state = state.substr(11);
  std::replace(state.begin(), state.end(), '_', '-');
  return state;
}

// The text parts of `parts` joined by newlines.
std::string text_of(const json& parts) {
  std::string out;
  if (!parts.is_array())
    return out;
  for (const auto& part : parts) {
    if (!part.is_object())
      continue;
    auto text = text_field(part, "text");
    if (text.empty())
      continue;
    if (!out.empty())
      out += '\n';
    out += text;
  }
  return out;
}

std::string artifacts_text(const json& task) {
  std::string out;
  auto artifacts = task.find("artifacts");
  if (artifacts == task.end() || !artifacts->is_array())
    return out;
  for (const auto& artifact : *artifacts) {
    if (!artifact.is_object())
      continue;
    auto text = text_of(artifact.value("parts", json::array()));
    if (!text.empty())
      out += (out.empty() ? "" : "\n") + text;
  }
  return out;
}

std::string status_text(const json& task) {
  auto status = task.find("status");
  if (status == task.end() || !status->is_object())
    return {};
  auto msg = status->find("message");
  if (msg == status->end() || !msg->is_object())
    return {};
  return text_of(msg->value("parts", json::array()));
}

caf::expected<answer> task_answer(const json& task) {
  answer out;
  out.context_id = text_field(task, "contextId");
  out.state = state_of(task);
  if (out.state == "failed" || out.state == "rejected"
      || out.state == "canceled") {
    auto why = status_text(task);
    return make_error(errc::internal, "the remote task " + out.state
                                        + (why.empty() ? "" : ": " + why));
  }
  out.text = artifacts_text(task);
  auto said = status_text(task);
  if (out.text.empty())
    out.text = said;
  else if (!said.empty() && out.state != "completed")
    out.text += "\n" + said;
  return out;
}

answer message_answer(const json& msg) {
  return {text_of(msg.value("parts", json::array())),
          text_field(msg, "contextId"),
          {}};
}

} // namespace

std::string card_url(std::string_view url) {
  std::string out{url};
  if (out.size() >= 5 && out.compare(out.size() - 5, 5, ".json") == 0)
    return out;
  while (!out.empty() && out.back() == '/')
    out.pop_back();
  return out + std::string{well_known};
}

caf::expected<remote_card> read_card(const json& card) {
  if (!card.is_object())
    return bad_card("is not a JSON object");
  remote_card out;
  out.name = text_field(card, "name");
  out.description = text_field(card, "description");
  auto interfaces = card.find("supportedInterfaces");
  if (interfaces != card.end() && interfaces->is_array()
      && !interfaces->empty()) {
    for (const auto& x : *interfaces) {
      if (!x.is_object()
          || ascii_lower(text_field(x, "protocolBinding")) != "jsonrpc")
        continue;
      auto version = text_field(x, "protocolVersion");
      bool is_v1 = version.rfind("1.", 0) == 0 || version == "1";
      if (out.endpoint.empty() || (is_v1 && !out.v1)) {
        out.endpoint = text_field(x, "url");
        out.v1 = is_v1 || version.empty();
      }
    }
    if (out.endpoint.empty())
      return bad_card("offers no JSONRPC interface (only JSON-RPC is spoken)");
    return out;
  }
  auto transport = ascii_lower(text_field(card, "preferredTransport"));
  if (!transport.empty() && transport != "jsonrpc")
    return bad_card("prefers " + text_field(card, "preferredTransport")
                    + " (only JSON-RPC is spoken)");
  out.endpoint = text_field(card, "url");
  out.v1 = false;
  if (out.endpoint.empty())
    return bad_card("names no 'supportedInterfaces' and no 'url'");
  return out;
}

v1::ToolSpec ask_tool(const std::string& server, const remote_card& card) {
  v1::ToolSpec spec;
  spec.set_name(server + "__ask");
  auto about = card.description.empty() ? card.name : card.description;
  spec.set_description(
    "Ask the remote A2A agent " + (card.name.empty() ? server : card.name)
    + (about.empty() ? "" : ": " + about)
    + ". Pass the context_id of its last answer to go on in that "
      "conversation.");
  json params{
    {"type", "object"},
    {"properties",
     {{"message", {{"type", "string"}, {"description", "What to ask"}}},
      {"context_id",
       {{"type", "string"},
        {"description", "The conversation to go on in (optional)"}}}}},
    {"required", json::array({"message"})},
    {"additionalProperties", false}};
  spec.set_parameters_json(params.dump());
  return spec;
}

caf::expected<ask> read_ask(const std::string& arguments_json) {
  auto args = json::parse(arguments_json, nullptr, false);
  if (!args.is_object())
    return make_error(errc::invalid_argument,
                      "the arguments must be a JSON object");
  ask out;
  for (const auto& [key, value] : args.items()) {
    if (!value.is_string() || (key != "message" && key != "context_id"))
      return make_error(errc::invalid_argument,
                        "unknown or non-string argument '" + key
                          + "' (the tool takes message and context_id)");
    (key == "message" ? out.message : out.context_id)
      = value.get<std::string>();
  }
  if (out.message.empty())
    return make_error(errc::invalid_argument,
                      "argument 'message' is missing or empty");
  if (out.context_id.size() > max_context_id)
    return make_error(errc::invalid_argument,
                      "argument 'context_id' is longer than 128 characters");
  return out;
}

json send_request(const ask& x, const remote_card& card, int64_t id,
                  const std::string& message_id) {
  json part = card.v1 ? json{{"text", x.message}}
                      : json{{"kind", "text"}, {"text", x.message}};
  json msg{{"messageId", message_id},
           {"role", card.v1 ? "ROLE_USER" : "user"},
           {"parts", json::array({std::move(part)})}};
  if (!card.v1)
    msg["kind"] = "message";
  if (!x.context_id.empty())
    msg["contextId"] = x.context_id;
  json params{{"message", std::move(msg)}};
  if (!card.v1)
    params["configuration"] = {{"blocking", true}};
  return {{"jsonrpc", "2.0"},
          {"id", id},
          {"method", card.v1 ? "SendMessage" : "message/send"},
          {"params", std::move(params)}};
}

caf::expected<answer> read_answer(const json& response) {
  if (!response.is_object())
    return make_error(errc::internal, "the remote agent answered no JSON-RPC "
                                      "response");
  if (auto err = response.find("error");
      err != response.end() && err->is_object())
    return make_error(errc::internal, "the remote agent answered error "
                                        + std::to_string(err->value("code", 0))
                                        + ": " + text_field(*err, "message"));
  auto result = response.find("result");
  if (result == response.end() || !result->is_object())
    return make_error(errc::internal,
                      "the remote agent's response has no result");
  // 1.0 wraps the result ({"task"} or {"message"}); 0.3 tells by `kind`.
  if (auto task = result->find("task");
      task != result->end() && task->is_object())
    return task_answer(*task);
  if (auto msg = result->find("message");
      msg != result->end() && msg->is_object())
    return message_answer(*msg);
  auto kind = text_field(*result, "kind");
  if (kind == "task")
    return task_answer(*result);
  if (kind == "message")
    return message_answer(*result);
  return make_error(errc::internal,
                    "the remote agent's result is neither a task nor a "
                    "message");
}

v1::ToolCallResponse tool_result(const answer& x) {
  v1::ToolCallResponse out;
  out.set_content(x.text);
  out.set_structured_json(json{
    {"answer", x.text},
    {"context_id", x.context_id},
    {"state", x.state}}.dump(-1, ' ', false, json::error_handler_t::replace));
  return out;
}

} // namespace bsm::a2a
