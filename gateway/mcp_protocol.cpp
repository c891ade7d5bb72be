#include "gateway/mcp_protocol.hpp"

#include <algorithm>
#include <cctype>

namespace bsm::gateway {

namespace {

constexpr std::array<std::string_view, 8> log_levels
  = {"debug", "info",     "notice", "warning",
     "error", "critical", "alert",  "emergency"};

constexpr std::string_view tool_prefix = "ask_";

rpc_failure invalid(std::string message) {
  return {rpc_code::invalid_request, std::move(message)};
}

} // namespace

bool served_version(std::string_view v) {
  return std::find(served_versions.begin(), served_versions.end(), v)
         != served_versions.end();
}

std::variant<rpc_message, rpc_failure> read_message(const json& body) {
  if (body.is_array())
    return invalid("a batch of messages is not taken: send one per request");
  if (!body.is_object())
    return invalid("a JSON-RPC message is an object");
  auto version = body.find("jsonrpc");
  if (version == body.end() || *version != "2.0")
    return invalid("'jsonrpc' must be \"2.0\"");
  rpc_message msg;
  auto id = body.find("id");
  if (id != body.end()) {
    if (!id->is_string() && !id->is_number_integer())
      return invalid("'id' must be a string or an integer");
    msg.id = *id;
  }
  auto method = body.find("method");
  if (method == body.end()) {
    if (id == body.end()
        || (body.find("result") == body.end()
            && body.find("error") == body.end()))
      return invalid("a message needs a 'method', or an 'id' and a 'result' "
                     "or 'error'");
    msg.type = rpc_message::kind::response;
    return msg;
  }
  if (!method->is_string() || method->get_ref<const std::string&>().empty())
    return invalid("'method' must be a non-empty string");
  msg.method = method->get<std::string>();
  msg.type = id == body.end() ? rpc_message::kind::notification
                              : rpc_message::kind::request;
  auto params = body.find("params");
  if (params != body.end() && !params->is_null()) {
    if (!params->is_object())
      return rpc_failure{rpc_code::invalid_params,
                         "'params' must be an object"};
    msg.params = *params;
  }
  return msg;
}

json rpc_result(const json& id, json result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

json rpc_error(const json& id, const rpc_failure& failure) {
  return {{"jsonrpc", "2.0"},
          {"id", id},
          {"error", {{"code", failure.code}, {"message", failure.message}}}};
}

json initialize_result(const json& params, const std::string& node_name,
                       std::string* version) {
  std::string asked;
  if (auto x = params.find("protocolVersion");
      x != params.end() && x->is_string())
    asked = x->get<std::string>();
  *version = served_version(asked) ? asked : std::string{served_versions[0]};
  return {{"protocolVersion", *version},
          {"capabilities",
           {{"tools", {{"listChanged", false}}},
            {"resources", {{"listChanged", false}}},
            {"logging", json::object()}}},
          {"serverInfo",
           {{"name", "bsm-agentos"},
            {"title", "BSM-AgentOS node " + node_name},
            {"version", "0"}}},
          {"instructions",
           "Each tool ask_<agent> runs one turn of that agent: pass "
           "'message', and 'session_id' from an earlier answer to go on "
           "in the same session."}};
}

bool log_level_known(std::string_view level) {
  return std::find(log_levels.begin(), log_levels.end(), level)
         != log_levels.end();
}

std::string tool_name(const std::string& agent) {
  return std::string{tool_prefix} + agent;
}

std::optional<std::string> agent_of(std::string_view tool) {
  if (tool.size() <= tool_prefix.size()
      || tool.substr(0, tool_prefix.size()) != tool_prefix)
    return std::nullopt;
  return std::string{tool.substr(tool_prefix.size())};
}

json tools_list_result(const std::vector<agent_tool>& tools) {
  auto list = json::array();
  for (const auto& t : tools)
    list.push_back(
      {{"name", tool_name(t.agent)},
       {"title", "Ask " + t.agent},
       {"description",
        t.description.empty() ? "Asks the agent " + t.agent : t.description},
       {"inputSchema",
        {{"type", "object"},
         {"properties",
          {{"message",
            {{"type", "string"}, {"description", "What to ask the agent"}}},
           {"session_id",
            {{"type", "string"},
             {"description", "A session of an earlier answer, to go on "
                             "in it; absent: a new session"}}}}},
         {"required", {"message"}},
         {"additionalProperties", false}}},
       {"outputSchema",
        {{"type", "object"},
         {"properties",
          {{"output", {{"type", "string"}}},
           {"session_id", {{"type", "string"}}}}},
         {"required", {"output", "session_id"}}}}});
  return {{"tools", std::move(list)}};
}

std::variant<ask_arguments, rpc_failure>
read_ask_arguments(const json& arguments, size_t max_message_bytes) {
  auto bad = [](std::string m) {
    return rpc_failure{rpc_code::invalid_params, std::move(m)};
  };
  if (!arguments.is_object())
    return bad("'arguments' must be an object");
  ask_arguments out;
  for (const auto& [key, value] : arguments.items()) {
    if (key == "message" && value.is_string())
      out.message = value.get<std::string>();
    else if (key == "session_id" && value.is_string())
      out.session_id = value.get<std::string>();
    else if (key == "message" || key == "session_id")
      return bad("argument '" + key + "' must be a string");
    else
      return bad("unknown argument '" + key
                 + "' (the tool takes 'message' and 'session_id')");
  }
  if (out.message.empty())
    return bad("argument 'message' is missing or empty");
  if (out.message.size() > max_message_bytes)
    return bad("argument 'message' is longer than "
               + std::to_string(max_message_bytes) + " bytes");
  if (out.session_id.size() > 128)
    return bad("argument 'session_id' is longer than 128 characters");
  return out;
}

json answer_result(const std::string& output, const std::string& session_id) {
  return {
    {"content", {{{"type", "text"}, {"text", output}}}},
    {"structuredContent", {{"output", output}, {"session_id", session_id}}},
    {"isError", false}};
}

json failed_result(const std::string& message) {
  return {{"content", {{{"type", "text"}, {"text", message}}}},
          {"isError", true}};
}

std::string session_uri(const std::string& agent,
                        const std::string& session_id) {
  return "bsm://agents/" + agent + "/sessions/" + session_id;
}

std::optional<std::pair<std::string, std::string>>
parse_session_uri(std::string_view uri) {
  constexpr std::string_view prefix = "bsm://agents/";
  constexpr std::string_view middle = "/sessions/";
  if (uri.substr(0, prefix.size()) != prefix)
    return std::nullopt;
  uri.remove_prefix(prefix.size());
  auto cut = uri.find(middle);
  if (cut == std::string_view::npos || cut == 0)
    return std::nullopt;
  auto agent = uri.substr(0, cut);
  auto session = uri.substr(cut + middle.size());
  // Names as agents and sessions have them: no separators, no escapes.
  auto plain = [](std::string_view x) {
    return !x.empty() && x.size() <= 128
           && std::all_of(x.begin(), x.end(), [](unsigned char c) {
                return std::isalnum(c) || c == '-' || c == '_' || c == '.';
              });
  };
  if (!plain(agent) || !plain(session))
    return std::nullopt;
  return std::make_pair(std::string{agent}, std::string{session});
}

json resources_list_result(
  const std::vector<std::pair<std::string, std::string>>& sessions) {
  auto list = json::array();
  for (const auto& [agent, id] : sessions)
    list.push_back({{"uri", session_uri(agent, id)},
                    {"name", agent + "/" + id},
                    {"title", "Session " + id + " of " + agent},
                    {"mimeType", "application/json"}});
  return {{"resources", std::move(list)}};
}

json resource_templates_result() {
  return {{"resourceTemplates",
           {{{"uriTemplate", "bsm://agents/{agent}/sessions/{session_id}"},
             {"name", "agent-session"},
             {"title", "An agent's session"},
             {"description", "The turns of a session of an agent: role, "
                             "content, tool calls, usage, time"},
             {"mimeType", "application/json"}}}}};
}

json resource_read_result(const std::string& uri, const std::string& text) {
  return {{"contents",
           {{{"uri", uri}, {"mimeType", "application/json"}, {"text", text}}}}};
}

json progress_notification(const json& token, uint64_t progress,
                           const std::string& message) {
  return {
    {"jsonrpc", "2.0"},
    {"method", "notifications/progress"},
    {"params",
     {{"progressToken", token}, {"progress", progress}, {"message", message}}}};
}

} // namespace bsm::gateway
