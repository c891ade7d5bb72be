// The MCP client's OAuth client credentials (agents/mcp/oauth) against a
// protected MCP server and its authorization server in a real process on
// 127.0.0.1 (tests/peers/oauth_mcp_server.mjs): discovery from the 401's
// challenge, client_secret_basic, client_secret_post and private_key_jwt,
// renewal before expiry, a step-up after 403 insufficient_scope, the
// server's `auth:` config with secrets from the environment, and the bad
// cases (a wrong secret, metadata missing).

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agents/mcp/client.hpp"
#include "agents/mcp/mcp_server.hpp"
#include "agents/mcp/oauth/fetch.hpp"
#include "agents/mcp/oauth/token_source.hpp"
#include "runtime/error.hpp"
#include "tests/common/poll.hpp"
#include "tests/common/temp_dir.hpp"
#include "tests/integration/process.hpp"

#ifndef BSM_SOURCE_DIR
#  define BSM_SOURCE_DIR "."
#endif

namespace {

using namespace std::chrono_literals;
using bsm::errc;
using bsm::mcp::client;
namespace oauth = bsm::mcp::oauth;

constexpr const char* secret = "s3cret-for-tests";

/// The fake in its own process; stopped (SIGKILL) with the fixture.
class OauthMcp : public ::testing::Test {
protected:
  bsm::test::temp_dir dir;
  std::unique_ptr<bsm::test::process> proc;
  std::string base;

  void start(std::vector<std::string> options) {
    auto node = bsm::test::find_in_path("node");
    ASSERT_FALSE(node.empty()) << "node is not in PATH";
    std::vector<std::string> argv{
      node, std::string{BSM_SOURCE_DIR} + "/tests/peers/oauth_mcp_server.mjs"};
    argv.insert(argv.end(), options.begin(), options.end());
    proc = std::make_unique<bsm::test::process>(argv, dir.path());
    std::string port;
    ASSERT_TRUE(bsm::test::poll_until([&] {
      auto out = proc->out();
      auto at = out.find("listening ");
      auto end = out.find('\n', at);
      if (at == std::string::npos || end == std::string::npos)
        return false;
      port = out.substr(at + 10, end - at - 10);
      return true;
    }))
      << proc->err();
    base = "http://127.0.0.1:" + port;
  }

  std::string url() const {
    return base + "/mcp";
  }

  nlohmann::json stats() const {
    auto got = oauth::fetch({base + "/stats", {}, {}},
                            std::chrono::steady_clock::now() + 10s);
    if (!got)
      return {};
    return nlohmann::json::parse(got->body);
  }

  std::shared_ptr<oauth::token_source>
  source(oauth::client_credentials credentials) {
    oauth::token_source_options opts;
    opts.server_url = url();
    opts.credentials = std::move(credentials);
    auto made = oauth::token_source::make(std::move(opts));
    EXPECT_TRUE(made) << bsm::render(made.error());
    return made ? *made : nullptr;
  }

  caf::expected<std::unique_ptr<client>>
  connect(std::shared_ptr<bsm::mcp::http_authorizer> auth) {
    bsm::mcp::http_transport_options http;
    http.url = url();
    http.authorizer = std::move(auth);
    return client::connect_http(std::move(http), {}, 20s);
  }

  static oauth::client_credentials with_secret(std::string s) {
    oauth::client_credentials c;
    c.client_id = "bsm-test";
    c.client_secret = std::move(s);
    return c;
  }
};

std::string call_whoami(client& c) {
  auto got = c.call_tool("whoami", "{}", 20s);
  if (!got) {
    ADD_FAILURE() << bsm::render(got.error());
    return {};
  }
  return got->content;
}

TEST_F(OauthMcp, GetsATokenWithClientSecretBasicAndCallsATool) {
  start({"--secret", secret});
  auto auth = source(with_secret(secret));
  ASSERT_TRUE(auth);
  auto c = connect(auth);
  ASSERT_TRUE(c) << bsm::render(c.error());
  EXPECT_EQ(call_whoami(**c), "token tok-1 scope 'tools:read'");
  auto seen = stats();
  ASSERT_EQ(seen["token_requests"].size(), 1u) << seen.dump();
  const auto& req = seen["token_requests"][0];
  EXPECT_EQ(req["grant_type"], "client_credentials");
  EXPECT_EQ(req["method"], "client_secret_basic");
  // No scope in the challenge: all the resource lists.
  EXPECT_EQ(req["scope"], "tools:read");
  EXPECT_EQ(req["resource"], url());
  // Only the first, token-less request was refused.
  EXPECT_EQ(seen["refused"], 1);
  EXPECT_EQ(auth->resource(), url());
}

TEST_F(OauthMcp, UsesClientSecretPostWhenConfigured) {
  start({"--secret", secret});
  auto credentials = with_secret(secret);
  credentials.method = oauth::client_auth_method::client_secret_post;
  credentials.scope = "tools:read extra";
  auto c = connect(source(credentials));
  ASSERT_TRUE(c) << bsm::render(c.error());
  EXPECT_EQ(call_whoami(**c), "token tok-1 scope 'tools:read extra'");
  EXPECT_EQ(stats()["token_requests"][0]["method"], "client_secret_post");
}

TEST_F(OauthMcp, SignsAnEs256AssertionForPrivateKeyJwt) {
  auto key_file = dir.path() / "client.pem";
  start({"--key-out", key_file.string()});
  oauth::client_credentials credentials;
  credentials.client_id = "bsm-test";
  credentials.private_key_pem = bsm::test::read_file(key_file);
  auto c = connect(source(credentials));
  ASSERT_TRUE(c) << bsm::render(c.error());
  EXPECT_EQ(call_whoami(**c), "token tok-1 scope 'tools:read'");
  EXPECT_EQ(stats()["token_requests"][0]["method"], "private_key_jwt");
}

TEST_F(OauthMcp, RenewsTheTokenBeforeItExpires) {
  // Tokens live 2s: renewed after 1s (half the lifetime, as it is shorter
  // than twice the margin), so no request meets an expired token.
  start({"--secret", secret, "--expires-in", "2"});
  auto auth = source(with_secret(secret));
  auto c = connect(auth);
  ASSERT_TRUE(c) << bsm::render(c.error());
  ASSERT_TRUE(bsm::test::poll_until(
    [&] { return !call_whoami(**c).empty() && auth->tokens_obtained() >= 2; },
    bsm::test::generous_deadline, 100ms));
  EXPECT_EQ(stats()["refused"], 1) << stats().dump();
}

TEST_F(OauthMcp, AsksForTheScopeA403InsufficientScopeNames) {
  start({"--secret", secret, "--write-scope"});
  auto c = connect(source(with_secret(secret)));
  ASSERT_TRUE(c) << bsm::render(c.error());
  EXPECT_EQ(call_whoami(**c), "token tok-2 scope 'tools:read tools:write'");
  auto seen = stats();
  ASSERT_EQ(seen["token_requests"].size(), 2u);
  EXPECT_EQ(seen["token_requests"][1]["scope"], "tools:read tools:write");
}

TEST_F(OauthMcp, AWrongSecretFailsWithTheServersReasonAndNoSecret) {
  start({"--secret", secret});
  auto c = connect(source(with_secret("not-the-secret")));
  ASSERT_FALSE(c);
  EXPECT_TRUE(bsm::is(c.error(), errc::unauthenticated));
  auto msg = bsm::render(c.error());
  EXPECT_NE(msg.find("refused the token request (HTTP 401): invalid_client "
                     "(Invalid client credentials)"),
            std::string::npos)
    << msg;
  EXPECT_EQ(msg.find("not-the-secret"), std::string::npos) << msg;
}

TEST_F(OauthMcp, MissingMetadataFailsNamingWhereItLooked) {
  start({"--secret", secret, "--no-metadata"});
  auto c = connect(source(with_secret(secret)));
  ASSERT_FALSE(c);
  EXPECT_TRUE(bsm::is(c.error(), errc::failed_precondition));
  auto msg = bsm::render(c.error());
  EXPECT_NE(msg.find("protected resource metadata at " + base
                     + "/.well-known/oauth-protected-resource/mcp (named by "
                       "the server's challenge): HTTP 404"),
            std::string::npos)
    << msg;
  EXPECT_TRUE(stats()["token_requests"].empty());
}

TEST_F(OauthMcp, AServerEntryWithAuthTakesItsSecretFromTheEnvironment) {
  start({"--secret", secret});
  bsm::mcp_server_options opts;
  opts.server.name = "remote";
  opts.server.url = url();
  opts.server.auth = bsm::mcp_auth_config{};
  opts.server.auth->client_id = "bsm-test";
  opts.server.auth->client_secret = "${BSM_TEST_MCP_SECRET}";
  std::map<std::string, std::string> vars{{"BSM_TEST_MCP_SECRET", secret}};
  opts.environment = [&vars](const std::string& name) {
    auto i = vars.find(name);
    return i == vars.end() ? std::nullopt
                           : std::optional<std::string>{i->second};
  };
  bsm::mcp_server_state state;
  state.opts = opts;
  ASSERT_EQ(state.start(), caf::error{});
  ASSERT_EQ(state.tools.tools_size(), 1);
  EXPECT_EQ(state.tools.tools(0).name(), "remote__whoami");
  // Without the variable the server does not start, and says which.
  vars.clear();
  bsm::mcp_server_state unset;
  unset.opts = opts;
  auto err = unset.start();
  EXPECT_TRUE(bsm::is(err, errc::not_found));
  EXPECT_NE(bsm::render(err).find("BSM_TEST_MCP_SECRET"), std::string::npos)
    << bsm::render(err);
}

} // namespace
