#include "node/bsmctl/args.hpp"

#include <gtest/gtest.h>

#include "node/bsmctl/exit_code.hpp"

namespace {

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
  EXPECT_NE(error_of({"events", "a", "b"}).find("'b'"), std::string::npos);
}

TEST(BsmctlArgs, PortsKeepsItsOptions) {
  auto args
    = parse_bsmctl_args({"ports", "--data-dir", "/d", "--key", "http"}, {});
  ASSERT_TRUE(args);
  EXPECT_EQ(args->command, command_kind::ports);
  EXPECT_EQ(args->ports.data_dir, "/d");
  EXPECT_EQ(args->ports.key, "http");
}

TEST(BsmctlArgs, RejectsUnknownThingsAndMissingValues) {
  EXPECT_NE(error_of({}).find("missing command"), std::string::npos);
  EXPECT_NE(error_of({"frobnicate"}).find("unknown command 'frobnicate'"),
            std::string::npos);
  EXPECT_NE(error_of({"--frob", "actors"}).find("unknown option '--frob'"),
            std::string::npos);
  EXPECT_NE(error_of({"actors", "--count", "1"}).find("for 'actors'"),
            std::string::npos);
  EXPECT_NE(error_of({"actors", "--url"}).find("--url needs a value"),
            std::string::npos);
  EXPECT_NE(error_of({"send", "a", "T", "--timeout-ms"}).find("needs a value"),
            std::string::npos);
  EXPECT_NE(error_of({"--output", "yaml", "tree"}).find("json or table"),
            std::string::npos);
  EXPECT_NE(error_of({"--url", "127.0.0.1:8080", "tree"}).find("bad URL"),
            std::string::npos);
  EXPECT_NE(error_of({"send", "only-actor"}).find("ACTOR and TYPE"),
            std::string::npos);
}

TEST(BsmctlArgs, HelpWinsAnywhereAndVersionIsACommand) {
  auto help = parse_bsmctl_args({"send", "--help"}, {});
  ASSERT_TRUE(help);
  EXPECT_EQ(help->command, command_kind::help);
  auto version = parse_bsmctl_args({"--version"}, {});
  ASSERT_TRUE(version);
  EXPECT_EQ(version->command, command_kind::version);
  auto usage = bsm::ctl::bsmctl_usage();
  for (const char* word : {"send", "--batch", "actors", "tree", "health",
                           "events", "ports", "--url", "--token", "--cacert",
                           "--output", "BSM_URL", "BSM_TOKEN", "Exit codes"})
    EXPECT_NE(usage.find(word), std::string::npos) << word;
}

} // namespace
