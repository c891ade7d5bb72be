#include "node/bsmctl/tasks_command.hpp"

#include "node/bsmctl/event_watch.hpp"
#include "node/bsmctl/exit_code.hpp"
#include "node/bsmctl/message.hpp"

namespace bsm::ctl {

namespace {

std::string list_path(const tasks_args& args) {
  std::string query;
  auto add = [&query](const char* key, const std::string& value) {
    query += (query.empty() ? "?" : "&") + std::string{key} + "="
             + percent_encode(value);
  };
  if (!args.state.empty())
    add("state", args.state);
  if (!args.agent.empty())
    add("agent", args.agent);
  if (!args.labels.empty())
    add("label", args.labels.front());
  if (args.limit)
    add("limit", std::to_string(*args.limit));
  if (!args.after.empty())
    add("after", args.after);
  return "/v1/tasks" + query;
}

std::string task_path(const tasks_args& args, const char* tail = "") {
  return "/v1/tasks/" + percent_encode(args.id) + tail;
}

bool final_state(const std::string& state) {
  return state == "succeeded" || state == "dead" || state == "cancelled";
}

// task.# events, those of args.id only when it is set, until it ends.
int watch(command_context& ctx, const tasks_args& args) {
  event_watch w;
  w.topic = "task.%23";
  w.keep = [&args](const ordered_json& doc) {
    auto task = doc.value("data", ordered_json::object());
    return args.id.empty()
           || (task.is_object() && task.value("task_id", "") == args.id);
  };
  w.ends = [&args](const ordered_json& doc) {
    return !args.id.empty()
           && final_state(
             doc.value("data", ordered_json::object()).value("state", ""));
  };
  w.timeout = args.timeout;
  w.on_timeout = args.id.empty() ? exit_ok : exit_timeout;
  return watch_events(ctx, w);
}

} // namespace

ordered_json task_request(const tasks_args& args) {
  ordered_json body = ordered_json::object();
  if (!args.actor.empty()) {
    body["actor"] = args.actor;
    body["type"] = qualified_type(args.type);
    auto payload = parse_body(args.payload);
    body["payload"] = payload ? *payload : ordered_json::object();
  } else {
    body["agent"] = args.agent;
    body["input"] = args.input;
    if (!args.session.empty())
      body["session_id"] = args.session;
  }
  auto number = [&body](const char* key, const std::optional<uint64_t>& x) {
    if (x)
      body[key] = *x;
  };
  number("priority", args.priority);
  number("delay_ms", args.delay_ms);
  number("deadline_ms", args.deadline_ms);
  number("max_attempts", args.max_attempts);
  number("timeout_ms", args.timeout_ms);
  if (!args.idempotency_key.empty())
    body["idempotency_key"] = args.idempotency_key;
  for (const auto& label : args.labels) {
    auto eq = label.find('=');
    body["labels"][label.substr(0, eq)] = label.substr(eq + 1);
  }
  return body;
}

std::string tasks_table(const ordered_json& doc) {
  std::vector<std::vector<std::string>> rows{
    {"ID", "STATE", "PRIORITY", "ATTEMPTS", "TARGET", "ERROR"}};
  if (doc.is_object() && doc.contains("tasks") && doc["tasks"].is_array())
    for (const auto& x : doc["tasks"]) {
      auto target = x.contains("agent") ? "agents/" + text_of(x, "agent")
                                        : text_of(x, "actor");
      rows.push_back({text_of(x, "task_id"), text_of(x, "state"),
                      text_of(x, "priority"), text_of(x, "attempts"), target,
                      single_line(text_of(x, "error", ""))});
    }
  return format_table(rows);
}

int run_tasks(command_context& ctx, const tasks_args& args) {
  http_request req;
  switch (args.action) {
    case tasks_action::submit:
      req.method = "POST";
      req.path = "/v1/tasks";
      req.body = task_request(args).dump();
      break;
    case tasks_action::get: req.path = task_path(args); break;
    case tasks_action::list:
      req.path = list_path(args);
      return exchange_and_print(ctx, std::move(req), tasks_table);
    case tasks_action::cancel:
      req.method = "DELETE";
      req.path = task_path(args);
      break;
    case tasks_action::retry:
      req.method = "POST";
      req.path = task_path(args, "/retry");
      break;
    case tasks_action::watch: return watch(ctx, args);
  }
  return exchange_and_print(ctx, std::move(req), fields_table);
}

} // namespace bsm::ctl
