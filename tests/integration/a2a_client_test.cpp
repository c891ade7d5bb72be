// Remote A2A agents as tools (a2a.agents[], agents/a2a/): a real bsmd
// whose agent "caller" (local provider, steered with "call <tool> with
// {json}") calls an agent built on the @a2a-js/sdk 1.3.0 server
// (tests/integration/a2a_peer_server.mjs, started on port 0 and stopped by
// pid). The peer wants a bearer token, which the node sends from the
// environment ("${NAME}" in the configured header).

#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "process.hpp"
#include "test_node.hpp"

namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using bsm::test::describe;
namespace fs = std::filesystem;

constexpr const char* peer_token = "peer-secret-7f3a";

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream{path} << text;
}

class A2aClient : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = new bsm::test::temp_dir;
    auto node = bsm::test::find_in_path("node");
    auto peers = fs::path{BSM_SOURCE_DIR} / "tests/peers/node_modules";
    if (node.empty() || !fs::exists(peers / "@a2a-js/sdk")) {
      failure_ = "node or the test peers are missing: run "
                 "tests/peers/install.sh (make test does)";
      return;
    }
    auto script
      = fs::path{BSM_SOURCE_DIR} / "tests/integration/a2a_peer_server.mjs";
    peer_ = new bsm::test::process({node, script.string(), peer_token},
                                   dir_->path());
    uint16_t port = 0;
    (void)bsm::test::poll_until([&port] {
      auto line = peer_->out();
      auto x = json::parse(line.substr(0, line.find('\n')), nullptr, false);
      if (x.is_object() && x.contains("port"))
        port = x["port"].get<uint16_t>();
      return port != 0;
    });
    if (port == 0) {
      failure_ = "the peer did not start: " + peer_->err();
      return;
    }
    // The token only in the environment, never in the file.
    ::setenv("BSM_TEST_A2A_PEER_TOKEN", peer_token, 1);
    auto agents = dir_->path() / "agents";
    write(agents / "caller.yaml",
          "name: caller\ndescription: Calls the peer.\n"
          "system_prompt: You call the peer.\ntools: [peer__ask]\n");
    auto config = dir_->path() / "node.yaml";
    write(config, "a2a:\n  agents:\n    - name: peer\n      url: "
                  "http://127.0.0.1:"
                    + std::to_string(port)
                    + "/\n      headers:\n        Authorization: Bearer "
                      "${BSM_TEST_A2A_PEER_TOKEN}\n");
    node_ = new bsm::test::test_node(dir_->path(), dir_->path() / "data",
                                     {"agents.paths=[" + agents.string() + "]"},
                                     BSMD_PATH, config.string());
  }

  static void TearDownTestSuite() {
    if (node_ != nullptr)
      node_->stop();
    delete node_;
    if (peer_ != nullptr) {
      peer_->signal(SIGTERM);
      (void)peer_->wait(10s);
    }
    delete peer_;
    delete dir_;
    node_ = nullptr;
    peer_ = nullptr;
    dir_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(failure_.empty()) << failure_;
    ASSERT_NE(node_->port(), 0) << "bsmd did not listen; stderr:\n"
                                << node_->proc().err();
  }

  /// The first turn whose step called peer__ask and got an answer; the
  /// peer's actor may still be fetching the card when the node is ready.
  static json ask_caller(const std::string& input) {
    json reply;
    (void)bsm::test::poll_until(
      [&] {
        auto res = bsm::test::post_json(node_->port(), "/v1/agents/caller/chat",
                                        json{{"input", input}}.dump());
        if (!res || res->status != 200)
          return false;
        reply = bsm::test::body_of(*res);
        return !reply["steps"].empty()
               && !reply["steps"][0].value("is_error", true);
      },
      bsm::test::generous_deadline, 200ms);
    return reply;
  }

  static inline bsm::test::temp_dir* dir_ = nullptr;
  static inline bsm::test::process* peer_ = nullptr;
  static inline bsm::test::test_node* node_ = nullptr;
  static inline std::string failure_;
};

TEST_F(A2aClient, TheRemoteAgentIsAToolAndItsAnswerComesBack) {
  auto reply = ask_caller(R"(call peer__ask with {"message": "hello peer"})");
  ASSERT_FALSE(reply["steps"].empty()) << reply;
  const auto& step = reply["steps"][0];
  EXPECT_EQ(step["tool"], "peer__ask") << reply;
  auto result = step["result"].get<std::string>();
  EXPECT_NE(result.find("peer heard: hello peer"), std::string::npos) << reply;
  EXPECT_NE(reply["output"].get<std::string>().find("peer heard: hello peer"),
            std::string::npos)
    << reply;
  // The tool lists where it comes from; the token is nowhere to be seen.
  auto agent = bsm::test::get(node_->port(), "/v1/agents/caller");
  ASSERT_TRUE(agent && agent->status == 200) << describe(agent);
  EXPECT_EQ(bsm::test::body_of(*agent)["tools"], json::array({"peer__ask"}))
    << agent->body;
  EXPECT_EQ(node_->proc().err().find(peer_token), std::string::npos);
  EXPECT_EQ(node_->proc().out().find(peer_token), std::string::npos);
}

TEST_F(A2aClient, AContextIdGoesOnInTheRemoteConversation) {
  auto first = ask_caller(R"(call peer__ask with {"message": "one"})");
  ASSERT_FALSE(first["steps"].empty()) << first;
  auto text = first["steps"][0]["result"].get<std::string>();
  auto at = text.find("(context ");
  ASSERT_NE(at, std::string::npos) << text;
  auto context = text.substr(at + 9, text.find(')', at) - at - 9);
  ASSERT_FALSE(context.empty()) << text;
  auto second = ask_caller(R"(call peer__ask with {"message": "two", )"
                           R"("context_id": ")"
                           + context + "\"}");
  ASSERT_FALSE(second["steps"].empty()) << second;
  EXPECT_NE(second["steps"][0]["result"].get<std::string>().find(
              "peer heard: two (context " + context + ")"),
            std::string::npos)
    << second;
}

} // namespace
