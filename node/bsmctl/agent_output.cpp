#include "node/bsmctl/agent_output.hpp"

#include "node/bsmctl/auth_output.hpp"

namespace bsm::ctl {

namespace {

// The array under `key` of `doc`, or an empty one.
ordered_json list_of(const ordered_json& doc, const char* key) {
  if (doc.is_object() && doc.contains(key) && doc[key].is_array())
    return doc[key];
  return ordered_json::array();
}

} // namespace

std::string agents_table(const ordered_json& doc) {
  std::vector<std::vector<std::string>> rows{
    {"NAME", "STATE", "NODE", "MODEL", "TOOLS", "MAILBOX", "RESTARTS"}};
  auto one = doc.is_object() && doc.contains("name");
  for (const auto& agent :
       one ? ordered_json::array({doc}) : list_of(doc, "agents"))
    rows.push_back({text_of(agent, "name"), text_of(agent, "state"),
                    text_of(agent, "node"), text_of(agent, "model"),
                    joined(agent.value("tools", ordered_json::array())),
                    text_of(agent, "mailbox_depth"),
                    text_of(agent, "restarts")});
  return format_table(rows);
}

std::string chat_text(const ordered_json& doc) {
  return text_of(doc, "output", "") + "\nsession: " + text_of(doc, "session_id")
         + '\n';
}

std::string chat_event_text(const std::string& event,
                            const ordered_json& data) {
  if (event == "delta")
    return text_of(data, "content", "");
  if (event == "tool_call")
    return "[" + text_of(data, "tool") + " "
           + compact(data.value("arguments", ordered_json::object())) + "]\n";
  if (event == "tool_result")
    return "[" + text_of(data, "tool")
           + (data.value("is_error", false) ? " failed: " : ": ")
           + single_line(text_of(data, "result", "")) + "]\n";
  if (event == "question")
    return "[question " + text_of(data, "id") + " from "
           + text_of(data, "server") + ": "
           + single_line(text_of(data, "message", ""))
           + " (bsmctl questions answer " + text_of(data, "agent") + " "
           + text_of(data, "id") + " --accept JSON|--decline)]\n";
  if (event == "done")
    return "\nsession: " + text_of(data, "session_id") + '\n';
  return {};
}

std::string sessions_table(const ordered_json& doc) {
  std::vector<std::vector<std::string>> rows{
    {"SESSION_ID", "TURNS", "LAST_ACTIVITY", "NODE"}};
  for (const auto& s : list_of(doc, "sessions"))
    rows.push_back({text_of(s, "session_id"), text_of(s, "turns"),
                    text_of(s, "last_activity"), text_of(s, "node")});
  return format_table(rows);
}

std::string questions_table(const ordered_json& doc) {
  std::vector<std::vector<std::string>> rows{
    {"ID", "SESSION_ID", "SERVER", "TOOL", "DEADLINE", "MESSAGE"}};
  for (const auto& q : list_of(doc, "questions"))
    rows.push_back({text_of(q, "id"), text_of(q, "session_id"),
                    text_of(q, "server"), text_of(q, "tool"),
                    text_of(q, "deadline"),
                    single_line(text_of(q, "message", ""))});
  return format_table(rows);
}

std::string turns_table(const ordered_json& doc) {
  std::vector<std::vector<std::string>> rows{{"TIME", "ROLE", "CONTENT"}};
  for (const auto& turn : list_of(doc, "turns"))
    rows.push_back({text_of(turn, "time"), text_of(turn, "role"),
                    single_line(text_of(turn, "content", ""))});
  return format_table(rows);
}

std::string cluster_table(const ordered_json& doc) {
  auto self = text_of(doc, "self", "");
  std::vector<std::vector<std::string>> rows{
    {"NAME", "STATE", "ADDRESS", "HTTP_ADDRESS", "AGENTS", "LAST_SEEN"}};
  for (const auto& m : list_of(doc, "members")) {
    auto name = text_of(m, "name");
    rows.push_back({name == self ? name + " *" : name, text_of(m, "state"),
                    text_of(m, "address"), text_of(m, "http_address"),
                    text_of(m, "agents"), text_of(m, "last_seen")});
  }
  return format_table(rows);
}

} // namespace bsm::ctl
