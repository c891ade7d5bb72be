#include "node/bsmctl/command_line.hpp"

#include <CLI/CLI.hpp>

#include "node/bsmctl/exit_code.hpp"

namespace bsm::ctl {

namespace {

// A subcommand that, once parsed, sets `out.command` to `kind`.
CLI::App* command(CLI::App& parent, const std::string& name,
                  const std::string& what, command_kind kind,
                  bsmctl_args& out) {
  auto* sub = parent.add_subcommand(name, what);
  sub->callback([&out, kind] { out.command = kind; });
  // At most one action: a later word (an agent named "list") is then an
  // argument, never another command.
  sub->require_subcommand(0, 1);
  return sub;
}

std::string examples(const std::string& lines) {
  return "\nExamples:\n" + lines;
}

void add_send(CLI::App& app, bsmctl_args& out, raw_words& raw) {
  auto& send = out.send;
  auto* cmd = command(app, "send", "Send a message to a named actor",
                      command_kind::send, out);
  cmd->add_option("actor", send.actor, "the actor's name (API.md)");
  cmd->add_option("type", send.type,
                  "the message type; without a dot it gets the prefix "
                  "bsm.v1. (PingRequest -> bsm.v1.PingRequest)");
  cmd->add_option("payload", raw.payload,
                  "the payload as protobuf JSON (default {}); - reads it "
                  "from stdin");
  cmd->add_flag("--ask", send.ask,
                "wait for the reply and print {\"type\",\"payload\"} (default: "
                "tell, print {\"message_id\",\"durable\"} once the message is "
                "in the durable mailbox); with --batch, the mode of lines "
                "that give none");
  cmd->add_flag("--batch", send.batch,
                "read one message per stdin line, {\"actor\",\"type\","
                "\"payload\",\"mode\"?,\"idempotency_key\"?,\"timeout_ms\"?}, "
                "send them in order over one connection and print one "
                "{\"line\",\"status\",\"response\"|\"error\"} per line");
  cmd->add_option("--idempotency-key", send.idempotency_key,
                  "a retry with the same key and body has one effect");
  cmd->add_option("--timeout-ms", raw.timeout_ms,
                  "the server's deadline for an ask, in milliseconds");
  cmd->footer(examples(
    "  bsmctl send node_info PingRequest '{\"sequence\":\"7\"}' --ask\n"
    "  echo '{\"agent\":\"a\",\"key\":\"k\",\"value\":\"aGk=\"}' \\\n"
    "    | bsmctl send memory MemoryPutRequest - --idempotency-key put-1\n"
    "  bsmctl send --batch < messages.jsonl\n"));
}

void add_listings(CLI::App& app, bsmctl_args& out) {
  command(app, "actors", "List the named actors (GET /v1/actors)",
          command_kind::actors, out)
    ->footer(examples("  bsmctl actors -o table\n"));
  command(app, "tree", "Show the supervision tree (GET /v1/tree)",
          command_kind::tree, out)
    ->footer(examples("  bsmctl tree -o table\n"));
  command(app, "health",
          "Check GET /healthz and /readyz; exit 1 if the node is not ready",
          command_kind::health, out)
    ->footer(examples("  bsmctl health && echo ready\n"));
  command(app, "roles", "List the roles and their permissions (GET /v1/roles)",
          command_kind::roles, out)
    ->footer(examples("  bsmctl roles -o table\n"));
  auto* plugins = command(app, "plugins",
                          "List the plugins the node loaded at start and those "
                          "it skipped, with why (GET /v1/plugins)",
                          command_kind::plugins, out);
  plugins->add_subcommand("list", "the same list (the default)");
  plugins->footer(examples("  bsmctl plugins list -o table\n"));
  command(app, "reload",
          "Reload the node's agent definitions and TLS certificate, as "
          "SIGHUP does (POST /v1/admin/reload); prints what changed, exit 1 "
          "if a definition failed to load (its agent keeps the old one)",
          command_kind::reload, out)
    ->footer(examples("  vi agents/assistant.yaml && bsmctl reload\n"));
}

void add_events(CLI::App& app, bsmctl_args& out, raw_words& raw) {
  auto* cmd
    = command(app, "events", "Stream events (GET /v1/events), one per line",
              command_kind::events, out);
  cmd->add_option("pattern", out.events.pattern,
                  "topic pattern: * is one segment, # the rest (default #)");
  cmd->add_option("--count", raw.count, "stop after N events");
  cmd->add_option("--timeout", raw.timeout,
                  "give up after DURATION (500ms, 10s, 2m; a bare number is "
                  "seconds) with exit code 4; with --count the default is "
                  "60s, so an idle node never holds bsmctl forever");
  cmd->footer(examples("  bsmctl events 'supervision.#' --count 1\n"
                       "  bsmctl events --timeout 30s -o table\n"));
}

void add_ports(CLI::App& app, bsmctl_args& out) {
  auto* cmd = command(app, "ports",
                      "Print the addresses a local node bound "
                      "(DIR/ports.json); no server is asked",
                      command_kind::ports, out);
  cmd->add_option("--data-dir", out.ports.data_dir,
                  "the node's data dir (default ./data/node-a)");
  cmd->add_option("--key", out.ports.key, "print only this address, e.g. http");
  cmd->footer(
    examples("  bsmctl --url \"http://$(bsmctl ports --key http)\" health\n"));
}

struct action_text {
  const char* name;
  const char* what;
};

// `list`, a set-like and a remove-like action that names its target, as
// users and keys have them; returns the set-like one for its options.
CLI::App* add_admin_actions(CLI::App& group, admin_action& action,
                            std::string& name, action_text list,
                            action_text set, action_text remove,
                            const char* name_what) {
  group.add_subcommand(list.name, list.what)->callback([&action] {
    action = admin_action::list;
  });
  auto* setter = group.add_subcommand(set.name, set.what);
  setter->callback([&action] { action = admin_action::set; });
  auto* remover = group.add_subcommand(remove.name, remove.what);
  remover->callback([&action] { action = admin_action::remove; });
  for (auto* sub : {setter, remover})
    sub->add_option("name", name, name_what);
  return setter;
}

void add_auth(CLI::App& app, bsmctl_args& out, raw_words& raw) {
  auto* login = command(
    app, "login",
    "Read USER's password from stdin (one line, not echoed on a terminal), "
    "POST /v1/auth/token and print the access token. Stores nothing on "
    "disk.",
    command_kind::login, out);
  // Every word, so a password given as one is refused with a hint.
  login->add_option("user", raw.login_words, "the user to log in as");
  login->add_flag("--api-key", out.login.api_key,
                  "stdin holds an API key instead of USER's password");
  login->footer(
    examples("  export BSM_TOKEN=$(bsmctl login alice < pwfile)\n"
             "  export BSM_TOKEN=$(bsmctl login --api-key < keyfile)\n"));

  auto& users = out.users;
  auto* u = command(app, "users", "Manage users (GET/PUT/DELETE /v1/users)",
                    command_kind::users, out);
  auto* set = add_admin_actions(
    *u, users.action, users.name, {"list", "list the users"},
    {"set", "create or replace a user; the password is read from stdin (one "
            "line, 8 to 1024 bytes)"},
    {"delete", "delete a user and its API keys"}, "the user");
  set->add_option("--role", users.roles, "a role (repeatable, at least one)")
    ->allow_extra_args(false);
  u->footer(examples("  bsmctl users set alice --role admin < pwfile\n"
                     "  bsmctl users list -o table\n"));

  auto& keys = out.keys;
  auto* k = command(app, "keys", "Manage API keys (/v1/api-keys)",
                    command_kind::keys, out);
  auto* create = add_admin_actions(
    *k, keys.action, keys.name, {"list", "list the API keys"},
    {"create", "create a key; prints it (shown only this once)"},
    {"revoke", "revoke a key by its id"},
    "the key's name (create), id (revoke)");
  create->add_option("--role", keys.roles, "a role (repeatable, at least one)")
    ->allow_extra_args(false);
  create->add_option("--principal", keys.principal,
                     "whose key it is (default: the caller)");
  create->add_option("--expires-in-s", raw.expires_in_s,
                     "lifetime in seconds (default: none)");
  k->footer(
    examples("  bsmctl keys create ci --role reader --expires-in-s 86400\n"
             "  bsmctl keys revoke k_1234\n"));
}

void add_cluster(CLI::App& app, bsmctl_args& out) {
  auto& cluster = out.cluster;
  auto* cmd = command(app, "cluster",
                      "Show the cluster's members as this node sees them "
                      "(GET /v1/cluster)",
                      command_kind::cluster, out);
  cmd->add_subcommand("members", "the same view (the default)");
  auto* leave = cmd->add_subcommand(
    "leave", "decommission NODE: it hands its agents' state to their next "
             "owners, then leaves for good");
  leave->callback([&cluster] { cluster.leave = true; });
  leave->add_option("node", cluster.node, "the node that leaves");
  leave->add_flag("--wait", cluster.wait,
                  "poll GET /v1/cluster until NODE is left (at most 10 "
                  "minutes)");
  cmd->footer(examples("  bsmctl cluster -o table\n"
                       "  bsmctl cluster leave node-b --wait\n"));
}

void add_agents(CLI::App& app, bsmctl_args& out, raw_words& raw) {
  auto& agents = out.agents;
  auto* cmd = command(app, "agents", "List, show and chat with agents",
                      command_kind::agents, out);
  cmd->add_subcommand("list", "the agents (GET /v1/agents)")
    ->callback([&agents] { agents.action = agents_action::list; });
  auto* show = cmd->add_subcommand("show", "one agent (GET /v1/agents/NAME)");
  show->callback([&agents] { agents.action = agents_action::show; });
  show->add_option("name", agents.name, "the agent");
  auto* chat = cmd->add_subcommand(
    "chat", "one turn (POST /v1/agents/NAME/chat): prints the output and "
            "the session id");
  chat->callback([&agents] { agents.action = agents_action::chat; });
  chat->add_option("name", agents.name, "the agent");
  chat->add_option("input", raw.chat_input,
                   "what to say; - or none reads all of stdin");
  chat->add_option("--session", agents.session,
                   "continue this session (default: a new one)");
  cmd->footer(examples(
    "  bsmctl agents list -o table\n"
    "  bsmctl agents chat assistant 'What is 6*7?'\n"
    "  bsmctl agents chat assistant 'And doubled?' --session SESSION_ID\n"
    "  echo 'Hello' | bsmctl agents chat assistant -\n"));
}

void add_sessions(CLI::App& app, bsmctl_args& out, raw_words& raw) {
  auto& sessions = out.sessions;
  auto* cmd = command(app, "sessions", "An agent's sessions and their turns",
                      command_kind::sessions, out);
  auto* list = cmd->add_subcommand(
    "list", "the agent's sessions (GET /v1/agents/AGENT/sessions)");
  list->add_option("agent", sessions.agent, "the agent");
  list->add_option("--after", sessions.after, "the page after this session id");
  auto* show = cmd->add_subcommand(
    "show", "one session's turns (GET /v1/agents/AGENT/sessions/ID)");
  show->callback([&sessions] { sessions.show = true; });
  show->add_option("agent", sessions.agent, "the agent");
  show->add_option("id", sessions.id, "the session id");
  show->add_option("--after", sessions.after,
                   "the turns after this turn number");
  for (auto* sub : {list, show})
    sub->add_option("--limit", raw.limit, "page size (server default 20)");
  cmd->footer(examples("  bsmctl sessions list assistant -o table\n"
                       "  bsmctl sessions show assistant SESSION_ID\n"
                       "  bsmctl sessions show assistant SESSION_ID --limit 10 "
                       "--after 10\n"));
}

void add_questions(CLI::App& app, bsmctl_args& out, raw_words& raw) {
  auto& questions = out.questions;
  auto* cmd = command(app, "questions",
                      "Questions tool servers ask of your running turns "
                      "(MCP elicitation), and your answers",
                      command_kind::questions, out);
  auto* list = cmd->add_subcommand(
    "list", "the questions waiting (GET /v1/agents/AGENT/questions)");
  list->add_option("agent", questions.agent, "the agent");
  list->add_option("--session", questions.session, "only this session's");
  auto* answer = cmd->add_subcommand(
    "answer", "settle one (POST /v1/agents/AGENT/questions/ID)");
  answer->callback([&questions] { questions.answer = true; });
  answer->add_option("agent", questions.agent, "the agent");
  answer->add_option("id", questions.id, "the question's id");
  answer->add_option("--accept", raw.accept,
                     "accept with this content, a JSON object filling the "
                     "question's form");
  answer->add_flag("--decline", raw.decline, "say no");
  answer->add_flag("--cancel", raw.cancel, "dismiss it without a choice");
  cmd->footer(
    examples("  bsmctl questions list assistant -o table\n"
             "  bsmctl questions answer assistant q-3f2a... --accept "
             "'{\"name\":\"Ada\"}'\n"
             "  bsmctl questions answer assistant q-3f2a... --decline\n"));
}

void add_deadletters(CLI::App& app, bsmctl_args& out, raw_words& raw) {
  using action = deadletters_action;
  auto& letters = out.deadletters;
  auto* cmd = command(app, "deadletters",
                      "Messages that could not be delivered, kept by this "
                      "node: list, retry, delete, purge",
                      command_kind::deadletters, out);
  auto* list = cmd->add_subcommand(
    "list", "this node's dead letters (GET /v1/deadletters)");
  list->callback([&letters] { letters.action = action::list; });
  list->add_option("--actor", letters.actor, "only this actor's");
  list->add_option("--limit", raw.limit, "page size (server default 100)");
  list->add_option("--after", letters.after, "the page after this letter id");
  auto* retry = cmd->add_subcommand(
    "retry", "put a letter back into its actor's durable mailbox, once "
             "(POST /v1/deadletters/ID/retry)");
  retry->callback([&letters] { letters.action = action::retry; });
  retry->add_option("id", letters.id, "the letter's id");
  auto* remove = cmd->add_subcommand(
    "delete", "delete a letter (DELETE /v1/deadletters/ID)");
  remove->callback([&letters] { letters.action = action::remove; });
  remove->add_option("id", letters.id, "the letter's id");
  auto* purge = cmd->add_subcommand(
    "purge", "delete every letter of ACTOR (DELETE /v1/deadletters?actor=)");
  purge->callback([&letters] { letters.action = action::purge; });
  purge->add_option("actor", letters.actor, "the actor");
  cmd->footer(examples("  bsmctl deadletters list --actor agents/legal -o "
                       "table\n"
                       "  bsmctl deadletters retry agents~legal~42\n"
                       "  bsmctl deadletters purge agents/legal\n"));
}

void add_tasks(CLI::App& app, bsmctl_args& out, raw_words& raw) {
  using action = tasks_action;
  auto& tasks = out.tasks;
  auto* cmd = command(app, "tasks",
                      "The task queue: submit, get, list, cancel, retry, "
                      "watch",
                      command_kind::tasks, out);
  auto* submit = cmd->add_subcommand(
    "submit", "queue a chat turn of AGENT, or with --actor a message to an "
              "actor (POST /v1/tasks); prints its task_id");
  submit->callback([&tasks] { tasks.action = action::submit; });
  submit->add_option("agent", tasks.agent, "the agent");
  submit->add_option("input", tasks.input, "the chat input");
  submit->add_option("--session", tasks.session, "continue this session");
  submit->add_option("--actor", tasks.actor, "an actor instead of an agent");
  submit->add_option("--type", tasks.type,
                     "the actor's message type (PingRequest -> "
                     "bsm.v1.PingRequest)");
  submit->add_option("--payload", tasks.payload,
                     "the message as protobuf JSON (default {})");
  submit->add_option("--priority", raw.priority, "0..9, higher first");
  submit->add_option("--delay-ms", raw.delay_ms, "not before this many ms");
  submit->add_option("--deadline-ms", raw.deadline_ms,
                     "dead if still waiting after this many ms");
  submit->add_option("--max-attempts", raw.max_attempts, "attempts at most");
  submit->add_option("--timeout-ms", raw.timeout_ms, "one attempt's limit");
  submit->add_option("--idempotency-key", tasks.idempotency_key,
                     "the same key gives the same task");
  submit->add_option("--label", tasks.labels, "key=value, repeatable");
  auto* get = cmd->add_subcommand("get", "one task (GET /v1/tasks/ID)");
  get->callback([&tasks] { tasks.action = action::get; });
  get->add_option("id", tasks.id, "the task's id");
  auto* list = cmd->add_subcommand("list", "tasks, paged (GET /v1/tasks)");
  list->callback([&tasks] { tasks.action = action::list; });
  list->add_option("--state", tasks.state,
                   "queued, running, succeeded, failed, dead or cancelled");
  list->add_option("--agent", tasks.agent, "only this agent's");
  list->add_option("--label", tasks.labels, "key=value: only with it");
  list->add_option("--limit", raw.limit, "page size (server default 100)");
  list->add_option("--after", tasks.after, "the page after this task id");
  auto* cancel
    = cmd->add_subcommand("cancel", "cancel a task (DELETE /v1/tasks/ID)");
  cancel->callback([&tasks] { tasks.action = action::cancel; });
  cancel->add_option("id", tasks.id, "the task's id");
  auto* retry = cmd->add_subcommand(
    "retry", "queue a dead task again (POST /v1/tasks/ID/retry)");
  retry->callback([&tasks] { tasks.action = action::retry; });
  retry->add_option("id", tasks.id, "the task's id");
  auto* watch = cmd->add_subcommand(
    "watch", "print task events as they come (GET /v1/events?topic=task.#); "
             "with ID only its own, until it ends");
  watch->callback([&tasks] { tasks.action = action::watch; });
  watch->add_option("id", tasks.id, "the task's id");
  watch->add_option("--timeout", raw.timeout,
                    "stop after this long (500ms, 10s, 2m)");
  cmd->footer(examples(
    "  bsmctl tasks submit assistant 'Summarise the report' --priority 7\n"
    "  bsmctl tasks submit --actor memory --type MemoryPutRequest \\\n"
    "    --payload '{\"agent\":\"a\",\"key\":\"k\",\"value\":\"aGk=\"}'\n"
    "  bsmctl tasks list --state dead -o table\n"
    "  bsmctl tasks watch t-0190f1e2a3b4-1a2b3c4d\n"));
}

void add_workflows(CLI::App& app, bsmctl_args& out) {
  using action = workflows_action;
  auto& wf = out.workflows;
  auto* cmd = command(app, "workflows",
                      "Workflow definitions: put, get, list, and run one",
                      command_kind::workflows, out);
  auto* put = cmd->add_subcommand(
    "put", "store FILE (YAML, or JSON if it ends in .json) as a version of "
           "NAME (PUT /v1/workflows/NAME)");
  put->callback([&wf] { wf.action = action::put; });
  put->add_option("name", wf.name, "the workflow");
  put->add_option("file", wf.file, "the definition's file");
  auto* get = cmd->add_subcommand(
    "get", "a workflow's newest version with its definition");
  get->callback([&wf] { wf.action = action::get; });
  get->add_option("name", wf.name, "the workflow");
  get->add_option("--version", wf.version, "this version instead");
  auto* list
    = cmd->add_subcommand("list", "the newest version of every workflow");
  list->callback([&wf] { wf.action = action::list; });
  auto* run = cmd->add_subcommand(
    "run", "start a run (POST /v1/workflows/NAME/runs); prints its run_id");
  run->callback([&wf] { wf.action = action::run; });
  run->add_option("name", wf.name, "the workflow");
  run->add_option("--input", wf.input, "the input as JSON (default {})");
  run->add_option("--run-id", wf.run_id, "the same id again is the same run");
  cmd->footer(examples(
    "  bsmctl workflows put contract-review config/workflows/"
    "contract-review.yaml\n"
    "  bsmctl workflows run contract-review --input '{\"contract\":\"c-42\"}'\n"
    "  bsmctl workflows list -o table\n"));
}

void add_runs(CLI::App& app, bsmctl_args& out, raw_words& raw) {
  using action = runs_action;
  auto& runs = out.runs;
  auto* cmd
    = command(app, "runs", "Workflow runs: get, list, cancel, signal, watch",
              command_kind::runs, out);
  auto* get = cmd->add_subcommand("get", "a run with its steps");
  get->callback([&runs] { runs.action = action::get; });
  get->add_option("id", runs.id, "the run's id");
  auto* list = cmd->add_subcommand("list", "runs, paged (GET /v1/runs)");
  list->callback([&runs] { runs.action = action::list; });
  list->add_option("--workflow", runs.workflow, "only this workflow's");
  list->add_option("--state", runs.state,
                   "running, succeeded, failed or cancelled");
  list->add_option("--limit", raw.limit, "page size (server default 100)");
  list->add_option("--after", runs.after, "the page after this run id");
  auto* cancel = cmd->add_subcommand(
    "cancel", "cancel a run and its running steps (POST /v1/runs/ID/cancel)");
  cancel->callback([&runs] { runs.action = action::cancel; });
  cancel->add_option("id", runs.id, "the run's id");
  auto* signal = cmd->add_subcommand(
    "signal", "answer the approval STEP of a run: approve or reject "
              "(POST /v1/runs/ID/signals/STEP)");
  signal->callback([&runs] { runs.action = action::signal; });
  signal->add_option("id", runs.id, "the run's id");
  signal->add_option("step", runs.step, "the approval step");
  signal->add_option("decision", runs.decision, "approve or reject");
  signal->add_option("--payload", runs.payload,
                     "more of the answer, as a JSON object");
  auto* watch = cmd->add_subcommand(
    "watch", "print a run's step and run events as they come, until it "
             "ends (GET /v1/events?topic=workflow.#)");
  watch->callback([&runs] { runs.action = action::watch; });
  watch->add_option("id", runs.id, "the run's id");
  watch->add_option("--timeout", raw.timeout,
                    "stop after this long (500ms, 10s, 2m)");
  cmd->footer(examples("  bsmctl runs get w-0190f1e2a3b4-1a2b3c4d -o table\n"
                       "  bsmctl runs signal order-42 legal approve\n"
                       "  bsmctl runs watch order-42\n"));
}

void add_budgets(CLI::App& app, bsmctl_args& out) {
  auto* cmd = command(app, "budgets",
                      "Model budgets of the whole cluster: use and remaining "
                      "(GET /v1/budgets)",
                      command_kind::budgets, out);
  cmd->add_subcommand("list", "every budget counter (the default)");
  cmd->footer(examples("  bsmctl budgets list -o table\n"));
}

void add_meta(CLI::App& app, bsmctl_args& out, raw_words& raw) {
  auto* help = command(app, "help", "Show the help of bsmctl or of a command",
                       command_kind::help, out);
  help->add_option("command", raw.help_words, "the command's words");
  help->footer(examples("  bsmctl help agents chat\n"));
  auto* completion
    = command(app, "completion", "Print a shell completion script",
              command_kind::completion, out);
  completion->add_option("shell", raw.shell, "the shell: bash")->required();
  completion->footer(examples("  source <(bsmctl completion bash)\n"
                              "  bsmctl completion bash > "
                              "/etc/bash_completion.d/bsmctl\n"));
}

std::string root_footer() {
  return "\nEnvironment:\n"
         "  BSM_URL    the node when --url is not given\n"
         "  BSM_TOKEN  the token when --token is not given\n"
         "\nExit codes:\n"
         + exit_code_table()
         + examples(
           "  export BSM_URL=http://$(bsmctl ports --key http)\n"
           "  bsmctl agents chat assistant 'What is 6*7?'\n"
           "  bsmctl send node_info PingRequest '{\"sequence\":\"7\"}' --ask\n"
           "  bsmctl send --batch < messages.jsonl\n"
           "  bsmctl events 'supervision.#' --count 1 --timeout 10s\n"
           "\n`bsmctl help COMMAND` or `bsmctl COMMAND --help` for more.\n");
}

} // namespace

std::unique_ptr<CLI::App> make_command_line(bsmctl_args& out, raw_words& raw) {
  auto app = std::make_unique<CLI::App>(
    "The command line for people and scripts against a BSM-AgentOS node's "
    "HTTP bridge.",
    "bsmctl");
  // Global options also after the command: subcommands pass what they do
  // not know up (set before adding them: they inherit it).
  app->fallthrough();
  app->require_subcommand(0, 1);
  auto& global = out.global;
  app->add_option("--url", global.url,
                  "the node (default: $BSM_URL, then http://127.0.0.1:8080)");
  app->add_option("--token", global.token,
                  "sends Authorization: Bearer TOKEN (default: $BSM_TOKEN)");
  app->add_option("--cacert", global.cacert,
                  "PEM CA certificates to check an https:// node with "
                  "(default: the system's)");
  app->add_option("-o,--output", raw.output,
                  "table, json or yaml (default: table on a terminal, JSON "
                  "when piped: one compact document per line)");
  app->add_flag("--version", raw.version, "print the version");
  add_send(*app, out, raw);
  add_listings(*app, out);
  add_events(*app, out, raw);
  add_ports(*app, out);
  add_auth(*app, out, raw);
  add_cluster(*app, out);
  add_agents(*app, out, raw);
  add_sessions(*app, out, raw);
  add_questions(*app, out, raw);
  add_deadletters(*app, out, raw);
  add_tasks(*app, out, raw);
  add_workflows(*app, out);
  add_runs(*app, out, raw);
  add_budgets(*app, out);
  add_meta(*app, out, raw);
  app->footer(root_footer());
  // An action's help shows its command's examples too.
  for (auto* group : app->get_subcommands({}))
    for (auto* action : group->get_subcommands({}))
      action->footer(group->get_footer());
  return app;
}

std::optional<std::string> command_help(const CLI::App& app,
                                        const std::vector<std::string>& words) {
  const CLI::App* at = &app;
  std::string path = app.get_name();
  for (const auto& word : words) {
    const CLI::App* next = nullptr;
    for (const auto* sub : at->get_subcommands({}))
      if (sub->get_name() == word)
        next = sub;
    if (next == nullptr)
      return std::nullopt;
    at = next;
    path += " " + word;
  }
  // Not App::help(): that shows the help of what was parsed instead.
  return at->get_formatter()->make_help(at, path, CLI::AppFormatMode::Normal);
}

} // namespace bsm::ctl
