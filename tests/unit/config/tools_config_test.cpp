// The `tools:` section of the node config: timeouts and the list of MCP
// servers, a sequence of maps read with the same error quality as the
// scalar keys (file:line and the dotted key of the entry).

#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "node/node_config.hpp"
#include "runtime/error.hpp"
#include "tests/common/temp_dir.hpp"

#ifndef BSM_SOURCE_DIR
#  define BSM_SOURCE_DIR "."
#endif

namespace fs = std::filesystem;

using namespace std::chrono_literals;

using bsm::config_override;
using bsm::load_node_config;
using bsm::node_config;

namespace {

class McpConfig : public ::testing::Test {
protected:
  bsm::test::temp_dir dir;

  fs::path write(const std::string& text) {
    auto file = dir.path() / "node.yaml";
    std::ofstream{file} << text;
    return file;
  }

  node_config load_ok(const std::string& text,
                      const std::vector<config_override>& overrides = {}) {
    auto cfg = load_node_config(write(text), overrides);
    if (!cfg) {
      ADD_FAILURE() << bsm::render(cfg.error());
      return {};
    }
    return std::move(*cfg);
  }

  /// The one-line error message without its "invalid_argument: " prefix,
  /// the file's path (in the temp dir) shortened to "node.yaml".
  std::string error_for(const std::string& text,
                        const std::vector<config_override>& overrides = {}) {
    auto file = write(text);
    auto cfg = load_node_config(file, overrides);
    if (cfg) {
      ADD_FAILURE() << "loading succeeded";
      return {};
    }
    EXPECT_TRUE(bsm::is(cfg.error(), bsm::errc::invalid_argument));
    auto msg = bsm::render(cfg.error());
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    constexpr std::string_view prefix = "invalid_argument: ";
    if (msg.compare(0, prefix.size(), prefix) == 0)
      msg.erase(0, prefix.size());
    for (auto pos = msg.find(file.string()); pos != std::string::npos;
         pos = msg.find(file.string()))
      msg.replace(pos, file.string().size(), "node.yaml");
    return msg;
  }
};

} // namespace

// -- reading ------------------------------------------------------------------

TEST_F(McpConfig, HasDocumentedDefaults) {
  node_config cfg;
  EXPECT_EQ(cfg.tools.call_timeout, 30s);
  EXPECT_EQ(cfg.tools.startup_timeout, 20s);
  EXPECT_TRUE(cfg.tools.mcp_servers.empty());
}

TEST_F(McpConfig, ReadsTimeoutsAndServers) {
  auto cfg = load_ok("tools:\n"
                     "  call_timeout: 5s\n"
                     "  startup_timeout: 2m\n"
                     "  mcp_servers:\n"
                     "    - name: files\n"
                     "      command: node\n"
                     "      args: [index.js, /srv]\n"
                     "    - name: every-thing_2\n"
                     "      command: /usr/bin/node\n"
                     "      args:\n"
                     "        - index.js\n"
                     "        - stdio\n"
                     "      env:\n"
                     "        LOG_LEVEL: warn\n"
                     "        _X1: ''\n"
                     "      call_timeout: 250ms\n");
  EXPECT_EQ(cfg.tools.call_timeout, 5s);
  EXPECT_EQ(cfg.tools.startup_timeout, 2min);
  ASSERT_EQ(cfg.tools.mcp_servers.size(), 2u);
  const auto& files = cfg.tools.mcp_servers[0];
  EXPECT_EQ(files.name, "files");
  EXPECT_EQ(files.command, "node");
  EXPECT_EQ(files.args, (std::vector<std::string>{"index.js", "/srv"}));
  EXPECT_TRUE(files.env.empty());
  EXPECT_FALSE(files.call_timeout);
  const auto& every = cfg.tools.mcp_servers[1];
  EXPECT_EQ(every.name, "every-thing_2");
  EXPECT_EQ(every.args, (std::vector<std::string>{"index.js", "stdio"}));
  EXPECT_EQ(every.env, (std::map<std::string, std::string>{
                         {"LOG_LEVEL", "warn"}, {"_X1", ""}}));
  EXPECT_EQ(every.call_timeout, 250ms);
}

TEST_F(McpConfig, ReadsFlowStyleAndEmptyList) {
  auto cfg = load_ok("tools:\n  mcp_servers: [{name: a, command: x}]\n");
  ASSERT_EQ(cfg.tools.mcp_servers.size(), 1u);
  EXPECT_EQ(cfg.tools.mcp_servers[0].command, "x");
  EXPECT_TRUE(load_ok("tools:\n  mcp_servers: []\n").tools.mcp_servers.empty());
  EXPECT_TRUE(load_ok("tools:\n  mcp_servers:\n").tools.mcp_servers.empty());
}

// The commented example in config/node.yaml must stay a valid config.
TEST_F(McpConfig, ShippedExampleParsesOnceUncommented) {
  std::ifstream in{fs::path{BSM_SOURCE_DIR} / "config" / "node.yaml"};
  std::ostringstream out;
  std::string line;
  bool in_example = false;
  while (std::getline(in, line)) {
    if (line == "  mcp_servers: []")
      continue;
    if (line == "  # mcp_servers:")
      in_example = true;
    else if (in_example && line.compare(0, 5, "  #  ") != 0)
      in_example = false;
    if (in_example)
      line.erase(2, 2);
    out << line << '\n';
  }
  auto cfg = load_ok(out.str());
  ASSERT_EQ(cfg.tools.mcp_servers.size(), 4u);
  EXPECT_EQ(cfg.tools.mcp_servers[0].name, "files");
  EXPECT_EQ(cfg.tools.mcp_servers[1].env.at("LOG_LEVEL"), "warn");
  EXPECT_EQ(cfg.tools.mcp_servers[1].call_timeout, 10s);
  EXPECT_EQ(cfg.tools.mcp_servers[1].max_call_time, 5min);
  EXPECT_EQ(cfg.tools.mcp_servers[1].elicitation,
            bsm::mcp::elicitation_policy::defaults);
  EXPECT_TRUE(cfg.tools.mcp_servers[1].allow_sampling);
  ASSERT_EQ(cfg.tools.mcp_servers[1].roots.size(), 1u);
  EXPECT_EQ(cfg.tools.mcp_servers[1].roots[0].uri, "file:///srv/shared");
  EXPECT_EQ(cfg.tools.mcp_servers[2].url, "https://mcp.example.com/mcp");
  EXPECT_EQ(cfg.tools.mcp_servers[2].headers.at("Authorization"),
            "Bearer ${REMOTE_MCP_TOKEN}");
  ASSERT_TRUE(cfg.tools.mcp_servers[3].auth);
  EXPECT_EQ(cfg.tools.mcp_servers[3].auth->client_secret,
            "${COMPANY_MCP_CLIENT_SECRET}");
}

// What the client offers a server: off unless the entry says so.
TEST_F(McpConfig, ReadsWhatTheClientOffersTheServer) {
  auto cfg = load_ok("tools:\n"
                     "  max_call_time: 2m\n"
                     "  mcp_servers:\n"
                     "    - name: plain\n"
                     "      command: x\n"
                     "    - name: open\n"
                     "      url: http://127.0.0.1:1/mcp\n"
                     "      max_call_time: 90s\n"
                     "      elicitation: defaults\n"
                     "      allow_sampling: true\n"
                     "      roots:\n"
                     "        - uri: file:///srv/a\n"
                     "          name: a\n"
                     "        - uri: file:///srv/b\n"
                     "    - name: asker\n"
                     "      command: y\n"
                     "      elicitation: ask\n"
                     "      ask_timeout: 45s\n");
  EXPECT_EQ(cfg.tools.max_call_time, 2min);
  ASSERT_EQ(cfg.tools.mcp_servers.size(), 3u);
  EXPECT_EQ(cfg.tools.mcp_servers[2].elicitation,
            bsm::mcp::elicitation_policy::ask);
  EXPECT_EQ(cfg.tools.mcp_servers[2].ask_timeout, 45s);
  const auto& plain = cfg.tools.mcp_servers[0];
  EXPECT_EQ(plain.elicitation, bsm::mcp::elicitation_policy::decline);
  EXPECT_FALSE(plain.allow_sampling);
  EXPECT_TRUE(plain.roots.empty());
  EXPECT_FALSE(plain.max_call_time);
  EXPECT_EQ(plain.ask_timeout, 5min);
  const auto& open = cfg.tools.mcp_servers[1];
  EXPECT_EQ(open.max_call_time, 90s);
  EXPECT_EQ(open.elicitation, bsm::mcp::elicitation_policy::defaults);
  EXPECT_TRUE(open.allow_sampling);
  ASSERT_EQ(open.roots.size(), 2u);
  EXPECT_EQ(open.roots[0].uri, "file:///srv/a");
  EXPECT_EQ(open.roots[0].name, "a");
  EXPECT_EQ(open.roots[1].uri, "file:///srv/b");
  EXPECT_EQ(open.roots[1].name, "");
  EXPECT_EQ(node_config{}.tools.max_call_time, 10min);
}

// -- errors in the file -------------------------------------------------------

TEST_F(McpConfig, RejectsBadOffers) {
  const std::string head = "tools:\n"
                           "  mcp_servers:\n"
                           "    - name: a\n"
                           "      command: x\n";
  auto policy = error_for(head + "      elicitation: prompt\n");
  EXPECT_NE(policy.find("'tools.mcp_servers[0].elicitation'"),
            std::string::npos)
    << policy;
  EXPECT_NE(policy.find("decline|defaults|ask"), std::string::npos) << policy;
  EXPECT_EQ(error_for(head + "      ask_timeout: 0ms\n"),
            "node.yaml:5: key 'tools.mcp_servers[0].ask_timeout': 0ms is "
            "below the minimum of 1ms");
  auto flag = error_for(head + "      allow_sampling: yes\n");
  EXPECT_NE(flag.find("'tools.mcp_servers[0].allow_sampling'"),
            std::string::npos)
    << flag;
  EXPECT_EQ(error_for(head + "      roots:\n        - uri: /srv/a\n"),
            "node.yaml:6: key 'tools.mcp_servers[0].roots[0].uri': must be a "
            "file:// URI");
  EXPECT_EQ(error_for(head + "      roots:\n        - name: a\n"),
            "node.yaml:6: key 'tools.mcp_servers[0].roots[0]': missing key "
            "'uri'");
  auto unknown = error_for(head + "      roots:\n        - url: file:///a\n");
  EXPECT_NE(unknown.find("unknown key 'tools.mcp_servers[0].roots[0].url' "
                         "(known keys: uri, name)"),
            std::string::npos)
    << unknown;
  EXPECT_EQ(error_for(head + "      max_call_time: 0ms\n"),
            "node.yaml:5: key 'tools.mcp_servers[0].max_call_time': 0ms is "
            "below the minimum of 1ms");
}

TEST_F(McpConfig, RejectsUnknownKeyInsideEntryAtItsLine) {
  EXPECT_EQ(error_for("tools:\n"
                      "  mcp_servers:\n"
                      "    - name: a\n"
                      "      command: x\n"
                      "    - name: b\n"
                      "      comand: y\n"),
            "node.yaml:6: unknown key 'tools.mcp_servers[1].comand' (known "
            "keys: name, command, args, env, url, headers, auth, call_timeout, "
            "max_call_time, elicitation, ask_timeout, allow_sampling, roots)");
}

TEST_F(McpConfig, RejectsMissingCommandOrName) {
  EXPECT_EQ(error_for("tools:\n  mcp_servers:\n    - name: a\n"),
            "node.yaml:3: key 'tools.mcp_servers[0]': server 'a': needs "
            "'command' (a local server) or 'url' (a remote one)");
  EXPECT_EQ(error_for("tools:\n"
                      "  mcp_servers:\n"
                      "    - name: a\n"
                      "      command: x\n"
                      "    - command: y\n"),
            "node.yaml:5: key 'tools.mcp_servers[1]': missing key 'name'");
}

TEST_F(McpConfig, RejectsDuplicateServerNameAtTheSecond) {
  EXPECT_EQ(error_for("tools:\n"
                      "  mcp_servers:\n"
                      "    - name: a\n"
                      "      command: x\n"
                      "    - command: y\n"
                      "      name: a\n"),
            "node.yaml:6: key 'tools.mcp_servers[1].name': duplicate server "
            "name 'a' (first at node.yaml:3)");
}

TEST_F(McpConfig, RejectsBadServerNames) {
  auto with_name = [](const std::string& name) {
    return "tools:\n  mcp_servers:\n    - name: " + name
           + "\n      command: x\n";
  };
  EXPECT_EQ(error_for(with_name("Files")),
            "node.yaml:3: key 'tools.mcp_servers[0].name': 'Files' may only "
            "contain a-z, 0-9, '_' and '-'");
  EXPECT_EQ(error_for(with_name("a__b")),
            "node.yaml:3: key 'tools.mcp_servers[0].name': 'a__b' must not "
            "contain '__' (it ends the server part of tool names)");
  EXPECT_EQ(error_for(with_name(std::string(33, 'a'))),
            "node.yaml:3: key 'tools.mcp_servers[0].name': '"
              + std::string(33, 'a') + "' is longer than 32 characters");
  EXPECT_EQ(error_for(with_name("''")),
            "node.yaml:3: key 'tools.mcp_servers[0].name': must not be empty");
}

TEST_F(McpConfig, RejectsWrongShapes) {
  EXPECT_EQ(error_for("tools:\n  mcp_servers: files\n"),
            "node.yaml:2: key 'tools.mcp_servers': expected a sequence, got "
            "'files'");
  EXPECT_EQ(error_for("tools:\n  mcp_servers:\n    - files\n"),
            "node.yaml:3: key 'tools.mcp_servers[0]': expected a map, got "
            "'files'");
  EXPECT_EQ(error_for("tools:\n"
                      "  mcp_servers:\n"
                      "    - name: a\n"
                      "      command: [x]\n"),
            "node.yaml:4: key 'tools.mcp_servers[0].command': expected a "
            "string, got a sequence");
  EXPECT_EQ(error_for("tools:\n"
                      "  mcp_servers:\n"
                      "    - name: a\n"
                      "      command: x\n"
                      "      args: index.js\n"),
            "node.yaml:5: key 'tools.mcp_servers[0].args': expected a "
            "sequence, got 'index.js'");
  EXPECT_EQ(error_for("tools:\n"
                      "  mcp_servers:\n"
                      "    - name: a\n"
                      "      command: x\n"
                      "      env: [A]\n"),
            "node.yaml:5: key 'tools.mcp_servers[0].env': expected a map, got "
            "a sequence");
}

TEST_F(McpConfig, RejectsBadEnvironmentAndTimeouts) {
  const std::string head = "tools:\n"
                           "  mcp_servers:\n"
                           "    - name: a\n"
                           "      command: x\n";
  EXPECT_EQ(error_for(head + "      env:\n        1X: y\n"),
            "node.yaml:6: key 'tools.mcp_servers[0].env.1X': '1X' is not a "
            "variable name ([A-Za-z_][A-Za-z0-9_]*)");
  EXPECT_EQ(error_for(head + "      env:\n        A:\n          b: c\n"),
            "node.yaml:6: key 'tools.mcp_servers[0].env.A': expected a "
            "string, got a map");
  EXPECT_EQ(error_for(head + "      call_timeout: 0ms\n"),
            "node.yaml:5: key 'tools.mcp_servers[0].call_timeout': 0ms is "
            "below the minimum of 1ms");
  EXPECT_EQ(error_for(head + "      call_timeout: soon\n"),
            "node.yaml:5: key 'tools.mcp_servers[0].call_timeout': expected a "
            "duration such as 250ms, 10s, 2m or 1h, got 'soon'");
  EXPECT_EQ(error_for("tools:\n  call_timeout: 0ms\n"),
            "node.yaml:2: key 'tools.call_timeout': 0ms is below the minimum "
            "of 1ms");
}

TEST_F(McpConfig, RejectsKeyGivenTwiceInEntry) {
  EXPECT_EQ(error_for("tools:\n"
                      "  mcp_servers:\n"
                      "    - name: a\n"
                      "      command: x\n"
                      "      command: y\n"),
            "node.yaml:5: duplicate key 'tools.mcp_servers[0].command'");
}

// -- command line -------------------------------------------------------------

TEST_F(McpConfig, OverridesTimeoutsButNotTheServerList) {
  auto cfg = load_ok(
    "", {{"tools.call_timeout", "5s"}, {"tools.startup_timeout", "1m"}});
  EXPECT_EQ(cfg.tools.call_timeout, 5s);
  EXPECT_EQ(cfg.tools.startup_timeout, 1min);
  EXPECT_EQ(error_for("", {{"tools.mcp_servers", "[]"}}),
            "--set tools.mcp_servers: key 'tools.mcp_servers' takes a list of "
            "maps and can only be set in the config file");
  EXPECT_EQ(error_for("", {{"tools.mcp_servers[0].command", "x"}}),
            "--set tools.mcp_servers[0].command: key 'tools.mcp_servers' "
            "takes a list of maps and can only be set in the config file");
}

// -- validate() ---------------------------------------------------------------

TEST_F(McpConfig, ValidateChecksServersBuiltInCode) {
  node_config cfg;
  cfg.tools.mcp_servers.push_back(
    {"a", "x", {}, {}, std::nullopt, {}, {}, std::nullopt});
  EXPECT_EQ(bsm::validate(cfg), caf::error{});
  cfg.tools.mcp_servers.push_back(
    {"a", "y", {}, {}, std::nullopt, {}, {}, std::nullopt});
  EXPECT_EQ(bsm::render(bsm::validate(cfg)),
            "invalid_argument: key 'tools.mcp_servers[1].name': duplicate "
            "server name 'a'");
  cfg.tools.mcp_servers[1]
    = {"b", "", {}, {}, std::nullopt, {}, {}, std::nullopt};
  EXPECT_EQ(bsm::render(bsm::validate(cfg)),
            "invalid_argument: key 'tools.mcp_servers[1]': needs 'command' "
            "(a local server) or 'url' (a remote one)");
  cfg.tools.mcp_servers[1]
    = {"b", "y", {}, {{"A=B", "c"}}, std::nullopt, {}, {}, std::nullopt};
  EXPECT_EQ(bsm::render(bsm::validate(cfg)),
            "invalid_argument: key 'tools.mcp_servers[1].env.A=B': 'A=B' is "
            "not a variable name ([A-Za-z_][A-Za-z0-9_]*)");
}

// -- remote servers (Streamable HTTP) -----------------------------------------

TEST_F(McpConfig, ReadsARemoteServerWithHeaders) {
  auto cfg = load_ok("tools:\n"
                     "  mcp_servers:\n"
                     "    - name: remote\n"
                     "      url: https://mcp.example.com/mcp\n"
                     "      headers:\n"
                     "        Authorization: Bearer ${REMOTE_TOKEN}\n"
                     "        X-Team: agents\n");
  ASSERT_EQ(cfg.tools.mcp_servers.size(), 1u);
  const auto& remote = cfg.tools.mcp_servers[0];
  EXPECT_EQ(remote.url, "https://mcp.example.com/mcp");
  EXPECT_TRUE(remote.command.empty());
  // Kept as written: expanded only when the server starts.
  EXPECT_EQ(remote.headers, (std::map<std::string, std::string>{
                              {"Authorization", "Bearer ${REMOTE_TOKEN}"},
                              {"X-Team", "agents"}}));
}

TEST_F(McpConfig, RejectsRemoteServersThatNameTheWrongThings) {
  EXPECT_EQ(error_for("tools:\n"
                      "  mcp_servers:\n"
                      "    - name: both\n"
                      "      command: node\n"
                      "      url: http://127.0.0.1:1/mcp\n"),
            "node.yaml:3: key 'tools.mcp_servers[0]': server 'both': has "
            "both 'command' and 'url'; give one");
  EXPECT_EQ(error_for("tools:\n"
                      "  mcp_servers:\n"
                      "    - name: ftp\n"
                      "      url: ftp://example.com/mcp\n"),
            "node.yaml:4: key 'tools.mcp_servers[0].url': must start with "
            "http:// or https://");
  EXPECT_EQ(error_for("tools:\n"
                      "  mcp_servers:\n"
                      "    - name: r\n"
                      "      url: http://example.com/mcp\n"
                      "      args: [x]\n"),
            "node.yaml:3: key 'tools.mcp_servers[0]': server 'r': 'args' and "
            "'env' are for 'command', not 'url'");
  EXPECT_EQ(error_for("tools:\n"
                      "  mcp_servers:\n"
                      "    - name: l\n"
                      "      command: node\n"
                      "      headers: {A: b}\n"),
            "node.yaml:3: key 'tools.mcp_servers[0]': server 'l': 'headers' "
            "and 'auth' are for 'url', not 'command'");
}

TEST_F(McpConfig, RejectsBadHeadersWithoutShowingTheirValues) {
  EXPECT_EQ(error_for("tools:\n"
                      "  mcp_servers:\n"
                      "    - name: r\n"
                      "      url: http://example.com/mcp\n"
                      "      headers: {'Bad Name': x}\n"),
            "node.yaml:5: key 'tools.mcp_servers[0].headers.Bad Name': 'Bad "
            "Name' is not a header name");
  auto msg = error_for("tools:\n"
                       "  mcp_servers:\n"
                       "    - name: r\n"
                       "      url: http://example.com/mcp\n"
                       "      headers: {Authorization: 'secret-1 ${OPEN'}\n");
  EXPECT_NE(msg.find("tools.mcp_servers[0].headers.Authorization"),
            std::string::npos)
    << msg;
  EXPECT_NE(msg.find("without its '}'"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("secret-1"), std::string::npos) << msg;
}

TEST_F(McpConfig, ValidateChecksRemoteServersBuiltInCode) {
  node_config cfg;
  bsm::mcp_server_config remote;
  remote.name = "r";
  remote.url = "https://example.com/mcp";
  remote.headers = {{"Authorization", "Bearer ${T}"}};
  cfg.tools.mcp_servers.push_back(remote);
  EXPECT_EQ(bsm::validate(cfg), caf::error{});
  cfg.tools.mcp_servers[0].url = "file:///x";
  EXPECT_EQ(bsm::render(bsm::validate(cfg)),
            "invalid_argument: key 'tools.mcp_servers[0].url': must start "
            "with http:// or https://");
  cfg.tools.mcp_servers[0].url.clear();
  EXPECT_EQ(bsm::render(bsm::validate(cfg)),
            "invalid_argument: key 'tools.mcp_servers[0]': needs 'command' (a "
            "local server) or 'url' (a remote one)");
}

// -- OAuth client credentials (`auth:`)
// -----------------------------------------

TEST_F(McpConfig, ReadsAnAuthBlockWithSecretReferences) {
  auto cfg
    = load_ok("tools:\n"
              "  mcp_servers:\n"
              "    - name: remote\n"
              "      url: https://mcp.example.com/mcp\n"
              "      auth:\n"
              "        client_id: bsm-node\n"
              "        client_secret: ${MCP_CLIENT_SECRET}\n"
              "        scope: mcp:tools\n"
              "        token_endpoint_auth_method: client_secret_post\n"
              "    - name: signed\n"
              "      url: https://mcp.example.com/other\n"
              "      auth:\n"
              "        client_id: bsm-node\n"
              "        private_key_file: ${CREDENTIALS_DIRECTORY}/k.pem\n");
  ASSERT_EQ(cfg.tools.mcp_servers.size(), 2u);
  const auto& remote = cfg.tools.mcp_servers[0];
  ASSERT_TRUE(remote.auth);
  EXPECT_EQ(remote.auth->client_id, "bsm-node");
  // Kept as written: expanded only when the server starts.
  EXPECT_EQ(remote.auth->client_secret, "${MCP_CLIENT_SECRET}");
  EXPECT_EQ(remote.auth->scope, "mcp:tools");
  EXPECT_EQ(remote.auth->token_endpoint_auth_method, "client_secret_post");
  const auto& signed_one = cfg.tools.mcp_servers[1];
  ASSERT_TRUE(signed_one.auth);
  EXPECT_EQ(signed_one.auth->private_key_file,
            "${CREDENTIALS_DIRECTORY}/k.pem");
  EXPECT_FALSE(cfg.tools.mcp_servers.size() > 2);
}

TEST_F(McpConfig, RejectsSecretsWrittenIntoTheFileWithoutShowingThem) {
  auto msg = error_for("tools:\n"
                       "  mcp_servers:\n"
                       "    - name: r\n"
                       "      url: http://example.com/mcp\n"
                       "      auth:\n"
                       "        client_id: c\n"
                       "        client_secret: hunter2-literal\n");
  EXPECT_EQ(msg,
            "node.yaml:7: key 'tools.mcp_servers[0].auth.client_secret': must "
            "be a \"${NAME}\" "
            "reference to an environment variable (secrets stay out of "
            "the config file)");
  EXPECT_EQ(msg.find("hunter2"), std::string::npos);
}

TEST_F(McpConfig, RejectsAuthBlocksThatDoNotAddUp) {
  auto server = [](const std::string& auth) {
    return "tools:\n"
           "  mcp_servers:\n"
           "    - name: r\n"
           "      url: http://example.com/mcp\n"
           "      auth:\n"
           + auth;
  };
  EXPECT_EQ(error_for(server("        client_secret: ${S}\n")),
            "node.yaml:5: key 'tools.mcp_servers[0].auth': needs 'client_id'");
  EXPECT_EQ(error_for(server("        client_id: c\n")),
            "node.yaml:5: key 'tools.mcp_servers[0].auth': needs exactly one "
            "of 'client_secret', "
            "'private_key' and 'private_key_file'");
  EXPECT_EQ(error_for(server("        client_id: c\n"
                             "        client_secret: ${S}\n"
                             "        private_key: ${K}\n")),
            "node.yaml:5: key 'tools.mcp_servers[0].auth': needs exactly one "
            "of 'client_secret', "
            "'private_key' and 'private_key_file'");
  EXPECT_EQ(error_for(server("        client_id: c\n"
                             "        client_secret: ${S}\n"
                             "        token_endpoint_auth_method: none\n")),
            "node.yaml:8: key "
            "'tools.mcp_servers[0].auth.token_endpoint_auth_method': 'none' "
            "is not "
            "client_secret_basic, client_secret_post or private_key_jwt");
  EXPECT_EQ(error_for(server("        client_id: c\n"
                             "        private_key: ${K}\n"
                             "        token_endpoint_auth_method: "
                             "client_secret_basic\n")),
            "node.yaml:5: key 'tools.mcp_servers[0].auth': "
            "'token_endpoint_auth_method' "
            "client_secret_basic needs 'client_secret'");
  EXPECT_EQ(error_for(server("        client_id: c\n"
                             "        client_secret: ${S}\n"
                             "        audience: x\n")),
            "node.yaml:8: unknown key 'tools.mcp_servers[0].auth.audience' "
            "(known keys: client_id, client_secret, "
            "private_key, private_key_file, scope, "
            "token_endpoint_auth_method)");
  EXPECT_EQ(error_for("tools:\n"
                      "  mcp_servers:\n"
                      "    - name: r\n"
                      "      url: http://example.com/mcp\n"
                      "      headers:\n"
                      "        Authorization: Bearer ${T}\n"
                      "      auth:\n"
                      "        client_id: c\n"
                      "        client_secret: ${S}\n"),
            "node.yaml:3: key 'tools.mcp_servers[0]': server 'r': has both "
            "'auth' and an Authorization header; give one");
}

TEST_F(McpConfig, ValidateChecksAuthBuiltInCode) {
  node_config cfg;
  bsm::mcp_server_config remote;
  remote.name = "r";
  remote.url = "https://example.com/mcp";
  remote.auth = bsm::mcp_auth_config{};
  remote.auth->client_id = "c";
  remote.auth->client_secret = "${S}";
  cfg.tools.mcp_servers.push_back(remote);
  EXPECT_EQ(bsm::validate(cfg), caf::error{});
  cfg.tools.mcp_servers[0].auth->client_secret = "plain";
  EXPECT_EQ(bsm::render(bsm::validate(cfg)),
            "invalid_argument: key 'tools.mcp_servers[0].auth': "
            "'client_secret' must be a \"${NAME}\" reference to an "
            "environment variable (secrets stay out of the config file)");
}

TEST(McpAuthConfig, ResolvesSecretsAndKeyFilesFromTheEnvironment) {
  bsm::test::temp_dir dir;
  auto key = dir.path() / "k.pem";
  std::ofstream{key} << "-----BEGIN PRIVATE KEY-----\n";
  std::map<std::string, std::string> vars{{"S", "s3cret"},
                                          {"DIR", dir.path().string()}};
  bsm::mcp::env_lookup env = [&vars](const std::string& name) {
    auto i = vars.find(name);
    return i == vars.end() ? std::nullopt
                           : std::optional<std::string>{i->second};
  };
  bsm::mcp_auth_config auth;
  auth.client_id = "c";
  auth.client_secret = "${S}";
  auto got = bsm::resolve_mcp_auth(auth, env);
  ASSERT_TRUE(got) << bsm::render(got.error());
  EXPECT_EQ(got->client_secret, "s3cret");
  auth.client_secret.clear();
  auth.private_key_file = "${DIR}/k.pem";
  got = bsm::resolve_mcp_auth(auth, env);
  ASSERT_TRUE(got) << bsm::render(got.error());
  EXPECT_EQ(got->private_key_pem, "-----BEGIN PRIVATE KEY-----\n");
  auth.private_key_file = "${DIR}/missing.pem";
  got = bsm::resolve_mcp_auth(auth, env);
  ASSERT_FALSE(got);
  EXPECT_TRUE(bsm::is(got.error(), bsm::errc::not_found));
  auth.private_key_file.clear();
  auth.client_secret = "${UNSET}";
  got = bsm::resolve_mcp_auth(auth, env);
  ASSERT_FALSE(got);
  EXPECT_NE(bsm::render(got.error()).find("UNSET"), std::string::npos);
}
