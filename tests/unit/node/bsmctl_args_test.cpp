#include "node/bsmctl/args.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "node/bsmctl/exit_code.hpp"

namespace {

using bsm::ctl::admin_action;
using bsm::ctl::bsmctl_env;
using bsm::ctl::command_kind;
using bsm::ctl::parse_bsmctl_args;

std::string error_of(const std::vector<std::string>& args) {
  auto res = parse_bsmctl_args(args, {});
  if (res)
    return "(parsed)";
  EXPECT_EQ(bsm::ctl::exit_code_for(res.error()), bsm::ctl::exit_usage);
  return bsm::ctl::describe(res.error());
}

TEST(BsmctlArgs, ReadsSendWithEveryOption) {
  auto args = parse_bsmctl_args(
    {"send", "node_info", "PingRequest", R"({"sequence":"7"})", "--ask",
     "--idempotency-key", "k1", "--timeout-ms=2500"},
    {});
  ASSERT_TRUE(args) << bsm::ctl::describe(args.error());
  EXPECT_EQ(args->command, command_kind::send);
  EXPECT_EQ(args->send.actor, "node_info");
  EXPECT_EQ(args->send.type, "PingRequest");
  EXPECT_EQ(args->send.payload, R"({"sequence":"7"})");
  EXPECT_TRUE(args->send.ask);
  EXPECT_EQ(args->send.idempotency_key, "k1");
  EXPECT_EQ(args->send.timeout_ms, 2500u);
  EXPECT_FALSE(args->send.batch || args->send.payload_from_stdin);
}

TEST(BsmctlArgs, SendDefaultsToAnEmptyPayloadAndDashReadsStdin) {
  auto plain = parse_bsmctl_args({"send", "memory", "MemoryGetRequest"}, {});
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->send.payload, "{}");
  EXPECT_FALSE(plain->send.ask);
  auto dash = parse_bsmctl_args({"send", "memory", "X", "-"}, {});
  ASSERT_TRUE(dash);
  EXPECT_TRUE(dash->send.payload_from_stdin);
}

TEST(BsmctlArgs, RejectsBadPayloadsAsUsageErrors) {
  EXPECT_NE(error_of({"send", "a", "T", "{bad"}).find("not valid JSON"),
            std::string::npos);
  EXPECT_NE(error_of({"send", "a", "T", "[1,2]"}).find("JSON object"),
            std::string::npos);
}

TEST(BsmctlArgs, BatchTakesNoPositionalsNorIdempotencyKey) {
  auto batch = parse_bsmctl_args({"send", "--batch", "--ask"}, {});
  ASSERT_TRUE(batch);
  EXPECT_TRUE(batch->send.batch && batch->send.ask);
  EXPECT_NE(error_of({"send", "--batch", "memory"}).find("'memory'"),
            std::string::npos);
  EXPECT_NE(
    error_of({"send", "--batch", "--idempotency-key", "k"}).find("per line"),
    std::string::npos);
}

TEST(BsmctlArgs, GlobalOptionsGoBeforeOrAfterTheCommand) {
  auto before = parse_bsmctl_args(
    {"--url", "http://127.0.0.1:9/", "--output", "table", "actors"}, {});
  ASSERT_TRUE(before);
  EXPECT_EQ(before->global.url, "http://127.0.0.1:9");
  EXPECT_EQ(before->global.output, bsm::ctl::output_format::table);
  auto after = parse_bsmctl_args({"tree", "--token=abc", "--output=json"}, {});
  ASSERT_TRUE(after);
  EXPECT_EQ(after->command, command_kind::tree);
  EXPECT_EQ(after->global.token, "abc");
  EXPECT_EQ(after->global.output, bsm::ctl::output_format::json);
}

TEST(BsmctlArgs, UrlAndTokenComeFromTheEnvironmentUnlessGiven) {
  bsmctl_env env{std::string{"http://10.0.0.1:80"}, std::string{"t0k"}};
  auto from_env = parse_bsmctl_args({"health"}, env);
  ASSERT_TRUE(from_env);
  EXPECT_EQ(from_env->global.url, "http://10.0.0.1:80");
  EXPECT_EQ(from_env->global.token, "t0k");
  auto given = parse_bsmctl_args(
    {"health", "--url", "https://h:1", "--token", "x"}, env);
  ASSERT_TRUE(given);
  EXPECT_EQ(given->global.url, "https://h:1");
  EXPECT_EQ(given->global.token, "x");
  auto neither = parse_bsmctl_args({"health"}, {});
  ASSERT_TRUE(neither);
  EXPECT_EQ(neither->global.url, "http://127.0.0.1:8080");
  EXPECT_TRUE(neither->global.token.empty());
}

TEST(BsmctlArgs, CacertNamesTheCaFileForAnHttpsNode) {
  auto args = parse_bsmctl_args(
    {"--url", "https://localhost:8443", "health", "--cacert", "ca.pem"}, {});
  ASSERT_TRUE(args);
  EXPECT_EQ(args->global.url, "https://localhost:8443");
  EXPECT_EQ(args->global.cacert, "ca.pem");
  auto none = parse_bsmctl_args({"health"}, {});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->global.cacert.empty());
  EXPECT_FALSE(parse_bsmctl_args({"health", "--cacert"}, {}));
}

TEST(BsmctlArgs, EventsTakeAPatternAndACount) {
  auto all = parse_bsmctl_args({"events"}, {});
  ASSERT_TRUE(all);
  EXPECT_EQ(all->events.pattern, "#");
  EXPECT_FALSE(all->events.count);
  auto some
    = parse_bsmctl_args({"events", "supervision.#", "--count", "3"}, {});
  ASSERT_TRUE(some);
  EXPECT_EQ(some->events.pattern, "supervision.#");
  EXPECT_EQ(some->events.count, 3u);
  EXPECT_NE(error_of({"events", "--count", "0"}).find("positive integer"),
            std::string::npos);
  EXPECT_NE(error_of({"events", "--count", "-1"}).find("positive integer"),
            std::string::npos);
  EXPECT_NE(error_of({"events", "a", "b"}).find("expected: b"),
            std::string::npos);
}

TEST(BsmctlArgs, PortsKeepsItsOptions) {
  auto args
    = parse_bsmctl_args({"ports", "--data-dir", "/d", "--key", "http"}, {});
  ASSERT_TRUE(args);
  EXPECT_EQ(args->command, command_kind::ports);
  EXPECT_EQ(args->ports.data_dir, "/d");
  EXPECT_EQ(args->ports.key, "http");
}

// CLI11 words these errors; what stays is exit 2 and the word at fault.
TEST(BsmctlArgs, RejectsUnknownThingsAndMissingValues) {
  EXPECT_NE(error_of({}).find("missing command"), std::string::npos);
  EXPECT_NE(error_of({"frobnicate"}).find("frobnicate"), std::string::npos);
  EXPECT_NE(error_of({"--frob", "actors"}).find("--frob"), std::string::npos);
  EXPECT_NE(error_of({"actors", "--count", "1"}).find("--count"),
            std::string::npos);
  EXPECT_NE(error_of({"actors", "--url"}).find("--url"), std::string::npos);
  EXPECT_NE(error_of({"send", "a", "T", "--timeout-ms"}).find("--timeout-ms"),
            std::string::npos);
  EXPECT_NE(error_of({"--output", "xml", "tree"}).find("table, json or yaml"),
            std::string::npos);
  EXPECT_NE(error_of({"--url", "127.0.0.1:8080", "tree"}).find("bad URL"),
            std::string::npos);
  EXPECT_NE(error_of({"send", "only-actor"}).find("ACTOR and TYPE"),
            std::string::npos);
}

TEST(BsmctlArgs, OutputIsATableOnATerminalAndJsonWhenPiped) {
  bsmctl_env terminal;
  terminal.stdout_is_terminal = true;
  auto on_terminal = parse_bsmctl_args({"actors"}, terminal);
  ASSERT_TRUE(on_terminal);
  EXPECT_EQ(on_terminal->global.output, bsm::ctl::output_format::table);
  auto piped = parse_bsmctl_args({"actors"}, {});
  ASSERT_TRUE(piped);
  EXPECT_EQ(piped->global.output, bsm::ctl::output_format::json);
  auto asked = parse_bsmctl_args({"actors", "-o", "json"}, terminal);
  ASSERT_TRUE(asked);
  EXPECT_EQ(asked->global.output, bsm::ctl::output_format::json);
  auto yaml = parse_bsmctl_args({"-o", "yaml", "tree"}, {});
  ASSERT_TRUE(yaml);
  EXPECT_EQ(yaml->global.output, bsm::ctl::output_format::yaml);
}

TEST(BsmctlArgs, AgentsListShowAndChat) {
  auto list = parse_bsmctl_args({"agents", "list"}, {});
  ASSERT_TRUE(list) << bsm::ctl::describe(list.error());
  EXPECT_EQ(list->command, command_kind::agents);
  EXPECT_EQ(list->agents.action, bsm::ctl::agents_action::list);
  // An agent may be named like a command: it is an argument there.
  auto show = parse_bsmctl_args({"agents", "show", "list"}, {});
  ASSERT_TRUE(show) << bsm::ctl::describe(show.error());
  EXPECT_EQ(show->agents.action, bsm::ctl::agents_action::show);
  EXPECT_EQ(show->agents.name, "list");
  auto chat = parse_bsmctl_args(
    {"agents", "chat", "assistant", "hello there", "--session", "s1"}, {});
  ASSERT_TRUE(chat) << bsm::ctl::describe(chat.error());
  EXPECT_EQ(chat->agents.action, bsm::ctl::agents_action::chat);
  EXPECT_EQ(chat->agents.name, "assistant");
  EXPECT_EQ(chat->agents.input, "hello there");
  EXPECT_EQ(chat->agents.session, "s1");
  EXPECT_FALSE(chat->agents.input_from_stdin);
  for (std::vector<std::string> args :
       {std::vector<std::string>{"agents", "chat", "a"},
        {"agents", "chat", "a", "-"}}) {
    auto from_stdin = parse_bsmctl_args(args, {});
    ASSERT_TRUE(from_stdin);
    EXPECT_TRUE(from_stdin->agents.input_from_stdin);
  }
  EXPECT_NE(error_of({"agents"}).find("list, show NAME or chat NAME"),
            std::string::npos);
  EXPECT_NE(error_of({"agents", "show"}).find("agent NAME"), std::string::npos);
}

TEST(BsmctlArgs, SessionsArePaged) {
  auto list = parse_bsmctl_args(
    {"sessions", "list", "assistant", "--limit", "5", "--after", "s9"}, {});
  ASSERT_TRUE(list) << bsm::ctl::describe(list.error());
  EXPECT_EQ(list->command, command_kind::sessions);
  EXPECT_FALSE(list->sessions.show);
  EXPECT_EQ(list->sessions.agent, "assistant");
  EXPECT_EQ(list->sessions.limit, 5u);
  EXPECT_EQ(list->sessions.after, "s9");
  auto show = parse_bsmctl_args({"sessions", "show", "assistant", "s1"}, {});
  ASSERT_TRUE(show);
  EXPECT_TRUE(show->sessions.show);
  EXPECT_EQ(show->sessions.id, "s1");
  EXPECT_FALSE(show->sessions.limit);
  EXPECT_NE(error_of({"sessions", "show", "assistant"}).find("session ID"),
            std::string::npos);
  EXPECT_NE(error_of({"sessions", "list", "a", "--limit", "0"})
              .find("positive integer"),
            std::string::npos);
}

TEST(BsmctlArgs, QuestionsAreListedAndAnsweredOneWay) {
  auto list = parse_bsmctl_args(
    {"questions", "list", "assistant", "--session", "s1"}, {});
  ASSERT_TRUE(list) << bsm::ctl::describe(list.error());
  EXPECT_EQ(list->command, command_kind::questions);
  EXPECT_FALSE(list->questions.answer);
  EXPECT_EQ(list->questions.agent, "assistant");
  EXPECT_EQ(list->questions.session, "s1");
  auto accept = parse_bsmctl_args({"questions", "answer", "assistant", "q-1",
                                   "--accept", R"({"name":"Ada"})"},
                                  {});
  ASSERT_TRUE(accept) << bsm::ctl::describe(accept.error());
  EXPECT_TRUE(accept->questions.answer);
  EXPECT_EQ(accept->questions.id, "q-1");
  EXPECT_EQ(accept->questions.action, "accept");
  EXPECT_EQ(accept->questions.content, R"({"name":"Ada"})");
  auto decline = parse_bsmctl_args(
    {"questions", "answer", "assistant", "q-1", "--decline"}, {});
  ASSERT_TRUE(decline);
  EXPECT_EQ(decline->questions.action, "decline");
  EXPECT_NE(error_of({"questions", "answer", "assistant", "q-1"})
              .find("one of --accept JSON, --decline, --cancel"),
            std::string::npos);
  EXPECT_NE(error_of({"questions", "answer", "assistant", "q-1", "--decline",
                      "--cancel"})
              .find("one of"),
            std::string::npos);
  EXPECT_NE(
    error_of({"questions", "answer", "assistant", "q-1", "--accept", "[1]"})
      .find("JSON object"),
    std::string::npos);
  EXPECT_NE(error_of({"questions", "answer", "assistant"}).find("question ID"),
            std::string::npos);
  EXPECT_NE(error_of({"questions"}).find("list AGENT or answer"),
            std::string::npos);
}

TEST(BsmctlArgs, ClusterShowsTheViewOrLeaves) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"cluster"}, {"cluster", "members"}}) {
    auto view = parse_bsmctl_args(args, {});
    ASSERT_TRUE(view);
    EXPECT_EQ(view->command, command_kind::cluster);
    EXPECT_FALSE(view->cluster.leave);
  }
  auto leave = parse_bsmctl_args({"cluster", "leave", "b", "--wait"}, {});
  ASSERT_TRUE(leave);
  EXPECT_TRUE(leave->cluster.leave && leave->cluster.wait);
  EXPECT_EQ(leave->cluster.node, "b");
  EXPECT_NE(error_of({"cluster", "leave"}).find("NODE"), std::string::npos);
}

TEST(BsmctlArgs, EventsWithACountNeverWaitForever) {
  auto counted = parse_bsmctl_args({"events", "--count", "2"}, {});
  ASSERT_TRUE(counted);
  EXPECT_EQ(counted->events.timeout, bsm::ctl::default_events_timeout);
  auto forever = parse_bsmctl_args({"events"}, {});
  ASSERT_TRUE(forever);
  EXPECT_FALSE(forever->events.timeout);
  using std::chrono::milliseconds;
  for (auto [text, ms] : {std::pair{"500ms", 500},
                          {"10s", 10'000},
                          {"3", 3'000},
                          {"2m", 120'000}}) {
    auto args = parse_bsmctl_args({"events", "--timeout", text}, {});
    ASSERT_TRUE(args) << text;
    EXPECT_EQ(args->events.timeout, milliseconds{ms}) << text;
  }
  for (const char* bad : {"soon", "10h", "0s", "-1", "s"})
    EXPECT_NE(error_of({"events", "--timeout", bad}).find("--timeout"),
              std::string::npos)
      << bad;
}

TEST(BsmctlArgs, ReloadAndCompletionAreCommands) {
  auto reload = parse_bsmctl_args({"reload"}, {});
  ASSERT_TRUE(reload);
  EXPECT_EQ(reload->command, command_kind::reload);
  auto completion = parse_bsmctl_args({"completion", "bash"}, {});
  ASSERT_TRUE(completion);
  EXPECT_EQ(completion->command, command_kind::completion);
  EXPECT_NE(error_of({"completion", "fish"}).find("bash"), std::string::npos);
  auto script = bsm::ctl::bsmctl_bash_completion();
  for (const char* word :
       {"complete -F _bsmctl bsmctl", "\"agents\")", "\"agents chat\")",
        "--session", "--output", "reload"})
    EXPECT_NE(script.find(word), std::string::npos) << word;
}

TEST(BsmctlArgs, HelpOfACommandHasItsExamples) {
  auto help = parse_bsmctl_args({"help", "agents", "chat"}, {});
  ASSERT_TRUE(help) << bsm::ctl::describe(help.error());
  EXPECT_EQ(help->command, command_kind::help);
  EXPECT_NE(help->help_text.find("bsmctl agents chat"), std::string::npos);
  EXPECT_NE(help->help_text.find("--session"), std::string::npos);
  EXPECT_NE(help->help_text.find("Examples:"), std::string::npos);
  auto flag = parse_bsmctl_args({"agents", "chat", "--help"}, {});
  ASSERT_TRUE(flag);
  EXPECT_EQ(flag->help_text, help->help_text);
  EXPECT_NE(error_of({"help", "frob"}).find("no command 'frob'"),
            std::string::npos);
  auto usage = bsm::ctl::bsmctl_usage();
  EXPECT_NE(usage.find(bsm::ctl::exit_code_table()), std::string::npos);
}

TEST(BsmctlArgs, HelpWinsAnywhereAndVersionIsACommand) {
  auto help = parse_bsmctl_args({"send", "--help"}, {});
  ASSERT_TRUE(help);
  EXPECT_EQ(help->command, command_kind::help);
  EXPECT_NE(help->help_text.find("--idempotency-key"), std::string::npos);
  auto version = parse_bsmctl_args({"--version"}, {});
  ASSERT_TRUE(version);
  EXPECT_EQ(version->command, command_kind::version);
  auto usage = bsm::ctl::bsmctl_usage();
  for (const char* word : {"send", "--batch", "actors", "tree", "health",
                           "events", "ports", "--url", "--token", "--cacert",
                           "--output", "BSM_URL", "BSM_TOKEN", "Exit codes"})
    EXPECT_NE(usage.find(word), std::string::npos) << word;
}

TEST(BsmctlArgs, DocsPrintTheOneExitCodeTable) {
  std::ifstream in{BSM_SOURCE_DIR "/docs/CLI.md"};
  ASSERT_TRUE(in);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find(bsm::ctl::exit_code_table()), std::string::npos)
    << "docs/CLI.md's exit codes differ from exit_code_table()";
}

bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(BsmctlAuthArgs, LoginTakesAUserOrApiKeyButNoSecret) {
  auto user = parse_bsmctl_args({"login", "alice"}, {});
  ASSERT_TRUE(user) << bsm::ctl::describe(user.error());
  EXPECT_EQ(user->command, command_kind::login);
  EXPECT_EQ(user->login.username, "alice");
  EXPECT_FALSE(user->login.api_key);
  auto key = parse_bsmctl_args({"login", "--api-key"}, {});
  ASSERT_TRUE(key);
  EXPECT_TRUE(key->login.api_key);
  EXPECT_TRUE(key->login.username.empty());
  EXPECT_TRUE(mentions(error_of({"login"}), "login needs USER"));
  EXPECT_TRUE(mentions(error_of({"login", "alice", "hunter22"}),
                       "the password comes from stdin"));
  EXPECT_TRUE(mentions(error_of({"login", "--api-key", "bsm_x_y"}),
                       "the key comes from stdin"));
  EXPECT_TRUE(
    mentions(error_of({"login", "alice", "--password", "x"}), "--password"));
}

TEST(BsmctlAuthArgs, UsersActionsNeedTheirNamesAndRoles) {
  auto list = parse_bsmctl_args({"users", "list"}, {});
  ASSERT_TRUE(list);
  EXPECT_EQ(list->command, command_kind::users);
  EXPECT_EQ(list->users.action, admin_action::list);
  auto set = parse_bsmctl_args(
    {"users", "set", "bob", "--role", "operator", "--role=viewer"}, {});
  ASSERT_TRUE(set) << bsm::ctl::describe(set.error());
  EXPECT_EQ(set->users.action, admin_action::set);
  EXPECT_EQ(set->users.name, "bob");
  EXPECT_EQ(set->users.roles, (std::vector<std::string>{"operator", "viewer"}));
  auto del = parse_bsmctl_args({"users", "delete", "bob"}, {});
  ASSERT_TRUE(del);
  EXPECT_EQ(del->users.action, admin_action::remove);
  EXPECT_EQ(del->users.name, "bob");
  EXPECT_TRUE(mentions(error_of({"users"}), "needs list, set or delete"));
  EXPECT_TRUE(mentions(error_of({"users", "add", "bob"}), "add"));
  EXPECT_TRUE(mentions(error_of({"users", "set", "bob"}), "--role"));
  EXPECT_TRUE(mentions(error_of({"users", "set", "--role", "admin"}),
                       "needs a non-empty NAME"));
  EXPECT_TRUE(mentions(error_of({"users", "set", "bob", "--role="}), "role"));
  EXPECT_TRUE(
    mentions(error_of({"users", "delete", "bob", "--role", "x"}), "--role"));
  EXPECT_TRUE(mentions(error_of({"users", "list", "bob"}), "bob"));
  EXPECT_TRUE(
    mentions(error_of({"users", "set", "bob", "pw", "--role", "a"}), "pw"));
}

TEST(BsmctlAuthArgs, KeysCreateTakesRolesPrincipalAndExpiry) {
  auto create
    = parse_bsmctl_args({"keys", "create", "ci", "--role", "operator",
                         "--expires-in-s", "3600", "--principal", "bob"},
                        {});
  ASSERT_TRUE(create) << bsm::ctl::describe(create.error());
  EXPECT_EQ(create->command, command_kind::keys);
  EXPECT_EQ(create->keys.action, admin_action::set);
  EXPECT_EQ(create->keys.name, "ci");
  EXPECT_EQ(create->keys.roles, std::vector<std::string>{"operator"});
  EXPECT_EQ(create->keys.expires_in_s, 3600u);
  EXPECT_EQ(create->keys.principal, "bob");
  auto revoke = parse_bsmctl_args({"keys", "revoke", "k123"}, {});
  ASSERT_TRUE(revoke);
  EXPECT_EQ(revoke->keys.action, admin_action::remove);
  EXPECT_EQ(revoke->keys.name, "k123");
  auto list = parse_bsmctl_args({"keys", "list", "--output", "table"}, {});
  ASSERT_TRUE(list);
  EXPECT_EQ(list->keys.action, admin_action::list);
  EXPECT_TRUE(mentions(error_of({"keys", "create", "ci"}), "--role"));
  EXPECT_TRUE(mentions(error_of({"keys", "create", "ci", "--role", "admin",
                                 "--expires-in-s", "0"}),
                       "positive integer"));
  EXPECT_TRUE(mentions(error_of({"keys", "revoke"}), "needs a non-empty NAME"));
  EXPECT_TRUE(
    mentions(error_of({"keys", "revoke", "k1", "--role", "admin"}), "--role"));
  EXPECT_TRUE(mentions(error_of({"keys", "delete", "k1"}), "delete"));
}

TEST(BsmctlAuthArgs, RolesTakesNoArguments) {
  auto roles = parse_bsmctl_args({"roles", "--output=table"}, {});
  ASSERT_TRUE(roles);
  EXPECT_EQ(roles->command, command_kind::roles);
  EXPECT_TRUE(mentions(error_of({"roles", "admin"}), "admin"));
}

TEST(BsmctlAuthArgs, HelpSaysLoginStoresNothing) {
  auto help = bsm::ctl::bsmctl_command_help({"login"});
  ASSERT_TRUE(help);
  EXPECT_TRUE(mentions(*help, "Stores nothing on disk"));
}

} // namespace
