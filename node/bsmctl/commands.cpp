#include "node/bsmctl/commands.hpp"

#include <fstream>
#include <optional>
#include <ostream>

#include "node/bsmctl/agent_output.hpp"
#include "node/bsmctl/agents_command.hpp"
#include "node/bsmctl/auth_commands.hpp"
#include "node/bsmctl/budgets_command.hpp"
#include "node/bsmctl/cluster_command.hpp"
#include "node/bsmctl/command_context.hpp"
#include "node/bsmctl/deadletters_command.hpp"
#include "node/bsmctl/events_command.hpp"
#include "node/bsmctl/exit_code.hpp"
#include "node/bsmctl/output.hpp"
#include "node/bsmctl/send_command.hpp"
#include "node/bsmctl/tasks_command.hpp"
#include "node/bsmctl/workflows_command.hpp"

namespace bsm::ctl {

namespace {

// GET `path` as `accept` into `res`; on failure, the exit code (the
// failure printed).
std::optional<int> get(command_context& ctx, const std::string& path,
                       const std::string& accept, http_response& res) {
  http_request req;
  req.path = path;
  req.headers.push_back("Accept: " + accept);
  auto got = ctx.client.send(req);
  if (!got)
    return report(got.error(), ctx.io);
  if (!is_success(got->status))
    return report_http_error(*got, ctx.io);
  res = std::move(*got);
  return std::nullopt;
}

// GET `path` and print the body as JSON or through `to_table`.
int get_and_print(command_context& ctx, const std::string& path,
                  table_renderer to_table) {
  http_response res;
  if (auto failed = get(ctx, path, "application/json", res))
    return *failed;
  print_answer(ctx, res.body, to_table);
  return exit_ok;
}

// The tree's table is the bridge's text (the dashboard shows the same).
int run_tree(command_context& ctx) {
  bool text = ctx.table();
  http_response res;
  if (auto failed
      = get(ctx, "/v1/tree", text ? "text/plain" : "application/json", res))
    return *failed;
  if (text)
    ctx.io.out << res.body;
  else
    print_answer(ctx, res.body, fields_table);
  return exit_ok;
}

// "status=ok node=a ..." for a table cell; "code: message" for errors.
std::string health_detail(const http_response& res) {
  if (!is_success(res.status))
    return error_summary(res.body);
  auto doc = parse_body(res.body);
  if (!doc || !doc->is_object())
    return one_line(res.body);
  std::string out;
  for (const auto& item : doc->items())
    out += (out.empty() ? "" : " ") + item.key() + '=' + cell(item.value());
  return out;
}

ordered_json body_json(const http_response& res) {
  auto doc = parse_body(res.body);
  return doc ? *doc : ordered_json(res.body);
}

void print_health(command_context& ctx, const http_response& live,
                  const http_response& ready) {
  if (!ctx.table()) {
    ordered_json doc{{"healthz", body_json(live)},
                     {"readyz", body_json(ready)},
                     {"ready", is_success(ready.status)}};
    print_doc(ctx, doc, fields_table);
    return;
  }
  ctx.io.out << format_table(
    {{"CHECK", "STATUS", "DETAIL"},
     {"healthz", std::to_string(live.status), health_detail(live)},
     {"readyz", std::to_string(ready.status), health_detail(ready)}});
}

int run_health(command_context& ctx) {
  http_request req;
  req.path = "/healthz";
  auto live = ctx.client.send(req);
  if (!live)
    return report(live.error(), ctx.io);
  if (!is_success(live->status))
    return report_http_error(*live, ctx.io);
  req.path = "/readyz";
  auto ready = ctx.client.send(req);
  if (!ready)
    return report(ready.error(), ctx.io);
  print_health(ctx, *live, *ready);
  if (!is_success(ready->status)) {
    ctx.io.err << "bsmctl: not ready: " << error_summary(ready->body) << '\n';
    return exit_failure;
  }
  return exit_ok;
}

// Reads DIR/ports.json, which a node writes once it listens.
int run_ports(const ports_args& args, const console& io) {
  auto path = args.data_dir + "/ports.json";
  std::ifstream in{path};
  if (!in) {
    io.err << "bsmctl: no node has written " << path << " (is it running?)\n";
    return exit_failure;
  }
  auto doc = ordered_json::parse(in, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    io.err << "bsmctl: " << path << " is not a JSON object\n";
    return exit_failure;
  }
  if (args.key.empty()) {
    io.out << doc.dump(2) << '\n';
    return exit_ok;
  }
  if (!doc.contains(args.key) || !doc[args.key].is_string()) {
    io.err << "bsmctl: " << path << " has no address '" << args.key << "'\n";
    return exit_failure;
  }
  io.out << doc[args.key].get<std::string>() << '\n';
  return exit_ok;
}

// Asks the node to reload as SIGHUP does, and prints what changed.
int run_reload(command_context& ctx) {
  http_request req;
  req.method = "POST";
  req.path = "/v1/admin/reload";
  req.headers.push_back("Accept: application/json");
  auto res = ctx.client.send(req);
  if (auto failed = print_result(ctx, res, fields_table))
    return failed;
  // The node kept the old definition of what it could not load: say so.
  auto doc = parse_body(res->body);
  if (!doc || !doc->is_object() || !(*doc)["errors"].is_array()
      || (*doc)["errors"].empty())
    return exit_ok;
  for (const auto& line : (*doc)["errors"])
    ctx.io.err << "bsmctl: reload: " << cell(line) << '\n';
  return exit_failure;
}

int run_http_command(const bsmctl_args& args, const console& io) {
  http_client client{args.global.url, args.global.token};
  client.ca_file(args.global.cacert);
  command_context ctx{args.global, io, client};
  switch (args.command) {
    case command_kind::send:
      return args.send.batch ? run_send_batch(ctx, args.send)
                             : run_send(ctx, args.send);
    case command_kind::actors:
      return get_and_print(ctx, "/v1/actors", actors_table);
    case command_kind::tree: return run_tree(ctx);
    case command_kind::health: return run_health(ctx);
    case command_kind::events: return run_events(ctx, args.events);
    case command_kind::login: return run_login(ctx, args.login);
    case command_kind::users: return run_users(ctx, args.users);
    case command_kind::keys: return run_keys(ctx, args.keys);
    case command_kind::roles: return run_roles(ctx);
    case command_kind::cluster:
      return args.cluster.leave
               ? run_cluster_leave(ctx, args.cluster)
               : get_and_print(ctx, "/v1/cluster", cluster_table);
    case command_kind::agents: return run_agents(ctx, args.agents);
    case command_kind::sessions: return run_sessions(ctx, args.sessions);
    case command_kind::questions: return run_questions(ctx, args.questions);
    case command_kind::deadletters:
      return run_deadletters(ctx, args.deadletters);
    case command_kind::budgets:
      return get_and_print(ctx, "/v1/budgets", budgets_table);
    case command_kind::tasks: return run_tasks(ctx, args.tasks);
    case command_kind::workflows: return run_workflows(ctx, args.workflows);
    case command_kind::runs: return run_runs(ctx, args.runs);
    case command_kind::reload: return run_reload(ctx);
    case command_kind::plugins:
      return get_and_print(ctx, "/v1/plugins", plugins_table);
    default: io.err << "bsmctl: not an HTTP command\n"; return exit_usage;
  }
}

} // namespace

int run_command(const bsmctl_args& args, const console& io) {
  switch (args.command) {
    case command_kind::help:
      io.out << (args.help_text.empty() ? bsmctl_usage() : args.help_text);
      return exit_ok;
    case command_kind::completion:
      io.out << bsmctl_bash_completion();
      return exit_ok;
    case command_kind::version:
      io.out << "bsmctl " << BSM_VERSION << '\n';
      return exit_ok;
    case command_kind::ports: return run_ports(args.ports, io);
    default: return run_http_command(args, io);
  }
}

} // namespace bsm::ctl
