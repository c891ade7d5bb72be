#include "gateway/a2a_protocol.hpp"

#include <array>
#include <utility>

namespace bsm::gateway {

namespace {

constexpr const char* answer_artifact = "answer";
constexpr size_t max_context_id = 128;
constexpr size_t max_task_id = 200;

rpc_failure bad_params(std::string message) {
  return {rpc_code::invalid_params, std::move(message)};
}

bool v1(a2a_dialect d) {
  return d == a2a_dialect::v1;
}

bool session_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'
         || c == ':';
}

json text_part(const std::string& text, a2a_dialect d) {
  if (v1(d))
    return {{"text", text}};
  return {{"kind", "text"}, {"text", text}};
}

json agent_message(const task_view& task, const std::string& text,
                   a2a_dialect d) {
  json msg{{"messageId", task.id + "-status"},
           {"role", v1(d) ? "ROLE_AGENT" : "agent"},
           {"parts", json::array({text_part(text, d)})},
           {"contextId", task.context_id},
           {"taskId", task.id}};
  if (!v1(d))
    msg["kind"] = "message";
  return msg;
}

json status_json(const task_view& task, a2a_dialect d) {
  json status{{"state", state_name(task.state, d)}};
  if (task.state == task_state::failed && !task.error.empty())
    status["message"] = agent_message(task, task.error, d);
  return status;
}

json artifact_json(const std::string& text, a2a_dialect d) {
  return {{"artifactId", answer_artifact},
          {"name", answer_artifact},
          {"parts", json::array({text_part(text, d)})}};
}

// The text of one part, or a failure for a part that is not text.
std::variant<std::string, rpc_failure> part_text(const json& part) {
  if (!part.is_object())
    return bad_params("every part of 'message.parts' must be an object");
  auto text = part.find("text");
  if (text != part.end() && text->is_string())
    return text->get<std::string>();
  if (text != part.end())
    return bad_params("a part's 'text' must be a string");
  return rpc_failure{a2a_code::content_type_not_supported,
                     "only text parts are served (the agents read and write "
                     "text/plain)"};
}

// Checks what `configuration` asks for that is not served.
std::optional<rpc_failure> check_configuration(const json& params) {
  auto config = params.find("configuration");
  if (config == params.end() || config->is_null())
    return std::nullopt;
  if (!config->is_object())
    return bad_params("'configuration' must be an object");
  for (const auto* key :
       {"taskPushNotificationConfig", "pushNotificationConfig"})
    if (auto x = config->find(key); x != config->end() && !x->is_null())
      return rpc_failure{a2a_code::push_notification_not_supported,
                         "push notifications are not served: stream "
                         "(SendStreamingMessage) or get the task instead"};
  return std::nullopt;
}

} // namespace

std::optional<a2a_call> a2a_method_of(std::string_view name) {
  using m = a2a_method;
  static constexpr std::array<std::pair<std::string_view, a2a_call>, 8> names{
    {{"SendMessage", {m::send, a2a_dialect::v1}},
     {"SendStreamingMessage", {m::stream, a2a_dialect::v1}},
     {"GetTask", {m::get_task, a2a_dialect::v1}},
     {"CancelTask", {m::cancel_task, a2a_dialect::v1}},
     {"message/send", {m::send, a2a_dialect::v0_3}},
     {"message/stream", {m::stream, a2a_dialect::v0_3}},
     {"tasks/get", {m::get_task, a2a_dialect::v0_3}},
     {"tasks/cancel", {m::cancel_task, a2a_dialect::v0_3}}}};
  for (const auto& [x, call] : names)
    if (x == name)
      return call;
  return std::nullopt;
}

bool a2a_version_served(std::string_view version) {
  if (version.empty())
    return true;
  for (std::string_view served : {"1.0", "0.3"})
    if (version == served
        || (version.size() > served.size()
            && version.substr(0, served.size()) == served
            && version[served.size()] == '.'))
      return true;
  return version == "1";
}

std::string state_name(task_state state, a2a_dialect d) {
  switch (state) {
    case task_state::working: return v1(d) ? "TASK_STATE_WORKING" : "working";
    case task_state::completed:
      return v1(d) ? "TASK_STATE_COMPLETED" : "completed";
    case task_state::failed: return v1(d) ? "TASK_STATE_FAILED" : "failed";
    case task_state::canceled:
      return v1(d) ? "TASK_STATE_CANCELED" : "canceled";
  }
  return {};
}

bool is_terminal(task_state state) {
  return state != task_state::working;
}

std::variant<send_request, rpc_failure> read_send_params(const json& params,
                                                         size_t max_bytes) {
  if (auto refused = check_configuration(params))
    return *refused;
  auto msg = params.find("message");
  if (msg == params.end() || !msg->is_object())
    return bad_params("'message' must be an object");
  auto role = msg->value("role", json{});
  if (role != "ROLE_USER" && role != "user")
    return bad_params("'message.role' must be ROLE_USER (or \"user\")");
  if (auto task = msg->find("taskId");
      task != msg->end()
      && !(task->is_string() && task->get_ref<const std::string&>().empty()))
    return rpc_failure{a2a_code::unsupported_operation,
                       "a task is not continued: send a new message with "
                       "the task's contextId instead of its taskId"};
  auto parts = msg->find("parts");
  if (parts == msg->end() || !parts->is_array() || parts->empty())
    return bad_params("'message.parts' must be a non-empty array");
  send_request out;
  for (const auto& part : *parts) {
    auto text = part_text(part);
    if (auto* failure = std::get_if<rpc_failure>(&text))
      return *failure;
    if (!out.text.empty())
      out.text += '\n';
    out.text += std::get<std::string>(text);
    if (out.text.size() > max_bytes)
      return bad_params("the message's text is longer than "
                        + std::to_string(max_bytes) + " bytes");
  }
  if (out.text.empty())
    return bad_params("the message's text is empty");
  if (auto ctx = msg->find("contextId"); ctx != msg->end() && !ctx->is_null()) {
    if (!ctx->is_string())
      return bad_params("'message.contextId' must be a string");
    out.context_id = ctx->get<std::string>();
    if (out.context_id.size() > max_context_id)
      return bad_params("'message.contextId' is longer than 128 characters");
    for (char c : out.context_id)
      if (!session_char(c))
        return bad_params("'message.contextId' may hold only letters, "
                          "digits and -_.:");
  }
  return out;
}

std::variant<std::string, rpc_failure> read_task_id(const json& params) {
  auto id = params.find("id");
  if (id == params.end() || !id->is_string()
      || id->get_ref<const std::string&>().empty())
    return bad_params("'id' must be the task's id");
  if (id->get_ref<const std::string&>().size() > max_task_id)
    return rpc_failure{a2a_code::task_not_found, "Task not found"};
  return id->get<std::string>();
}

json task_json(const task_view& task, a2a_dialect d) {
  json out{{"id", task.id},
           {"contextId", task.context_id},
           {"status", status_json(task, d)}};
  if (task.state == task_state::completed)
    out["artifacts"] = json::array({artifact_json(task.answer, d)});
  if (!v1(d))
    out["kind"] = "task";
  return out;
}

json send_result(const task_view& task, a2a_dialect d) {
  if (v1(d))
    return {{"task", task_json(task, d)}};
  return task_json(task, d);
}

json stream_task_event(const task_view& task, a2a_dialect d) {
  return send_result(task, d);
}

json stream_artifact_event(const task_view& task, const std::string& text,
                           bool append, bool last, a2a_dialect d) {
  json event{{"taskId", task.id},
             {"contextId", task.context_id},
             {"artifact", artifact_json(text, d)},
             {"append", append},
             {"lastChunk", last}};
  if (v1(d))
    return {{"artifactUpdate", std::move(event)}};
  event["kind"] = "artifact-update";
  return event;
}

json stream_status_event(const task_view& task, a2a_dialect d) {
  json event{{"taskId", task.id},
             {"contextId", task.context_id},
             {"status", status_json(task, d)}};
  if (v1(d))
    return {{"statusUpdate", std::move(event)}};
  event["kind"] = "status-update";
  event["final"] = is_terminal(task.state);
  return event;
}

json agent_card(const card_facts& facts) {
  auto tags = json::array({"chat"});
  for (const auto& tool : facts.tools)
    tags.push_back(tool);
  auto description = facts.description.empty()
                       ? "The agent " + facts.agent + " of a BSM-AgentOS node"
                       : facts.description;
  return {{"name", facts.agent},
          {"description", description},
          {"version", facts.version},
          {"supportedInterfaces", json::array({{{"url", facts.url},
                                                {"protocolBinding", "JSONRPC"},
                                                {"protocolVersion", "1.0"}}})},
          // For 0.3 clients, which read these instead.
          {"url", facts.url},
          {"preferredTransport", "JSONRPC"},
          {"protocolVersion", "0.3"},
          {"capabilities", {{"streaming", true}, {"pushNotifications", false}}},
          {"defaultInputModes", json::array({"text/plain"})},
          {"defaultOutputModes", json::array({"text/plain"})},
          {"skills", json::array({{{"id", "chat"},
                                   {"name", facts.agent},
                                   {"description", description},
                                   {"tags", std::move(tags)}}})}};
}

} // namespace bsm::gateway
