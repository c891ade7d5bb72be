#include "node/bsmctl/args.hpp"

#include <algorithm>
#include <tuple>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "node/bsmctl/command_line.hpp"
#include "node/bsmctl/message.hpp"
#include "runtime/error.hpp"

namespace bsm::ctl {

namespace {

caf::error usage_error(const std::string& what) {
  return make_error(errc::invalid_argument, what);
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

// Sets `out` from `text` when the option was given (text not empty).
caf::error take_number(const std::string& text, const std::string& opt,
                       std::optional<uint64_t>& out) {
  if (text.empty())
    return caf::none;
  auto value = positive_number(text, opt);
  if (!value)
    return value.error();
  out = *value;
  return caf::none;
}

// "500ms", "10s", "2m", or a bare number of seconds.
caf::expected<std::chrono::milliseconds> duration(const std::string& text) {
  auto bad = usage_error("option --timeout needs a duration like 500ms, 10s "
                         "or 2m, not '"
                         + text + "'");
  auto digits = std::min(text.find_first_not_of("0123456789"), text.size());
  if (digits == 0 || digits > 9)
    return bad;
  auto unit = text.substr(digits);
  auto number = std::stoull(text.substr(0, digits));
  uint64_t scale = 0;
  if (unit == "ms")
    scale = 1;
  else if (unit.empty() || unit == "s")
    scale = 1000;
  else if (unit == "m")
    scale = 60'000;
  if (scale == 0 || number == 0)
    return bad;
  return std::chrono::milliseconds{number * scale};
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
  if (text == "yaml")
    return output_format::yaml;
  return usage_error("option --output takes table, json or yaml, not '" + text
                     + "'");
}

caf::error need(bool given, const std::string& what) {
  return given ? caf::none : usage_error(what);
}

caf::error finish_send(send_args& send, const raw_words& raw) {
  if (auto err = take_number(raw.timeout_ms, "--timeout-ms", send.timeout_ms))
    return err;
  if (send.batch) {
    for (const auto* word : {&send.actor, &send.type})
      if (!word->empty())
        return usage_error("send --batch reads messages from stdin; "
                           "unexpected argument '"
                           + *word + "'");
    if (!send.idempotency_key.empty())
      return usage_error("send --batch takes idempotency keys per line "
                         "(\"idempotency_key\"), not --idempotency-key");
    return caf::none;
  }
  if (send.actor.empty() || send.type.empty())
    return usage_error("send needs ACTOR and TYPE");
  if (!raw.payload)
    return caf::none;
  if (*raw.payload == "-") {
    send.payload_from_stdin = true;
    return caf::none;
  }
  send.payload = *raw.payload;
  auto payload = parse_payload(send.payload);
  return payload ? caf::none : payload.error();
}

caf::error finish_login(login_args& login, const raw_words& raw) {
  const auto& words = raw.login_words;
  size_t want = login.api_key ? 0 : 1;
  if (words.size() > want)
    return usage_error("unexpected argument '" + words[want] + "' for 'login'"
                       + (login.api_key ? " (the key comes from stdin)"
                                        : " (the password comes from stdin)"));
  if (words.size() < want || (want == 1 && words[0].empty()))
    return usage_error("login needs USER (or --api-key)");
  if (want == 1)
    login.username = words[0];
  return caf::none;
}

caf::error finish_users(const CLI::App& cmd, const users_args& users) {
  if (cmd.get_subcommands().empty())
    return usage_error("users needs list, set or delete");
  if (users.action == admin_action::list)
    return caf::none;
  auto word = users.action == admin_action::set ? "set" : "delete";
  if (users.name.empty())
    return usage_error(std::string{"users "} + word
                       + " needs a non-empty NAME");
  for (const auto& role : users.roles)
    if (role.empty())
      return usage_error("option --role needs a non-empty role");
  return need(users.action != admin_action::set || !users.roles.empty(),
              "users set needs at least one --role");
}

caf::error finish_keys(const CLI::App& cmd, keys_args& keys,
                       const raw_words& raw) {
  if (cmd.get_subcommands().empty())
    return usage_error("keys needs list, create or revoke");
  if (keys.action == admin_action::list)
    return caf::none;
  auto word = keys.action == admin_action::set ? "create" : "revoke";
  if (keys.name.empty())
    return usage_error(std::string{"keys "} + word + " needs a non-empty NAME");
  if (auto err
      = take_number(raw.expires_in_s, "--expires-in-s", keys.expires_in_s))
    return err;
  for (const auto& role : keys.roles)
    if (role.empty())
      return usage_error("option --role needs a non-empty role");
  return need(keys.action != admin_action::set || !keys.roles.empty(),
              "keys create needs at least one --role");
}

caf::error finish_agents(const CLI::App& cmd, agents_args& agents,
                         const raw_words& raw) {
  if (cmd.get_subcommands().empty())
    return usage_error("agents needs list, show NAME or chat NAME");
  if (agents.action == agents_action::list)
    return caf::none;
  if (agents.name.empty())
    return usage_error("agents needs a non-empty agent NAME");
  if (agents.action == agents_action::chat) {
    agents.input_from_stdin = !raw.chat_input || *raw.chat_input == "-";
    if (!agents.input_from_stdin)
      agents.input = *raw.chat_input;
  }
  return caf::none;
}

caf::error finish_sessions(const CLI::App& cmd, sessions_args& sessions,
                           const raw_words& raw) {
  if (cmd.get_subcommands().empty())
    return usage_error("sessions needs list AGENT or show AGENT ID");
  if (sessions.agent.empty())
    return usage_error("sessions needs a non-empty AGENT");
  if (sessions.show && sessions.id.empty())
    return usage_error("sessions show needs a non-empty session ID");
  return take_number(raw.limit, "--limit", sessions.limit);
}

caf::error finish_questions(const CLI::App& cmd, questions_args& questions,
                            const raw_words& raw) {
  if (cmd.get_subcommands().empty())
    return usage_error("questions needs list AGENT or answer AGENT ID");
  if (questions.agent.empty())
    return usage_error("questions needs a non-empty AGENT");
  if (!questions.answer)
    return caf::none;
  if (questions.id.empty())
    return usage_error("questions answer needs a non-empty question ID");
  auto given = int{raw.accept.has_value()} + int{raw.decline} + int{raw.cancel};
  if (given != 1)
    return usage_error("questions answer needs one of --accept JSON, "
                       "--decline, --cancel");
  if (raw.decline)
    questions.action = "decline";
  else if (raw.cancel)
    questions.action = "cancel";
  else {
    questions.action = "accept";
    auto content = nlohmann::json::parse(*raw.accept, nullptr, false);
    if (!content.is_object())
      return usage_error("--accept needs a JSON object, not '" + *raw.accept
                         + "'");
    questions.content = content.dump();
  }
  return caf::none;
}

caf::error finish_deadletters(const CLI::App& cmd, deadletters_args& letters,
                              const raw_words& raw) {
  if (cmd.get_subcommands().empty())
    return usage_error("deadletters needs list, retry ID, delete ID or purge "
                       "ACTOR");
  switch (letters.action) {
    case deadletters_action::list:
      return take_number(raw.limit, "--limit", letters.limit);
    case deadletters_action::purge:
      return need(!letters.actor.empty(),
                  "deadletters purge needs a non-empty ACTOR");
    default:
      return need(!letters.id.empty(), "deadletters needs a non-empty ID");
  }
}

caf::error take_priority(const std::string& text,
                         std::optional<uint64_t>& out) {
  if (text.empty())
    return caf::none;
  if (text.size() != 1 || text[0] < '0' || text[0] > '9')
    return usage_error("option --priority needs 0..9, not '" + text + "'");
  out = static_cast<uint64_t>(text[0] - '0');
  return caf::none;
}

caf::error finish_task_submit(tasks_args& tasks, const raw_words& raw) {
  if (tasks.actor.empty() == tasks.agent.empty())
    return usage_error("tasks submit needs an AGENT and INPUT, or --actor");
  if (!tasks.agent.empty() && tasks.input.empty())
    return usage_error("tasks submit AGENT needs a non-empty INPUT");
  if (!tasks.actor.empty() && tasks.type.empty())
    return usage_error("tasks submit --actor needs --type");
  for (const auto& label : tasks.labels)
    if (label.find('=') == std::string::npos || label[0] == '=')
      return usage_error("option --label needs key=value, not '" + label + "'");
  if (auto err = take_priority(raw.priority, tasks.priority))
    return err;
  for (auto [text, opt, out] :
       {std::tuple{&raw.delay_ms, "--delay-ms", &tasks.delay_ms},
        std::tuple{&raw.deadline_ms, "--deadline-ms", &tasks.deadline_ms},
        std::tuple{&raw.max_attempts, "--max-attempts", &tasks.max_attempts},
        std::tuple{&raw.timeout_ms, "--timeout-ms", &tasks.timeout_ms}})
    if (auto err = take_number(*text, opt, *out))
      return err;
  return caf::none;
}

caf::error finish_tasks(const CLI::App& cmd, tasks_args& tasks,
                        const raw_words& raw) {
  if (cmd.get_subcommands().empty())
    return usage_error("tasks needs submit, get ID, list, cancel ID, retry ID "
                       "or watch [ID]");
  switch (tasks.action) {
    case tasks_action::submit: return finish_task_submit(tasks, raw);
    case tasks_action::list:
      return take_number(raw.limit, "--limit", tasks.limit);
    case tasks_action::watch:
      if (!raw.timeout.empty()) {
        auto timeout = duration(raw.timeout);
        if (!timeout)
          return timeout.error();
        tasks.timeout = *timeout;
      }
      return caf::none;
    default: return need(!tasks.id.empty(), "tasks needs a non-empty task ID");
  }
}

caf::error finish_workflows(const CLI::App& cmd, workflows_args& wf) {
  if (cmd.get_subcommands().empty())
    return usage_error("workflows needs put NAME FILE, get NAME, list or run "
                       "NAME");
  switch (wf.action) {
    case workflows_action::list: return caf::none;
    case workflows_action::put:
      if (wf.file.empty())
        return usage_error("workflows put needs a NAME and a FILE");
      [[fallthrough]];
    default: return need(!wf.name.empty(), "workflows needs a non-empty NAME");
  }
}

caf::error finish_runs(const CLI::App& cmd, runs_args& runs,
                       const raw_words& raw) {
  if (cmd.get_subcommands().empty())
    return usage_error("runs needs get ID, list, cancel ID, signal ID STEP "
                       "DECISION or watch ID");
  switch (runs.action) {
    case runs_action::list:
      return take_number(raw.limit, "--limit", runs.limit);
    case runs_action::signal:
      if (runs.decision != "approve" && runs.decision != "reject")
        return usage_error("runs signal needs ID STEP and approve or reject");
      break;
    case runs_action::watch:
      if (!raw.timeout.empty()) {
        auto timeout = duration(raw.timeout);
        if (!timeout)
          return timeout.error();
        runs.timeout = *timeout;
      }
      break;
    default: break;
  }
  return need(!runs.id.empty(), "runs needs a non-empty run ID");
}

caf::error finish_events(events_args& events, const raw_words& raw) {
  if (events.pattern.empty())
    return usage_error("events needs a non-empty PATTERN");
  if (auto err = take_number(raw.count, "--count", events.count))
    return err;
  if (!raw.timeout.empty()) {
    auto timeout = duration(raw.timeout);
    if (!timeout)
      return timeout.error();
    events.timeout = *timeout;
  } else if (events.count) {
    events.timeout = default_events_timeout;
  }
  return caf::none;
}

caf::error finish_help(const CLI::App& app, bsmctl_args& out,
                       const raw_words& raw) {
  auto text = command_help(app, raw.help_words);
  if (!text)
    return usage_error("no command '" + CLI::detail::join(raw.help_words, " ")
                       + "'");
  out.help_text = std::move(*text);
  return caf::none;
}

caf::error finish_command(const CLI::App& app, bsmctl_args& out,
                          const raw_words& raw) {
  auto sub = [&app](const char* name) -> const CLI::App& {
    return *app.get_subcommand(name);
  };
  switch (out.command) {
    case command_kind::help: return finish_help(app, out, raw);
    case command_kind::send: return finish_send(out.send, raw);
    case command_kind::events: return finish_events(out.events, raw);
    case command_kind::login: return finish_login(out.login, raw);
    case command_kind::users: return finish_users(sub("users"), out.users);
    case command_kind::keys: return finish_keys(sub("keys"), out.keys, raw);
    case command_kind::agents:
      return finish_agents(sub("agents"), out.agents, raw);
    case command_kind::sessions:
      return finish_sessions(sub("sessions"), out.sessions, raw);
    case command_kind::questions:
      return finish_questions(sub("questions"), out.questions, raw);
    case command_kind::deadletters:
      return finish_deadletters(sub("deadletters"), out.deadletters, raw);
    case command_kind::tasks: return finish_tasks(sub("tasks"), out.tasks, raw);
    case command_kind::workflows:
      return finish_workflows(sub("workflows"), out.workflows);
    case command_kind::runs: return finish_runs(sub("runs"), out.runs, raw);
    case command_kind::cluster:
      if (out.cluster.leave && out.cluster.node.empty())
        return usage_error("cluster leave needs a NODE");
      return caf::none;
    case command_kind::completion:
      return need(raw.shell == "bash",
                  "completion knows bash, not '" + raw.shell + "'");
    default: return caf::none;
  }
}

// A CLI11 parse error as bsmctl's usage error.
caf::error from_cli(const CLI::ParseError& e) {
  std::string what = e.what();
  if (what.empty())
    what = e.get_name();
  return usage_error(what);
}

} // namespace

caf::expected<bsmctl_args>
parse_bsmctl_args(const std::vector<std::string>& args, const bsmctl_env& env) {
  bsmctl_args out;
  raw_words raw;
  auto app = make_command_line(out, raw);
  // CLI11 takes the words last first.
  std::vector<std::string> reversed{args.rbegin(), args.rend()};
  try {
    app->parse(reversed);
  } catch (const CLI::CallForHelp&) {
    out = bsmctl_args{};
    out.command = command_kind::help;
    out.help_text = app->help();
    return out;
  } catch (const CLI::CallForAllHelp&) {
    out = bsmctl_args{};
    out.command = command_kind::help;
    out.help_text = app->help("", CLI::AppFormatMode::All);
    return out;
  } catch (const CLI::ParseError& e) {
    return from_cli(e);
  }
  if (raw.version) {
    out.command = command_kind::version;
    return out;
  }
  if (app->get_subcommands().empty())
    return usage_error("missing command");
  if (auto err = finish_command(*app, out, raw))
    return err;
  if (app->get_option("--url")->count() == 0 && env.url)
    out.global.url = *env.url;
  if (app->get_option("--token")->count() == 0 && env.token)
    out.global.token = *env.token;
  auto url = normalize_url(out.global.url);
  if (!url)
    return url.error();
  out.global.url = std::move(*url);
  out.global.output
    = env.stdout_is_terminal ? output_format::table : output_format::json;
  if (!raw.output.empty() || app->get_option("--output")->count() > 0) {
    auto fmt = parse_output(raw.output);
    if (!fmt)
      return fmt.error();
    out.global.output = *fmt;
  }
  return out;
}

std::string bsmctl_usage() {
  bsmctl_args out;
  raw_words raw;
  return *command_help(*make_command_line(out, raw), {});
}

caf::expected<std::string>
bsmctl_command_help(const std::vector<std::string>& words) {
  bsmctl_args out;
  raw_words raw;
  auto app = make_command_line(out, raw);
  auto text = command_help(*app, words);
  if (!text)
    return usage_error("no command '" + CLI::detail::join(words, " ") + "'");
  return std::move(*text);
}

} // namespace bsm::ctl
