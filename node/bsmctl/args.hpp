#pragma once

// Command line of bsmctl, parsed strictly by CLI11 (command_line.cpp): an
// unknown option, a missing value or a malformed argument is an
// `invalid_argument` error (exit 2).
//
//   bsmctl [GLOBAL...] COMMAND [ARGS...]    (global options may also follow)
//
// Parsing is pure: the environment comes in as `bsmctl_env`, and nothing
// reads stdin or talks to a server here.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

namespace bsm::ctl {

enum class output_format {
  /// Compact JSON, one document per line, as the server sent it.
  json,
  /// Aligned, human-readable columns.
  table,
  /// The answer as a YAML document (block style).
  yaml,
};

/// What bsmctl takes from its environment.
struct bsmctl_env {
  /// $BSM_URL, if set and not empty.
  std::optional<std::string> url;
  /// $BSM_TOKEN, if set and not empty.
  std::optional<std::string> token;
  /// Whether stdout is a terminal: the default output is a table there,
  /// JSON for pipes and files.
  bool stdout_is_terminal = false;
};

struct global_options {
  /// Base URL of the node's HTTP bridge, without a trailing slash.
  /// Default: $BSM_URL, then http://127.0.0.1:8080.
  std::string url = "http://127.0.0.1:8080";
  /// Sent as `Authorization: Bearer <token>` when not empty.
  /// Default: $BSM_TOKEN, then none.
  std::string token;
  /// PEM CA certificates that an https:// node's certificate is checked
  /// against (libcurl CURLOPT_CAINFO); empty: the system's CAs.
  std::string cacert;
  /// -o/--output. Default: table on a terminal, else json.
  output_format output = output_format::json;
};

enum class command_kind {
  help,
  version,
  send,
  actors,
  tree,
  health,
  events,
  ports,
  login,
  users,
  keys,
  roles,
  cluster,
  agents,
  sessions,
  questions,
  deadletters,
  budgets,
  tasks,
  workflows,
  runs,
  reload,
  plugins,
  completion,
};

struct send_args {
  /// Read one message per line from stdin instead of ACTOR TYPE [JSON].
  bool batch = false;
  std::string actor;
  /// As given; `qualified_type` adds the "bsm.v1." prefix.
  std::string type;
  /// The payload JSON as given (validated to be an object). Default: {}.
  std::string payload = "{}";
  /// The payload argument was `-`: read it from stdin.
  bool payload_from_stdin = false;
  /// --ask: wait for the reply. For --batch, the mode of lines without one.
  bool ask = false;
  /// --idempotency-key; not allowed with --batch (lines carry their own).
  std::string idempotency_key;
  /// --timeout-ms: the server's deadline for an ask. Default: the server's.
  std::optional<uint64_t> timeout_ms;
};

struct events_args {
  /// Topic pattern: `*` is one segment, `#` the rest. Default: # (all).
  std::string pattern = "#";
  /// Stop after this many events. Default: stream until the server ends.
  std::optional<uint64_t> count;
  /// Give up after this long (exit_timeout). Default: with --count,
  /// `default_events_timeout`; without, none (stream until interrupted).
  std::optional<std::chrono::milliseconds> timeout;
};

/// How long `events --count N` waits at most unless --timeout says.
inline constexpr std::chrono::milliseconds default_events_timeout{60'000};

struct ports_args {
  /// Default: ./data/node-a.
  std::string data_dir = "./data/node-a";
  /// Print only this address (e.g. "http"). Default: all of ports.json.
  std::string key;
};

struct login_args {
  /// The user to log in as; empty with --api-key.
  std::string username;
  /// --api-key: stdin holds an API key instead of USER's password.
  bool api_key = false;
};

/// `users list|set|delete` and `keys list|create|revoke`.
enum class admin_action { list, set, remove };

struct users_args {
  admin_action action = admin_action::list;
  std::string name;
  /// --role, repeatable; `set` needs at least one.
  std::vector<std::string> roles;
};

struct keys_args {
  admin_action action = admin_action::list;
  /// The key's name for `create`, its id for `revoke`.
  std::string name;
  /// --role, repeatable; `create` needs at least one.
  std::vector<std::string> roles;
  /// --principal: whose key it is. Default: the server's (the caller).
  std::string principal;
  std::optional<uint64_t> expires_in_s;
};

/// `cluster [members]` or `cluster leave NODE [--wait]`.
struct cluster_args {
  /// False: show the cluster view (GET /v1/cluster).
  bool leave = false;
  std::string node;
  /// Poll until the node is `left` as the asked node sees it.
  bool wait = false;
};

/// `agents list | show NAME | chat NAME [INPUT | -] [--session ID]`.
enum class agents_action { list, show, chat };

struct agents_args {
  agents_action action = agents_action::list;
  std::string name;
  /// The chat's input; empty with `input_from_stdin`.
  std::string input;
  /// INPUT was `-` or missing: read the whole of stdin.
  bool input_from_stdin = false;
  /// --session: continue this session. Default: the server starts one.
  std::string session;
};

/// `sessions list AGENT | show AGENT ID [--limit N] [--after CURSOR]`.
struct sessions_args {
  bool show = false;
  std::string agent;
  std::string id;
  /// The page size. Default: the server's (20).
  std::optional<uint64_t> limit;
  /// Start after this session id (list) or turn number (show).
  std::string after;
};

/// `questions list AGENT [--session ID] | answer AGENT ID (--accept JSON |
/// --decline | --cancel)`: what tool servers ask of the caller's turns.
struct questions_args {
  bool answer = false;
  std::string agent;
  /// list: only this session's questions.
  std::string session;
  /// answer: the question, and "accept", "decline" or "cancel".
  std::string id;
  std::string action;
  /// With accept: the form's content, a JSON object.
  std::string content;
};

/// `deadletters list [--actor A] [--limit N] [--after ID] | retry ID |
/// delete ID | purge ACTOR`.
enum class deadletters_action { list, retry, remove, purge };

struct deadletters_args {
  deadletters_action action = deadletters_action::list;
  /// A letter's id (retry, delete).
  std::string id;
  /// list: only this actor's; purge: the actor to purge.
  std::string actor;
  /// The page size. Default: the server's (100).
  std::optional<uint64_t> limit;
  /// Start after this letter id.
  std::string after;
};

/// `tasks submit AGENT INPUT | submit --actor A --type T [PAYLOAD] |
/// get ID | list [filters] | cancel ID | retry ID | watch [ID]`.
enum class tasks_action { submit, get, list, cancel, retry, watch };

struct tasks_args {
  tasks_action action = tasks_action::list;
  /// get, cancel, retry, watch: the task.
  std::string id;
  /// submit: the agent (or --actor's name); list: only this agent's.
  std::string agent;
  std::string input;
  std::string actor;
  /// As given; a name without a dot gets the prefix bsm.v1.
  std::string type;
  /// The payload as protobuf JSON. Default: {}.
  std::string payload = "{}";
  std::string session;
  /// 0..9.
  std::optional<uint64_t> priority;
  std::optional<uint64_t> delay_ms;
  std::optional<uint64_t> deadline_ms;
  std::optional<uint64_t> max_attempts;
  std::optional<uint64_t> timeout_ms;
  std::string idempotency_key;
  /// --label k=v, repeatable (submit: labels; list: the first filters).
  std::vector<std::string> labels;
  /// list: only tasks in this state.
  std::string state;
  /// list: the page size. Default: the server's (100).
  std::optional<uint64_t> limit;
  std::string after;
  /// watch: give up after this long. Default: none.
  std::optional<std::chrono::milliseconds> timeout;
};

enum class workflows_action { put, get, list, run };

struct workflows_args {
  workflows_action action = workflows_action::list;
  /// put, get, run: the workflow.
  std::string name;
  /// put: the definition's file (YAML, or JSON by its .json name).
  std::string file;
  /// get: one version instead of the newest.
  std::string version;
  /// run: the input as JSON. Default: {}.
  std::string input = "{}";
  /// run: the run's id (the same id again is the same run).
  std::string run_id;
};

enum class runs_action { get, list, cancel, signal, watch };

struct runs_args {
  runs_action action = runs_action::list;
  /// get, cancel, signal, watch: the run.
  std::string id;
  /// signal: the approval step.
  std::string step;
  /// signal: approve or reject.
  std::string decision;
  /// signal: more of the payload, as a JSON object. Default: {}.
  std::string payload = "{}";
  /// list: filters and the page.
  std::string workflow;
  std::string state;
  std::optional<uint64_t> limit;
  std::string after;
  /// watch: give up after this long. Default: none.
  std::optional<std::chrono::milliseconds> timeout;
};

struct bsmctl_args {
  global_options global;
  command_kind command = command_kind::help;
  /// For `help`: the text to print (bsmctl's or one command's help).
  std::string help_text;
  send_args send;
  events_args events;
  ports_args ports;
  login_args login;
  users_args users;
  keys_args keys;
  cluster_args cluster;
  agents_args agents;
  sessions_args sessions;
  questions_args questions;
  deadletters_args deadletters;
  tasks_args tasks;
  workflows_args workflows;
  runs_args runs;
};

/// Parses `args` (without argv[0]). Errors: `invalid_argument`, with a
/// message naming the offending argument.
[[nodiscard]] caf::expected<bsmctl_args>
parse_bsmctl_args(const std::vector<std::string>& args, const bsmctl_env& env);

/// The text of `bsmctl --help`.
std::string bsmctl_usage();

/// The help of one command, named by its words ({"agents", "chat"});
/// `invalid_argument` for a command that does not exist.
[[nodiscard]] caf::expected<std::string>
bsmctl_command_help(const std::vector<std::string>& words);

/// `bsmctl completion bash`: a bash script that completes bsmctl's
/// commands and options (source it, or put it in bash-completion's dir).
std::string bsmctl_bash_completion();

} // namespace bsm::ctl
