// MCP tool servers as agent tools, against real servers from npm
// (tests/peers: server-everything, server-filesystem, and
// scripted_server.mjs built on the official SDK) run with the node binary
// from PATH. McpClient drives agents/mcp/client.hpp directly; McpToolHost
// runs the "tools" supervision subtree (agents/tools/tool_host.hpp) in a real
// actor system and goes through the tool host actor.

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <dirent.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agents/mcp/client.hpp"
#include "agents/tools/tool_host.hpp"
#include "agents/tools/tool_names.hpp"
#include "runtime/error.hpp"
#include "runtime/supervision/supervisor.hpp"
#include "runtime/system_config.hpp"
#include "tests/common/poll.hpp"
#include "tests/common/temp_dir.hpp"

#ifndef BSM_SOURCE_DIR
#  define BSM_SOURCE_DIR "."
#endif

namespace fs = std::filesystem;

namespace {

using namespace std::chrono_literals;
using bsm::errc;
using bsm::mcp::client;
using bsm::mcp::spawn_options;
using clock_type = std::chrono::steady_clock;

// -- the peers ----------------------------------------------------------------

fs::path peers() {
  return fs::path{BSM_SOURCE_DIR} / "tests" / "peers";
}

fs::path module(const std::string& package) {
  return peers() / "node_modules" / "@modelcontextprotocol" / package / "dist"
         / "index.js";
}

/// Fails the test (does not skip it) when the peers are missing.
bool peers_installed() {
  if (fs::exists(module("server-everything")))
    return true;
  ADD_FAILURE() << "the test peers are not installed: run "
                   "tests/peers/install.sh (make test does)";
  return false;
}

spawn_options everything() {
  return {"node", {module("server-everything").string(), "stdio"}, {}, {}};
}

spawn_options filesystem(const fs::path& allowed) {
  return {
    "node", {module("server-filesystem").string(), allowed.string()}, {}, {}};
}

spawn_options scripted(std::vector<std::string> args = {}) {
  args.insert(args.begin(), (peers() / "scripted_server.mjs").string());
  return {"node", std::move(args), {}, {}};
}

std::unique_ptr<client> connect(spawn_options spawn,
                                bsm::mcp::client_options opts = {}) {
  auto result = client::connect(std::move(spawn), std::move(opts), 20s);
  if (!result) {
    ADD_FAILURE() << bsm::render(result.error());
    return nullptr;
  }
  return std::move(*result);
}

bsm::mcp::tool_result call_ok(client& c, const std::string& name,
                              const std::string& args,
                              std::chrono::milliseconds timeout = 10s) {
  auto result = c.call_tool(name, args, timeout);
  if (!result) {
    ADD_FAILURE() << name << ": " << bsm::render(result.error());
    return {};
  }
  return std::move(*result);
}

testing::AssertionResult contains(const std::string& text,
                                  std::string_view part) {
  if (text.find(part) != std::string::npos)
    return testing::AssertionSuccess();
  return testing::AssertionFailure()
         << "'" << text << "' does not contain '" << part << "'";
}

testing::AssertionResult has_code(const caf::error& err, errc code) {
  if (bsm::is(err, code))
    return testing::AssertionSuccess();
  return testing::AssertionFailure()
         << "expected " << bsm::to_string(code) << ", got " << bsm::render(err);
}

/// Our child processes whose command line contains `needle`.
std::vector<pid_t> children_running(const std::string& needle) {
  std::vector<pid_t> result;
  auto self = std::to_string(::getpid());
  for (const auto& entry : fs::directory_iterator{"/proc"}) {
    auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    std::ifstream stat_file{entry.path() / "stat"};
    std::string stat;
    std::getline(stat_file, stat);
    auto paren = stat.rfind(')');
    if (paren == std::string::npos)
      continue;
    // After ") ": state, then the parent's pid.
    std::istringstream fields{stat.substr(paren + 2)};
    std::string state;
    std::string ppid;
    fields >> state >> ppid;
    if (ppid != self || state == "Z")
      continue;
    std::ifstream cmd_file{entry.path() / "cmdline"};
    std::string cmdline{std::istreambuf_iterator<char>{cmd_file}, {}};
    if (cmdline.find(needle) != std::string::npos)
      result.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return result;
}

bool is_reaped(pid_t pid) {
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

/// Arguments of scripted_server's `hold`: it creates `<dir>/inside` with its
/// pid once it is in the call and answers once `<dir>/release` exists.
struct hold_files {
  fs::path inside;
  fs::path release;

  explicit hold_files(const fs::path& dir)
    : inside(dir / "inside"), release(dir / "release") {}

  std::string args() const {
    return nlohmann::json{{"inside", inside.string()},
                          {"release", release.string()}}
      .dump();
  }

  /// Waits until the server is inside the call; its pid, or -1.
  pid_t await_inside() const {
    if (!bsm::test::poll_until([this] { return fs::exists(inside); }))
      return -1;
    pid_t pid = -1;
    // Created, then written: the pid may trail the file for a moment.
    (void)bsm::test::poll_until([&] {
      std::ifstream in{inside};
      return static_cast<bool>(in >> pid);
    });
    return pid;
  }

  void let_go() const {
    std::ofstream{release} << "go\n";
  }
};

} // namespace

// -- McpClient: the client against the real servers ---------------------------

TEST(McpClient, InitializesAndListsTheToolsOfServerEverything) {
  if (!peers_installed())
    return;
  auto c = connect(everything());
  ASSERT_TRUE(c);
  EXPECT_EQ(c->server().protocol_version, "2025-11-25");
  EXPECT_FALSE(c->server().name.empty());
  auto tools = c->list_tools(10s);
  ASSERT_TRUE(tools) << bsm::render(tools.error());
  EXPECT_GE(tools->size(), 10u);
  std::set<std::string> names;
  for (const auto& tool : *tools)
    names.insert(tool.name);
  EXPECT_EQ(names.count("echo"), 1u);
  EXPECT_EQ(names.count("get-sum"), 1u);
  for (const auto& tool : *tools) {
    if (tool.name == "echo") {
      EXPECT_TRUE(contains(tool.input_schema_json, "\"message\""));
    }
  }
}

TEST(McpClient, CallsEchoGetSumAndStructuredContent) {
  if (!peers_installed())
    return;
  auto c = connect(everything());
  ASSERT_TRUE(c);
  auto echo = call_ok(*c, "echo", R"({"message":"hello MCP"})");
  EXPECT_EQ(echo.content, "Echo: hello MCP");
  EXPECT_FALSE(echo.is_error);
  auto sum = call_ok(*c, "get-sum", R"({"a":2,"b":40})");
  EXPECT_TRUE(contains(sum.content, "42")) << sum.content;
  auto weather
    = call_ok(*c, "get-structured-content", R"({"location":"Chicago"})");
  auto structured
    = nlohmann::json::parse(weather.structured_json, nullptr, false);
  ASSERT_TRUE(structured.is_object()) << weather.structured_json;
  EXPECT_TRUE(structured.contains("temperature"));
}

TEST(McpClient, PassesEnvironmentToTheServer) {
  if (!peers_installed())
    return;
  auto spawn = everything();
  spawn.env = {{"BSM_MCP_TEST_VAR", "from-bsm"}};
  auto c = connect(spawn);
  ASSERT_TRUE(c);
  auto env = call_ok(*c, "get-env", "{}");
  EXPECT_TRUE(contains(env.content, R"("BSM_MCP_TEST_VAR": "from-bsm")"));
}

TEST(McpClient, ReportsUnknownToolsAsToolErrorsInBothForms) {
  if (!peers_installed())
    return;
  // server-everything answers with a result that has isError.
  auto every = connect(everything());
  ASSERT_TRUE(every);
  auto a = call_ok(*every, "no-such-tool", "{}");
  EXPECT_TRUE(a.is_error);
  EXPECT_TRUE(contains(a.content, "no-such-tool"));
  // The SDK's low-level server answers with JSON-RPC error -32602.
  auto script = connect(scripted());
  ASSERT_TRUE(script);
  auto b = call_ok(*script, "no-such-tool", "{}");
  EXPECT_TRUE(b.is_error);
  EXPECT_TRUE(contains(b.content, "Unknown tool: no-such-tool"));
  // Both stay usable.
  EXPECT_EQ(call_ok(*script, "echo", R"({"message":"x"})").content, "echo: x");
}

TEST(McpClient, ReportsOtherJsonRpcErrorsAsErrors) {
  if (!peers_installed())
    return;
  auto c = connect(scripted());
  ASSERT_TRUE(c);
  auto result = c->call_tool("fail_internal", "{}", 10s);
  ASSERT_FALSE(result);
  EXPECT_TRUE(has_code(result.error(), errc::internal));
  EXPECT_TRUE(contains(bsm::render(result.error()), "deliberate failure"));
  auto bad = c->call_tool("echo", "[1,2]", 10s);
  ASSERT_FALSE(bad);
  EXPECT_TRUE(has_code(bad.error(), errc::invalid_argument));
  EXPECT_TRUE(c->usable());
}

TEST(McpClient, ReadsAFileThroughServerFilesystem) {
  if (!peers_installed())
    return;
  bsm::test::temp_dir dir;
  std::ofstream{dir.path() / "notes.txt"} << "first line\nsecond line\n";
  auto c = connect(filesystem(dir.path()));
  ASSERT_TRUE(c);
  nlohmann::json args{{"path", (dir.path() / "notes.txt").string()}};
  auto read = call_ok(*c, "read_text_file", args.dump());
  EXPECT_FALSE(read.is_error) << read.content;
  EXPECT_EQ(read.content, "first line\nsecond line\n");
  nlohmann::json outside{{"path", "/etc/hostname"}};
  auto denied = call_ok(*c, "read_text_file", outside.dump());
  EXPECT_TRUE(denied.is_error);
  EXPECT_TRUE(contains(denied.content, "Access denied"));
}

TEST(McpClient, TimesOutAndStaysUsable) {
  if (!peers_installed())
    return;
  auto c = connect(everything());
  ASSERT_TRUE(c);
  auto started = clock_type::now();
  auto slow = c->call_tool("trigger-long-running-operation",
                           R"({"duration":5,"steps":5})", 300ms);
  auto took = clock_type::now() - started;
  // Without the deadline the call would have succeeded after 5 s.
  ASSERT_FALSE(slow);
  EXPECT_TRUE(has_code(slow.error(), errc::deadline_exceeded));
  EXPECT_GE(took, 300ms);
  EXPECT_TRUE(c->usable());
  EXPECT_EQ(call_ok(*c, "echo", R"({"message":"after"})").content,
            "Echo: after");
  // The operation still runs in the server and keeps it from exiting when
  // its stdin closes: SIGTERM ends it after the grace period.
  EXPECT_TRUE(contains(c->shutdown(200ms), "signal 15"));
}

TEST(McpClient, FailsWithUnavailableWhenTheServerIsKilledMidCall) {
  if (!peers_installed())
    return;
  bsm::test::temp_dir dir;
  hold_files hold{dir.path()};
  auto c = connect(scripted());
  ASSERT_TRUE(c);
  auto pid = c->process()->pid();
  // Killed while inside a call that would otherwise never answer.
  std::thread killer{[pid, &hold] {
    hold.await_inside();
    ::kill(pid, SIGKILL);
  }};
  auto result = c->call_tool("hold", hold.args(), 10min);
  killer.join();
  ASSERT_FALSE(result);
  EXPECT_TRUE(has_code(result.error(), errc::unavailable));
  EXPECT_TRUE(contains(bsm::render(result.error()), "signal 9"));
  EXPECT_FALSE(c->usable());
  auto later = c->call_tool("echo", R"({"message":"x"})", 1s);
  ASSERT_FALSE(later);
  EXPECT_TRUE(has_code(later.error(), errc::unavailable));
  EXPECT_TRUE(is_reaped(pid));
}

TEST(McpClient, FailsWithUnavailableWhenTheServerExitsMidCall) {
  if (!peers_installed())
    return;
  auto c = connect(scripted());
  ASSERT_TRUE(c);
  auto result = c->call_tool("exit_now", R"({"code":3})", 10s);
  ASSERT_FALSE(result);
  EXPECT_TRUE(has_code(result.error(), errc::unavailable));
  EXPECT_TRUE(contains(bsm::render(result.error()), "exit code 3"));
  EXPECT_TRUE(contains(bsm::render(result.error()), "during tools/call"));
  EXPECT_TRUE(is_reaped(c->process()->pid()));
}

TEST(McpClient, AnswersServerRequestsWhileWaiting) {
  if (!peers_installed())
    return;
  auto c = connect(scripted());
  ASSERT_TRUE(c);
  // The server pings us before it answers: no pong, no answer.
  EXPECT_EQ(call_ok(*c, "ping_first", "{}").content, "pinged");
  // We have no roots: method not found.
  EXPECT_EQ(call_ok(*c, "roots_first", "{}").content, "roots refused: -32601");
}

TEST(McpClient, FollowsToolListPagesAndNoticesChanges) {
  if (!peers_installed())
    return;
  auto c = connect(scripted());
  ASSERT_TRUE(c);
  auto tools = c->list_tools(10s);
  ASSERT_TRUE(tools) << bsm::render(tools.error());
  // Ten tools, two per page.
  ASSERT_EQ(tools->size(), 10u);
  EXPECT_EQ(tools->front().name, "echo");
  EXPECT_EQ(tools->back().name, std::string(70, 'x'));
  EXPECT_FALSE(c->take_tools_changed());
  EXPECT_EQ(call_ok(*c, "add_tool", R"({"name":"late"})").content, "added");
  EXPECT_TRUE(c->take_tools_changed());
  EXPECT_FALSE(c->take_tools_changed());
  tools = c->list_tools(10s);
  ASSERT_TRUE(tools);
  EXPECT_EQ(tools->back().name, "late");
}

TEST(McpClient, AcceptsKnownCounterVersionsAndRefusesOthers) {
  if (!peers_installed())
    return;
  auto older = connect(scripted({"version", "2025-06-18"}));
  ASSERT_TRUE(older);
  EXPECT_EQ(older->server().protocol_version, "2025-06-18");
  auto unknown = client::connect(scripted({"version", "1999-01-01"}), {}, 20s);
  ASSERT_FALSE(unknown);
  EXPECT_TRUE(has_code(unknown.error(), errc::failed_precondition));
  EXPECT_TRUE(contains(bsm::render(unknown.error()), "'1999-01-01'"));
}

TEST(McpClient, TimesOutTheHandshakeOfASilentServer) {
  if (!peers_installed())
    return;
  auto silent = client::connect(scripted({"silent"}), {}, 500ms);
  ASSERT_FALSE(silent);
  EXPECT_TRUE(has_code(silent.error(), errc::deadline_exceeded));
}

TEST(McpClient, RefusesLinesOverTheLimit) {
  if (!peers_installed())
    return;
  bsm::mcp::client_options opts;
  opts.max_line_bytes = 64 * 1024;
  auto c = connect(everything(), opts);
  ASSERT_TRUE(c);
  nlohmann::json args{{"message", std::string(100 * 1024, 'm')}};
  auto result = c->call_tool("echo", args.dump(), 10s);
  ASSERT_FALSE(result);
  EXPECT_TRUE(has_code(result.error(), errc::resource_exhausted));
  EXPECT_FALSE(c->usable());
}

TEST(McpClient, KeepsWorkingWhileTheServerFloodsStderr) {
  if (!peers_installed())
    return;
  std::atomic<size_t> bytes{0};
  auto spawn = scripted();
  spawn.on_stderr = [&](std::string_view line) {
    bytes += line.size();
  };
  auto c = connect(spawn);
  ASSERT_TRUE(c);
  // Node writes stderr synchronously: the answer comes only after the
  // whole flood went into the pipe, which the drain thread keeps empty.
  EXPECT_EQ(call_ok(*c, "stderr_flood", R"({"bytes":2000000})").content,
            "flooded");
  (void)bsm::test::poll_until([&] { return bytes.load() >= 2'000'000u; });
  EXPECT_GE(bytes.load(), 2'000'000u);
  (void)bsm::test::poll_until([&] {
    return static_cast<bool>(
      contains(c->process()->stderr_tail(), "flood done"));
  });
  EXPECT_TRUE(contains(c->process()->stderr_tail(), "flood done"));
}

TEST(McpClient, ReportsAMissingServerCommand) {
  auto result = client::connect({"bsm-no-such-mcp-server", {}, {}, {}}, {}, 5s);
  ASSERT_FALSE(result);
  EXPECT_TRUE(has_code(result.error(), errc::not_found));
}

TEST(McpClient, ShutdownLeavesNoProcess) {
  if (!peers_installed())
    return;
  auto c = connect(everything());
  ASSERT_TRUE(c);
  auto pid = c->process()->pid();
  c->shutdown(2s);
  EXPECT_TRUE(is_reaped(pid));
  EXPECT_TRUE(children_running("server-everything").empty());
}

// -- McpToolHost: the supervised subtree in a real actor system ---------------

namespace {

class McpToolHost : public ::testing::Test {
protected:
  bsm::system_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<bsm::name_registry> names
    = std::make_shared<bsm::name_registry>();
  bsm::test::temp_dir dir;
  caf::actor root;

  void SetUp() override {
    if (!peers_installed())
      GTEST_SKIP() << "peers missing (reported as a failure above)";
    std::ofstream{dir.path() / "notes.txt"} << "hello from a file\n";
    bsm::tool_host_options opts;
    opts.tools.call_timeout = 10s;
    opts.tools.startup_timeout = 20s;
    opts.tools.mcp_servers = {
      server("every", everything()),
      server("files", filesystem(dir.path())),
      server("scripted", scripted()),
    };
    opts.poll_interval = 100ms;
    opts.stop_grace = 300ms;
    opts.names = names;
    bsm::supervision_options sup;
    sup.backoff_initial = 50ms;
    sup.backoff_max = 200ms;
    bsm::supervision_env env;
    env.names = names;
    bsm::supervisor_options root_opts;
    root_opts.children.push_back(bsm::tool_host_child(opts, sup, env));
    auto sup_actor = bsm::spawn_supervisor(sys, std::move(root_opts), env);
    ASSERT_TRUE(sup_actor) << bsm::render(sup_actor.error());
    root = *sup_actor;
    ASSERT_TRUE(
      await_tools({"every__echo", "files__read_text_file", "scripted__echo"}));
  }

  void TearDown() override {
    if (!root)
      return;
    caf::scoped_actor self{sys};
    self->monitor(root);
    self->send_exit(root, caf::exit_reason::user_shutdown);
    self->receive([](caf::down_msg&) {});
    EXPECT_TRUE(children_running("node").empty());
  }

  static bsm::mcp_server_config server(std::string name, spawn_options spawn) {
    return {std::move(name),
            spawn.command,
            spawn.args,
            spawn.env,
            std::nullopt,
            {},
            {}};
  }

  caf::actor host() {
    auto x = names->get(bsm::tool_host_path);
    return x ? *x : caf::actor{};
  }

  caf::expected<bsm::v1::ToolListResponse> list() {
    caf::expected<bsm::v1::ToolListResponse> result = caf::error{};
    caf::scoped_actor self{sys};
    self->request(host(), 30s, bsm::v1::ToolListRequest{})
      .receive([&](bsm::v1::ToolListResponse& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  std::set<std::string> tool_names() {
    std::set<std::string> result;
    if (auto tools = list())
      for (const auto& tool : tools->tools())
        result.insert(tool.name());
    return result;
  }

  /// Waits until the host lists all of `wanted` (servers start in turn).
  bool await_tools(const std::vector<std::string>& wanted) {
    auto deadline = clock_type::now() + 30s;
    while (clock_type::now() < deadline) {
      if (host()) {
        auto have = tool_names();
        if (std::all_of(wanted.begin(), wanted.end(),
                        [&](const auto& x) { return have.count(x) > 0; }))
          return true;
      }
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  static bsm::v1::ToolCallRequest request(const std::string& name,
                                          const std::string& args,
                                          uint32_t timeout_ms = 0,
                                          const std::string& key = "") {
    bsm::v1::ToolCallRequest req;
    req.set_name(name);
    req.set_arguments_json(args);
    req.set_timeout_ms(timeout_ms);
    req.set_idempotency_key(key);
    return req;
  }

  caf::expected<bsm::v1::ToolCallResponse>
  call(const bsm::v1::ToolCallRequest& req) {
    caf::expected<bsm::v1::ToolCallResponse> result = caf::error{};
    caf::scoped_actor self{sys};
    self->request(host(), 60s, req)
      .receive([&](bsm::v1::ToolCallResponse& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  /// Calls until the call succeeds (a restarting server is unavailable).
  caf::expected<bsm::v1::ToolCallResponse>
  call_until_served(const bsm::v1::ToolCallRequest& req) {
    auto deadline = clock_type::now() + 30s;
    for (;;) {
      auto result = call(req);
      if (result || !bsm::is(result.error(), errc::unavailable)
          || clock_type::now() > deadline)
        return result;
      std::this_thread::sleep_for(50ms);
    }
  }
};

/// The tests that wait for a supervised restart (over 2 s; label "slow").
class McpToolHostRecovery : public McpToolHost {};

} // namespace

TEST_F(McpToolHost, ListsThePrefixedToolsOfEveryServer) {
  auto tools = list();
  ASSERT_TRUE(tools) << bsm::render(tools.error());
  std::map<std::string, int> per_server;
  for (const auto& tool : tools->tools()) {
    EXPECT_TRUE(bsm::mcp::is_valid_tool_name(tool.name())) << tool.name();
    auto parts = bsm::mcp::split_tool_name(tool.name());
    ASSERT_TRUE(parts) << tool.name();
    ++per_server[std::string{parts->first}];
    if (tool.name() == "every__echo") {
      EXPECT_EQ(tool.description(), "Echoes back the input string");
      EXPECT_TRUE(contains(tool.parameters_json(), "\"message\""));
    }
  }
  EXPECT_GE(per_server["every"], 10);
  EXPECT_GE(per_server["files"], 10);
  // Ten scripted tools: "bad name!" renamed, the 70-character one skipped.
  EXPECT_EQ(per_server["scripted"], 9);
  auto all = tool_names();
  EXPECT_EQ(all.count("scripted__bad_name_"), 1u);
  // Config order: every, files, scripted.
  EXPECT_EQ(tools->tools(0).name().rfind("every__", 0), 0u);
}

TEST_F(McpToolHost, RoutesCallsToTheirServers) {
  auto sum = call(request("every__get-sum", R"({"a":20,"b":22})"));
  ASSERT_TRUE(sum) << bsm::render(sum.error());
  EXPECT_TRUE(contains(sum->content(), "42"));
  nlohmann::json args{{"path", (dir.path() / "notes.txt").string()}};
  auto file = call(request("files__read_text_file", args.dump()));
  ASSERT_TRUE(file) << bsm::render(file.error());
  EXPECT_EQ(file->content(), "hello from a file\n");
  EXPECT_FALSE(file->structured_json().empty());
  auto renamed = call(request("scripted__bad_name_", R"({"message":"m"})"));
  ASSERT_TRUE(renamed) << bsm::render(renamed.error());
  EXPECT_EQ(renamed->content(), "echo: m");
  // A tool that ran and failed is a response, not an error.
  auto failed = call(request("every__echo", "{}"));
  ASSERT_TRUE(failed) << bsm::render(failed.error());
  EXPECT_TRUE(failed->is_error());
}

TEST_F(McpToolHost, AnswersNotFoundForUnknownServersAndTools) {
  for (const auto* name : {"nosuch__echo", "every__nosuch", "echo",
                           "scripted__" /* no tool part */}) {
    auto result = call(request(name, "{}"));
    ASSERT_FALSE(result) << name;
    EXPECT_TRUE(has_code(result.error(), errc::not_found)) << name;
  }
  auto bad_args = call(request("every__echo", "not json"));
  ASSERT_FALSE(bad_args);
  EXPECT_TRUE(has_code(bad_args.error(), errc::invalid_argument));
}

TEST_F(McpToolHost, TimesOutAPerCallDeadline) {
  // Without the deadline the call would have succeeded after 5 s.
  auto slow = call(request("every__trigger-long-running-operation",
                           R"({"duration":5,"steps":5})", 400));
  ASSERT_FALSE(slow);
  EXPECT_TRUE(has_code(slow.error(), errc::deadline_exceeded));
  // The server is still there for the next call.
  auto echo = call(request("every__echo", R"({"message":"still here"})"));
  ASSERT_TRUE(echo) << bsm::render(echo.error());
  EXPECT_EQ(echo->content(), "Echo: still here");
}

TEST_F(McpToolHostRecovery, RestartsAKilledServerThatThenServesAgain) {
  auto pids = children_running("scripted_server");
  ASSERT_EQ(pids.size(), 1u);
  hold_files hold{dir.path()};
  caf::scoped_actor self{sys};
  auto pending
    = self->request(host(), 60s, request("scripted__hold", hold.args()));
  // Killed while inside a call that would otherwise never answer.
  ASSERT_EQ(hold.await_inside(), pids.front());
  ::kill(pids.front(), SIGKILL);
  caf::error failure;
  pending.receive(
    [&](bsm::v1::ToolCallResponse& x) {
      ADD_FAILURE() << "the call succeeded: " << x.content();
    },
    [&](caf::error& err) { failure = std::move(err); });
  EXPECT_TRUE(has_code(failure, errc::unavailable));
  // The supervisor restarts it with backoff; then it serves again.
  auto echo
    = call_until_served(request("scripted__echo", R"({"message":"back"})"));
  ASSERT_TRUE(echo) << bsm::render(echo.error());
  EXPECT_EQ(echo->content(), "echo: back");
  auto now = children_running("scripted_server");
  ASSERT_EQ(now.size(), 1u);
  EXPECT_NE(now.front(), pids.front());
  EXPECT_TRUE(is_reaped(pids.front()));
  EXPECT_TRUE(await_tools({"scripted__hold"}));
}

// A turn that needs a restarting server's tools waits for them (within its
// deadline) instead of going on without them.
TEST_F(McpToolHostRecovery, AListThatWaitsForARestartingServerGetsItsTools) {
  auto pids = children_running("scripted_server");
  ASSERT_EQ(pids.size(), 1u);
  ::kill(pids.front(), SIGKILL);
  // Until its actor notices, the server still counts as running. Polled
  // often: the restart that ends the window is quick.
  auto restarting = [this] {
    auto now = list();
    return now
           && std::find(now->pending_servers().begin(),
                        now->pending_servers().end(), "scripted")
                != now->pending_servers().end();
  };
  ASSERT_TRUE(bsm::test::poll_until(restarting, 30s, 5ms))
    << "the killed server never showed as restarting";
  bsm::v1::ToolListRequest req;
  req.add_wait_for_servers("scripted");
  req.set_wait_ms(30000);
  caf::expected<bsm::v1::ToolListResponse> waited = caf::error{};
  caf::scoped_actor self{sys};
  self->request(host(), 60s, req)
    .receive([&](bsm::v1::ToolListResponse& x) { waited = std::move(x); },
             [&](caf::error& err) { waited = std::move(err); });
  ASSERT_TRUE(waited) << bsm::render(waited.error());
  std::set<std::string> listed;
  for (const auto& tool : waited->tools())
    listed.insert(tool.name());
  EXPECT_EQ(listed.count("scripted__echo"), 1u);
  EXPECT_TRUE(waited->pending_servers().empty());
}

TEST_F(McpToolHostRecovery, RestartsAServerThatExitsMidCall) {
  auto exit = call(request("scripted__exit_now", R"({"code":5})"));
  ASSERT_FALSE(exit);
  EXPECT_TRUE(has_code(exit.error(), errc::unavailable));
  EXPECT_TRUE(contains(bsm::render(exit.error()), "exit code 5"));
  auto echo
    = call_until_served(request("scripted__echo", R"({"message":"x"})"));
  ASSERT_TRUE(echo) << bsm::render(echo.error());
  EXPECT_EQ(echo->content(), "echo: x");
}

TEST_F(McpToolHost, ListsAndCallsToolsAddedAtRunTime) {
  auto added = call(request("scripted__add_tool", R"({"name":"late"})"));
  ASSERT_TRUE(added) << bsm::render(added.error());
  EXPECT_TRUE(await_tools({"scripted__late"}));
  auto late = call(request("scripted__late", "{}"));
  ASSERT_TRUE(late) << bsm::render(late.error());
  EXPECT_EQ(late->content(), "ran late");
}

// The scripted server's actor is blocked in a call until the test lets it
// go; had the host asked it for its tools, the list would wait as long (or
// until the call timed out, which would answer the call first).
TEST_F(McpToolHost, ListsFromItsCopyWhileAServerIsBusy) {
  hold_files hold{dir.path()};
  caf::scoped_actor self{sys};
  auto pending
    = self->request(host(), 60s, request("scripted__hold", hold.args()));
  ASSERT_NE(hold.await_inside(), -1) << "the server never entered the call";
  auto listed = tool_names();
  EXPECT_EQ(listed.count("scripted__echo"), 1u);
  EXPECT_EQ(listed.count("every__echo"), 1u);
  EXPECT_TRUE(self->mailbox().empty()) << "the call ended before the list";
  hold.let_go();
  pending.receive(
    [](bsm::v1::ToolCallResponse& x) { EXPECT_EQ(x.content(), "released"); },
    [](caf::error& err) { ADD_FAILURE() << bsm::render(err); });
}

TEST_F(McpToolHost, ReturnsTheRecordedResultForARepeatedIdempotencyKey) {
  auto first
    = call(request("every__echo", R"({"message":"first"})", 0, "turn-1/0"));
  ASSERT_TRUE(first) << bsm::render(first.error());
  auto again
    = call(request("every__echo", R"({"message":"second"})", 0, "turn-1/0"));
  ASSERT_TRUE(again) << bsm::render(again.error());
  EXPECT_EQ(again->content(), "Echo: first");
  auto other
    = call(request("every__echo", R"({"message":"second"})", 0, "turn-1/1"));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->content(), "Echo: second");
}
