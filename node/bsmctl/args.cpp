#include "node/bsmctl/args.hpp"

#include "node/bsmctl/message.hpp"
#include "runtime/error.hpp"

namespace bsm::ctl {

namespace {

caf::error usage_error(const std::string& what) {
  return make_error(errc::invalid_argument, what);
}

bool is_option(const std::string& arg, const std::string& opt) {
  return arg == opt || arg.rfind(opt + "=", 0) == 0;
}

// Accepts "--opt VALUE" and "--opt=VALUE"; advances `i` past the value.
caf::expected<std::string> option_value(const std::vector<std::string>& args,
                                        size_t& i, const std::string& opt) {
  const auto& arg = args[i];
  if (arg.size() > opt.size() && arg[opt.size()] == '=')
    return arg.substr(opt.size() + 1);
  if (arg.size() > opt.size() || i + 1 >= args.size())
    return usage_error("option " + opt + " needs a value");
  return args[++i];
}

caf::expected<uint64_t> positive_number(const std::string& text,
                                        const std::string& opt) {
  auto bad = usage_error("option " + opt + " needs a positive integer, not '"
                         + text + "'");
  if (text.empty() || text.size() > 19
      || text.find_first_not_of("0123456789") != std::string::npos)
    return bad;
  auto value = std::stoull(text);
  if (value == 0)
    return bad;
  return value;
}

std::optional<command_kind> command_named(const std::string& name) {
  if (name == "send")
    return command_kind::send;
  if (name == "actors")
    return command_kind::actors;
  if (name == "tree")
    return command_kind::tree;
  if (name == "health")
    return command_kind::health;
  if (name == "events")
    return command_kind::events;
  if (name == "ports")
    return command_kind::ports;
  if (name == "login")
    return command_kind::login;
  if (name == "users")
    return command_kind::users;
  if (name == "keys")
    return command_kind::keys;
  if (name == "roles")
    return command_kind::roles;
  if (name == "cluster")
    return command_kind::cluster;
  return std::nullopt;
}

// Strips trailing slashes; requires http(s)://host.
caf::expected<std::string> normalize_url(std::string url) {
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  for (const char* scheme : {"http://", "https://"}) {
    std::string prefix = scheme;
    if (url.rfind(prefix, 0) == 0 && url.size() > prefix.size())
      return url;
  }
  return usage_error("bad URL '" + url
                     + "' (want http://HOST:PORT; from --url or $BSM_URL)");
}

caf::expected<output_format> parse_output(const std::string& text) {
  if (text == "json")
    return output_format::json;
  if (text == "table")
    return output_format::table;
  return usage_error("option --output takes json or table, not '" + text + "'");
}

// The state of one parse: which command, its options and positionals.
class parser {
public:
  parser(const std::vector<std::string>& args, const bsmctl_env& env)
    : args_(args) {
    if (env.url)
      result_.global.url = *env.url;
    if (env.token)
      result_.global.token = *env.token;
  }

  caf::expected<bsmctl_args> run() {
    for (i_ = 0; i_ < args_.size(); ++i_)
      if (auto err = step())
        return err;
    if (help_)
      return help_result();
    if (!command_)
      return usage_error("missing command");
    result_.command = *command_;
    if (auto err = finish())
      return err;
    auto url = normalize_url(result_.global.url);
    if (!url)
      return url.error();
    result_.global.url = std::move(*url);
    return std::move(result_);
  }

private:
  caf::expected<bsmctl_args> help_result() {
    bsmctl_args help;
    help.command = command_kind::help;
    return help;
  }

  caf::error step() {
    const auto& arg = args_[i_];
    if (arg == "--help" || arg == "-h") {
      help_ = true;
      return caf::none;
    }
    if (is_option(arg, "--url"))
      return take(result_.global.url, "--url");
    if (is_option(arg, "--token"))
      return take(result_.global.token, "--token");
    if (is_option(arg, "--cacert"))
      return take(result_.global.cacert, "--cacert");
    if (is_option(arg, "--output")) {
      std::string text;
      if (auto err = take(text, "--output"))
        return err;
      auto fmt = parse_output(text);
      if (!fmt)
        return fmt.error();
      result_.global.output = *fmt;
      return caf::none;
    }
    if (!command_)
      return first_word(arg);
    if (arg.size() > 1 && arg[0] == '-')
      return command_option(arg);
    positionals_.push_back(arg);
    return caf::none;
  }

  caf::error first_word(const std::string& arg) {
    if (arg == "--version") {
      command_ = command_kind::version;
      return caf::none;
    }
    if (!arg.empty() && arg[0] == '-')
      return usage_error("unknown option '" + arg + "'");
    command_ = command_named(arg);
    if (!command_)
      return usage_error("unknown command '" + arg + "'");
    return caf::none;
  }

  caf::error take(std::string& out, const std::string& opt) {
    auto value = option_value(args_, i_, opt);
    if (!value)
      return value.error();
    out = std::move(*value);
    return caf::none;
  }

  caf::error take_number(std::optional<uint64_t>& out, const std::string& opt) {
    std::string text;
    if (auto err = take(text, opt))
      return err;
    auto value = positive_number(text, opt);
    if (!value)
      return value.error();
    out = *value;
    return caf::none;
  }

  caf::error command_option(const std::string& arg) {
    switch (*command_) {
      case command_kind::send: return send_option(arg);
      case command_kind::events:
        if (is_option(arg, "--count"))
          return take_number(result_.events.count, "--count");
        break;
      case command_kind::login:
        if (arg == "--api-key") {
          result_.login.api_key = true;
          return caf::none;
        }
        break;
      case command_kind::users:
        if (is_option(arg, "--role"))
          return take_role(result_.users.roles);
        break;
      case command_kind::keys: return keys_option(arg);
      case command_kind::cluster:
        if (arg == "--wait") {
          result_.cluster.wait = true;
          return caf::none;
        }
        break;
      case command_kind::ports:
        if (is_option(arg, "--data-dir"))
          return take(result_.ports.data_dir, "--data-dir");
        if (is_option(arg, "--key"))
          return take(result_.ports.key, "--key");
        break;
      default: break;
    }
    return unknown_option(arg);
  }

  caf::error take_role(std::vector<std::string>& roles) {
    std::string role;
    if (auto err = take(role, "--role"))
      return err;
    if (role.empty())
      return usage_error("option --role needs a non-empty role");
    roles.push_back(std::move(role));
    return caf::none;
  }

  caf::error keys_option(const std::string& arg) {
    auto& keys = result_.keys;
    if (is_option(arg, "--role"))
      return take_role(keys.roles);
    if (is_option(arg, "--expires-in-s"))
      return take_number(keys.expires_in_s, "--expires-in-s");
    if (is_option(arg, "--principal")) {
      if (auto err = take(keys.principal, "--principal"))
        return err;
      if (keys.principal.empty())
        return usage_error("option --principal needs a non-empty name");
      return caf::none;
    }
    return unknown_option(arg);
  }

  caf::error unknown_option(const std::string& arg) {
    return usage_error("unknown option '" + arg + "' for '"
                       + command_word(*command_) + "'");
  }

  caf::error send_option(const std::string& arg) {
    auto& send = result_.send;
    if (arg == "--ask") {
      send.ask = true;
      return caf::none;
    }
    if (arg == "--batch") {
      send.batch = true;
      return caf::none;
    }
    if (is_option(arg, "--idempotency-key")) {
      if (auto err = take(send.idempotency_key, "--idempotency-key"))
        return err;
      if (send.idempotency_key.empty())
        return usage_error("option --idempotency-key needs a non-empty key");
      return caf::none;
    }
    if (is_option(arg, "--timeout-ms"))
      return take_number(send.timeout_ms, "--timeout-ms");
    return unknown_option(arg);
  }

  // Checks the positionals of the command once every option is known.
  caf::error finish() {
    switch (*command_) {
      case command_kind::send: return finish_send();
      case command_kind::events: return finish_events();
      case command_kind::login: return finish_login();
      case command_kind::users: return finish_users();
      case command_kind::keys: return finish_keys();
      case command_kind::cluster: return finish_cluster();
      default:
        if (!positionals_.empty())
          return usage_error("unexpected argument '" + positionals_[0]
                             + "' for '" + command_word(*command_) + "'");
        return caf::none;
    }
  }

  caf::error finish_send() {
    auto& send = result_.send;
    if (send.batch) {
      if (!positionals_.empty())
        return usage_error("send --batch reads messages from stdin; "
                           "unexpected argument '"
                           + positionals_[0] + "'");
      if (!send.idempotency_key.empty())
        return usage_error("send --batch takes idempotency keys per line "
                           "(\"idempotency_key\"), not --idempotency-key");
      return caf::none;
    }
    if (positionals_.size() < 2)
      return usage_error("send needs ACTOR and TYPE");
    if (positionals_.size() > 3)
      return usage_error("unexpected argument '" + positionals_[3]
                         + "' for 'send'");
    send.actor = positionals_[0];
    send.type = positionals_[1];
    if (send.actor.empty() || send.type.empty())
      return usage_error("send needs a non-empty ACTOR and TYPE");
    if (positionals_.size() == 3) {
      if (positionals_[2] == "-") {
        send.payload_from_stdin = true;
      } else {
        send.payload = positionals_[2];
        auto payload = parse_payload(send.payload);
        if (!payload)
          return payload.error();
      }
    }
    return caf::none;
  }

  caf::error finish_cluster() {
    if (positionals_.empty() || positionals_[0] != "leave")
      return usage_error("cluster needs 'leave NODE'");
    if (positionals_.size() < 2 || positionals_[1].empty())
      return usage_error("cluster leave needs a NODE");
    if (positionals_.size() > 2)
      return usage_error("unexpected argument '" + positionals_[2]
                         + "' for 'cluster leave'");
    result_.cluster.node = positionals_[1];
    return caf::none;
  }

  caf::error finish_events() {
    if (positionals_.size() > 1)
      return usage_error("unexpected argument '" + positionals_[1]
                         + "' for 'events'");
    if (!positionals_.empty()) {
      if (positionals_[0].empty())
        return usage_error("events needs a non-empty PATTERN");
      result_.events.pattern = positionals_[0];
    }
    return caf::none;
  }

  caf::error finish_login() {
    auto& login = result_.login;
    size_t want = login.api_key ? 0 : 1;
    if (positionals_.size() > want)
      return usage_error(
        "unexpected argument '" + positionals_[want] + "' for 'login'"
        + (login.api_key ? " (the key comes from stdin)"
                         : " (the password comes from stdin)"));
    if (positionals_.size() < want)
      return usage_error("login needs USER (or --api-key)");
    if (!login.api_key) {
      login.username = positionals_[0];
      if (login.username.empty())
        return usage_error("login needs a non-empty USER");
    }
    return caf::none;
  }

  // ACTION [NAME]: which actions take a name, and the name it is.
  caf::error admin_positionals(const std::string& command,
                               const std::string& set_word,
                               const std::string& remove_word,
                               admin_action& action, std::string& name) {
    if (positionals_.empty())
      return usage_error(command + " needs list, " + set_word + " or "
                         + remove_word);
    const auto& word = positionals_[0];
    size_t want = 2;
    if (word == "list") {
      action = admin_action::list;
      want = 1;
    } else if (word == set_word) {
      action = admin_action::set;
    } else if (word == remove_word) {
      action = admin_action::remove;
    } else {
      return usage_error("unknown action '" + word + "' for '" + command
                         + "' (list, " + set_word + ", " + remove_word + ")");
    }
    if (positionals_.size() > want)
      return usage_error("unexpected argument '" + positionals_[want]
                         + "' for '" + command + " " + word + "'");
    if (want == 2) {
      if (positionals_.size() < 2 || positionals_[1].empty())
        return usage_error(command + " " + word + " needs a non-empty NAME");
      name = positionals_[1];
    }
    return caf::none;
  }

  caf::error finish_users() {
    auto& users = result_.users;
    if (auto err
        = admin_positionals("users", "set", "delete", users.action, users.name))
      return err;
    if (users.action == admin_action::set && users.roles.empty())
      return usage_error("users set needs at least one --role");
    if (users.action != admin_action::set && !users.roles.empty())
      return usage_error("option --role is only for 'users set'");
    return caf::none;
  }

  caf::error finish_keys() {
    auto& keys = result_.keys;
    if (auto err
        = admin_positionals("keys", "create", "revoke", keys.action, keys.name))
      return err;
    bool create = keys.action == admin_action::set;
    if (create && keys.roles.empty())
      return usage_error("keys create needs at least one --role");
    if (!create
        && (!keys.roles.empty() || keys.expires_in_s
            || !keys.principal.empty()))
      return usage_error("options --role, --principal and --expires-in-s are "
                         "only for 'keys create'");
    return caf::none;
  }

  static std::string command_word(command_kind kind) {
    switch (kind) {
      case command_kind::send: return "send";
      case command_kind::actors: return "actors";
      case command_kind::tree: return "tree";
      case command_kind::health: return "health";
      case command_kind::events: return "events";
      case command_kind::ports: return "ports";
      case command_kind::login: return "login";
      case command_kind::users: return "users";
      case command_kind::keys: return "keys";
      case command_kind::roles: return "roles";
      case command_kind::cluster: return "cluster";
      case command_kind::version: return "--version";
      default: return "--help";
    }
  }

  const std::vector<std::string>& args_;
  size_t i_ = 0;
  bool help_ = false;
  std::optional<command_kind> command_;
  std::vector<std::string> positionals_;
  bsmctl_args result_;
};

} // namespace

caf::expected<bsmctl_args>
parse_bsmctl_args(const std::vector<std::string>& args, const bsmctl_env& env) {
  return parser{args, env}.run();
}

std::string bsmctl_usage() {
  return R"usage(usage: bsmctl [GLOBAL OPTIONS] COMMAND [ARGS]

The command line for scripts against a node's HTTP bridge.

Commands:
  send ACTOR TYPE [JSON | -] [--ask] [--idempotency-key K] [--timeout-ms N]
      POST /v1/actors/ACTOR/messages. TYPE without a dot gets the prefix
      bsm.v1. (PingRequest -> bsm.v1.PingRequest). JSON is the payload in
      the protobuf JSON mapping (default {}); - reads it from stdin.
      Tell (default) prints {"message_id","durable"} once the message is in
      the actor's durable mailbox; --ask waits and prints {"type","payload"}.
      --timeout-ms N is the server's deadline for the ask.
      --idempotency-key K: a retry with the same K and body has one effect.
  send --batch [--ask] [--timeout-ms N]
      Reads one message per line from stdin:
        {"actor","type","payload","mode"?,"idempotency_key"?,"timeout_ms"?}
      sends them in order over one keep-alive connection and prints one
      line per input line: {"line","status","response"} or
      {"line","status","error"} (status 0: not sent). Blank lines are
      skipped; a malformed line is reported and the rest still sent.
      --ask sets the mode of lines that give none.
  actors                 GET /v1/actors (table: NAME MAILBOX_DEPTH)
  tree                   GET /v1/tree (table: "name [strategy] state restarts=n")
  health                 GET /healthz and /readyz; exit 1 if not ready
  events [PATTERN] [--count N]
      Streams GET /v1/events?topic=PATTERN (default #: everything; * is one
      segment, # the rest) and prints one event per line (table: time topic
      source data). --count N stops after N events.
  ports [--data-dir DIR] [--key NAME]
      Prints the addresses a local node bound (DIR/ports.json, DIR defaults
      to ./data/node-a); --key http prints only the HTTP address.
  login USER             reads USER's password from stdin (one line, not
                         echoed on a terminal), POSTs /v1/auth/token and
                         prints the access token: export
                         BSM_TOKEN=$(bsmctl login alice < pwfile). Stores
                         nothing on disk.
  login --api-key        the same with an API key read from stdin
  users list             GET /v1/users (table: NAME ROLES DISABLED CREATED)
  users set NAME --role R [--role R...]
                         PUT /v1/users/NAME with the password read from
                         stdin (one line, 8 to 1024 bytes)
  users delete NAME      DELETE /v1/users/NAME (revokes its API keys too)
  keys list              GET /v1/api-keys (table: ID NAME PRINCIPAL ROLES
                         EXPIRES REVOKED)
  keys create NAME --role R [--role R...] [--principal P] [--expires-in-s N]
                         POST /v1/api-keys; prints the record with the key
                         (shown only this once; table: the key alone)
  keys revoke ID         DELETE /v1/api-keys/ID
  roles                  GET /v1/roles (table: ROLE PERMISSIONS)
  cluster leave NODE [--wait]
                         POST /v1/cluster/members/NODE/leave: NODE hands
                         its agents' state to their next owners, then
                         leaves the cluster for good. --wait polls
                         GET /v1/cluster until NODE is left (at most
                         10 minutes).

Global options (before or after the command; --opt=value works too):
  --url URL              the node (default: $BSM_URL, then
                         http://127.0.0.1:8080)
  --token TOKEN          sends Authorization: Bearer TOKEN (default: $BSM_TOKEN)
  --cacert FILE          PEM CA certificates to check an https:// node's
                         certificate with (default: the system's)
  --output json|table    json (default): compact JSON as the server sent it,
                         one document per line; table: aligned columns
  --help, --version

Exit codes: 0 ok; 1 the server answered with an error (its message and code
go to stderr) or a batch line failed; 2 usage error (bad option, malformed
JSON); 3 the server is unreachable (connection refused or timed out).

Examples:
  bsmctl send node_info PingRequest '{"sequence":"7"}' --ask
  echo '{"agent":"a","key":"k","value":"aGk="}' | bsmctl send memory MemoryPutRequest -
  bsmctl --url http://127.0.0.1:41234 events 'supervision.#' --count 1
  bsmctl --url "http://$(bsmctl ports --key http)" health
)usage";
}

} // namespace bsm::ctl
