#include "node/bsmctl/workflows_command.hpp"

#include <fstream>
#include <sstream>

#include "node/bsmctl/event_watch.hpp"
#include "node/bsmctl/exit_code.hpp"
#include "node/bsmctl/message.hpp"

namespace bsm::ctl {

namespace {

bool ends_with(const std::string& x, const std::string& tail) {
  return x.size() >= tail.size()
         && x.compare(x.size() - tail.size(), tail.size(), tail) == 0;
}

std::string runs_list_path(const runs_args& args) {
  std::string query;
  auto add = [&query](const char* key, const std::string& value) {
    query += (query.empty() ? "?" : "&") + std::string{key} + "="
             + percent_encode(value);
  };
  if (!args.workflow.empty())
    add("workflow", args.workflow);
  if (!args.state.empty())
    add("state", args.state);
  if (args.limit)
    add("limit", std::to_string(*args.limit));
  if (!args.after.empty())
    add("after", args.after);
  return "/v1/runs" + query;
}

std::string run_path(const runs_args& args, const std::string& tail = "") {
  return "/v1/runs/" + percent_encode(args.id) + tail;
}

// The run's workflow.# events until it ends.
int watch(command_context& ctx, const runs_args& args) {
  event_watch w;
  w.topic = "workflow.%23";
  w.keep = [&args](const ordered_json& doc) {
    auto event = doc.value("data", ordered_json::object());
    return event.is_object() && event.value("run_id", "") == args.id;
  };
  w.ends = [](const ordered_json& doc) {
    auto topic = doc.value("topic", "");
    return topic.rfind("workflow.run.", 0) == 0
           && topic != "workflow.run.started";
  };
  w.timeout = args.timeout;
  w.on_timeout = exit_timeout;
  return watch_events(ctx, w);
}

} // namespace

std::string runs_table(const ordered_json& doc) {
  if (doc.is_object() && doc.contains("steps") && doc["steps"].is_array()) {
    std::vector<std::vector<std::string>> rows{
      {"STEP", "STATE", "ATTEMPTS", "ERROR"}};
    for (const auto& x : doc["steps"])
      rows.push_back({text_of(x, "id"), text_of(x, "state"),
                      text_of(x, "attempts"),
                      single_line(text_of(x, "error", ""))});
    return format_table(rows);
  }
  std::vector<std::vector<std::string>> rows{
    {"RUN", "WORKFLOW", "STATE", "ERROR"}};
  if (doc.is_object() && doc.contains("runs") && doc["runs"].is_array())
    for (const auto& x : doc["runs"])
      rows.push_back({text_of(x, "run_id"), text_of(x, "workflow"),
                      text_of(x, "state"),
                      single_line(text_of(x, "error", ""))});
  return format_table(rows);
}

int run_workflows(command_context& ctx, const workflows_args& args) {
  http_request req;
  auto path = "/v1/workflows/" + percent_encode(args.name);
  switch (args.action) {
    case workflows_action::put: {
      std::ifstream in{args.file};
      if (!in) {
        ctx.io.err << "bsmctl: cannot read " << args.file << '\n';
        return exit_usage;
      }
      std::ostringstream text;
      text << in.rdbuf();
      req.method = "PUT";
      req.path = path;
      req.body = text.str();
      if (!ends_with(args.file, ".json"))
        req.content_type = "application/yaml";
      break;
    }
    case workflows_action::get:
      req.path = path;
      if (!args.version.empty())
        req.path += "?version=" + percent_encode(args.version);
      break;
    case workflows_action::list: req.path = "/v1/workflows"; break;
    case workflows_action::run: {
      auto input = parse_body(args.input);
      if (!input) {
        ctx.io.err << "bsmctl: --input is not JSON\n";
        return exit_usage;
      }
      ordered_json body{{"input", *input}};
      if (!args.run_id.empty())
        body["run_id"] = args.run_id;
      req.method = "POST";
      req.path = path + "/runs";
      req.body = body.dump();
      break;
    }
  }
  return exchange_and_print(ctx, std::move(req), fields_table);
}

int run_runs(command_context& ctx, const runs_args& args) {
  http_request req;
  switch (args.action) {
    case runs_action::get:
      req.path = run_path(args);
      return exchange_and_print(ctx, std::move(req), runs_table);
    case runs_action::list:
      req.path = runs_list_path(args);
      return exchange_and_print(ctx, std::move(req), runs_table);
    case runs_action::cancel:
      req.method = "POST";
      req.path = run_path(args, "/cancel");
      req.body = "{}";
      break;
    case runs_action::signal: {
      auto payload = parse_body(args.payload);
      if (!payload || !payload->is_object()) {
        ctx.io.err << "bsmctl: --payload is not a JSON object\n";
        return exit_usage;
      }
      (*payload)["decision"] = args.decision;
      req.method = "POST";
      req.path = run_path(args, "/signals/" + percent_encode(args.step));
      req.body = ordered_json{{"payload", *payload}}.dump();
      break;
    }
    case runs_action::watch: return watch(ctx, args);
  }
  return exchange_and_print(ctx, std::move(req), fields_table);
}

} // namespace bsm::ctl
