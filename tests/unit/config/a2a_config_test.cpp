// The `a2a:` section of the node config: the server's keys and the remote
// agents (a sequence of maps), with errors that name the key.

#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "node/node_config.hpp"
#include "runtime/error.hpp"
#include "tests/common/temp_dir.hpp"

namespace {

using namespace std::chrono_literals;

class A2aConfig : public ::testing::Test {
protected:
  bsm::test::temp_dir dir;

  caf::expected<bsm::node_config> load(const std::string& text) {
    auto file = dir.path() / "node.yaml";
    std::ofstream{file} << text;
    return bsm::load_node_config(file, {});
  }

  /// The error's text; fails the test if loading succeeded.
  std::string error_for(const std::string& text) {
    auto cfg = load(text);
    if (cfg) {
      ADD_FAILURE() << "loading succeeded:\n" << text;
      return {};
    }
    EXPECT_TRUE(bsm::is(cfg.error(), bsm::errc::invalid_argument));
    return bsm::render(cfg.error());
  }
};

TEST_F(A2aConfig, HasDocumentedDefaults) {
  bsm::node_config cfg;
  EXPECT_TRUE(cfg.a2a.enabled);
  EXPECT_EQ(cfg.a2a.max_tasks, 10'000u);
  EXPECT_EQ(cfg.a2a.max_task_bytes, 64u << 20);
  EXPECT_EQ(cfg.a2a.public_url, "");
  EXPECT_TRUE(cfg.a2a.agents.empty());
}

TEST_F(A2aConfig, ReadsRemoteAgents) {
  auto cfg = load("a2a:\n"
                  "  public_url: https://agents.example.com\n"
                  "  agents:\n"
                  "    - name: peer\n"
                  "      url: https://peer.example.com/a2a\n"
                  "      headers:\n"
                  "        Authorization: Bearer ${PEER_TOKEN}\n"
                  "      call_timeout: 5s\n"
                  "    - name: other\n"
                  "      url: http://127.0.0.1:9/card.json\n");
  ASSERT_TRUE(cfg) << bsm::render(cfg.error());
  ASSERT_EQ(cfg->a2a.agents.size(), 2u);
  const auto& peer = cfg->a2a.agents[0];
  EXPECT_EQ(peer.name, "peer");
  EXPECT_EQ(peer.url, "https://peer.example.com/a2a");
  EXPECT_EQ(peer.headers.at("Authorization"), "Bearer ${PEER_TOKEN}");
  ASSERT_TRUE(peer.call_timeout);
  EXPECT_EQ(*peer.call_timeout, 5s);
  EXPECT_FALSE(cfg->a2a.agents[1].call_timeout);
  EXPECT_EQ(cfg->a2a.public_url, "https://agents.example.com");
}

TEST_F(A2aConfig, BadEntriesNameTheirKey) {
  auto bad = [this](const std::string& entry, const std::string& key) {
    auto msg = error_for("a2a:\n  agents:\n    - " + entry);
    EXPECT_NE(msg.find(key), std::string::npos) << msg;
  };
  bad("name: peer\n", "url");
  bad("url: http://x\n", "name");
  bad("name: Peer\n      url: http://x\n", "a2a.agents[0].name");
  bad("name: a__b\n      url: http://x\n", "a2a.agents[0].name");
  bad("name: p\n      url: ftp://x\n", "a2a.agents[0].url");
  bad("name: p\n      url: http://x\n      colour: red\n", "colour");
  bad("name: p\n      url: http://x\n      headers:\n        X: ${1BAD}\n",
      "a2a.agents[0].headers.X");
  bad("name: p\n      url: http://x\n      call_timeout: 0s\n",
      "a2a.agents[0].call_timeout");
  auto twice = error_for("a2a:\n  agents:\n"
                         "    - {name: p, url: 'http://x'}\n"
                         "    - {name: p, url: 'http://y'}\n");
  EXPECT_NE(twice.find("duplicate"), std::string::npos) << twice;
  EXPECT_NE(
    error_for("a2a:\n  public_url: https://x/\n").find("a2a.public_url"),
    std::string::npos);
  EXPECT_NE(error_for("a2a:\n  max_tasks: 0\n").find("a2a.max_tasks"),
            std::string::npos);
}

TEST_F(A2aConfig, ARemoteAgentMayNotShareAnMcpServersName) {
  auto msg = error_for("tools:\n  mcp_servers:\n"
                       "    - {name: peer, url: 'http://x'}\n"
                       "a2a:\n  agents:\n"
                       "    - {name: peer, url: 'http://y'}\n");
  EXPECT_NE(msg.find("a2a.agents[0].name"), std::string::npos) << msg;
  EXPECT_NE(msg.find("MCP server"), std::string::npos) << msg;
}

TEST_F(A2aConfig, AHeaderValueIsNeverShownInAnError) {
  auto msg = error_for("a2a:\n  agents:\n"
                       "    - name: p\n"
                       "      url: http://x\n"
                       "      headers:\n"
                       "        X-Key: \"s3cret\\nmore\"\n");
  EXPECT_EQ(msg.find("s3cret"), std::string::npos) << msg;
}

} // namespace
