// Access to the HTTP API from outside, against real bsmd processes:
// protected mode (a second loopback address plays a remote client), JWT
// bearer tokens, and the RBAC matrix over route groups, methods and path
// spellings (API.md, "Conventions"; issue 15).

#include <fstream>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "process.hpp"
#include "runtime/security/jwt_verifier.hpp"
#include "test_node.hpp"
#include "tests/common/temp_dir.hpp"
#include "tests/unit/security/jwt_test_tokens.hpp"

namespace {

using bsm::test::describe;
using bsm::test::http_exchange;
using bsm::test::make_request;
using bsm::test::opt_response;
using bsm::test::temp_dir;
using bsm::test::test_node;
using json = nlohmann::json;
using header_list = std::vector<std::pair<std::string, std::string>>;

const std::string hs256_key = "integration-test-key-0123456789abcdef";

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

opt_response send(uint16_t port, const std::string& method,
                  const std::string& target, header_list headers = {},
                  const std::string& body = {},
                  const std::string& source = {}) {
  if (!body.empty())
    headers.emplace_back("Content-Type", "application/json");
  return http_exchange(port, make_request(method, target, headers, body),
                       std::chrono::seconds{10}, source);
}

std::string error_code(const opt_response& res) {
  auto doc = json::parse(res->body, nullptr, false);
  if (!doc.is_object() || !doc.contains("error"))
    return "<not the error shape>";
  return doc["error"].value("code", "");
}

std::string error_message(const opt_response& res) {
  auto doc = json::parse(res->body, nullptr, false);
  if (!doc.is_object() || !doc.contains("error"))
    return "";
  return doc["error"].value("message", "");
}

// -- protected mode -----------------------------------------------------------

class ProtectedMode : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = new temp_dir;
    node_ = new test_node(BSM_SOURCE_DIR, dir_->path() / "data", {});
  }

  static void TearDownTestSuite() {
    delete node_;
    delete dir_;
  }

  static uint16_t port() {
    return node_->port();
  }

  static inline temp_dir* dir_ = nullptr;
  static inline test_node* node_ = nullptr;
};

TEST_F(ProtectedMode, LoopbackIsTheLocalAdmin) {
  ASSERT_NE(port(), 0);
  auto res = send(port(), "GET", "/v1/agents");
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  res = send(port(), "POST", "/v1/actors/node_info/messages", {},
             R"({"type":"bsm.v1.PingRequest","payload":{},"mode":"ask"})");
  EXPECT_TRUE(res && res->status == 200) << describe(res);
}

TEST_F(ProtectedMode, AnotherAddressGets401SayingHowToConfigureAccess) {
  for (const char* target : {"/v1/agents", "/metrics", "/v1/nope", "/"}) {
    auto res = send(port(), "GET", target, {}, {}, "127.0.0.2");
    ASSERT_TRUE(res) << target;
    EXPECT_EQ(res->status, 401) << target << ": " << res->body;
    EXPECT_EQ(error_code(res), "unauthenticated");
    EXPECT_EQ(res->header("WWW-Authenticate"), "Bearer");
    EXPECT_NE(error_message(res).find("security.jwt_hs256_key_file"),
              std::string::npos)
      << res->body;
  }
}

TEST_F(ProtectedMode, ForwardingHeadersDoNotMakeAClientLocal) {
  for (const auto& header : {std::pair{"X-Forwarded-For", "127.0.0.1"},
                             std::pair{"X-Real-IP", "127.0.0.1"},
                             std::pair{"Forwarded", "for=127.0.0.1"}}) {
    auto res = send(port(), "GET", "/v1/agents",
                    {{header.first, header.second}}, {}, "127.0.0.2");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 401) << header.first;
  }
}

TEST_F(ProtectedMode, HealthAndReadinessStayOpen) {
  for (const char* target : {"/healthz", "/readyz"}) {
    auto res = send(port(), "GET", target, {}, {}, "127.0.0.2");
    ASSERT_TRUE(res && res->status == 200) << target << ": " << describe(res);
  }
}

// -- tokens and roles ---------------------------------------------------------

class TokenAccess : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = new temp_dir;
    auto key = dir_->path() / "hs256.key";
    std::ofstream{key} << hs256_key << "\n";
    auto config = dir_->path() / "node.yaml";
    std::ofstream{config}
      << "security:\n"
      << "  jwt_hs256_key_file: " << key.string() << "\n"
      << "  jwt_issuer: https://issuer.test\n"
      << "  max_open_streams: 1\n"
      << "  roles:\n"
      << "    pinger: [\"actors:node_info:inject:bsm.v1.PingRequest\"]\n"
      << "    legal_only: [agents:legal:chat, agents:legal:read]\n";
    node_ = new test_node(BSM_SOURCE_DIR, dir_->path() / "data",
                          {bsm::test::seed_agents_set()}, BSMD_PATH,
                          config.string());
    signer_ = new bsm::security::test::signer;
  }

  static void TearDownTestSuite() {
    delete signer_;
    delete node_;
    delete dir_;
  }

  static uint16_t port() {
    return node_->port();
  }

  static std::string token(const std::string& sub,
                           const std::vector<std::string>& roles,
                           int64_t exp_in = 300) {
    json claims{{"sub", sub},
                {"iss", "https://issuer.test"},
                {"exp", unix_now() + exp_in},
                {"roles", roles}};
    return signer_->token(bsm::security::jwt_algorithm::hs256,
                          {{"alg", "HS256"}, {"typ", "JWT"}}, claims,
                          hs256_key);
  }

  static header_list bearer(const std::string& t) {
    return {{"Authorization", "Bearer " + t}};
  }

  static inline temp_dir* dir_ = nullptr;
  static inline test_node* node_ = nullptr;
  static inline bsm::security::test::signer* signer_ = nullptr;
};

TEST_F(TokenAccess, WithoutCredentialsEveryPathButTheOpenOnesIs401) {
  ASSERT_NE(port(), 0);
  // Loopback is no exception once credentials are configured; unknown
  // paths and methods are 401 too, never 404 or 405.
  for (const auto& [method, target] :
       std::vector<std::pair<std::string, std::string>>{
         {"GET", "/v1/agents"},
         {"GET", "/metrics"},
         {"GET", "/v1/no/such/route"},
         {"DELETE", "/v1/agents"},
         {"POST", "/v1/actors/node_info/messages"},
         {"GET", "/"}}) {
    auto res = send(port(), method, target);
    ASSERT_TRUE(res) << method << " " << target;
    EXPECT_EQ(res->status, 401) << method << " " << target << ": " << res->body;
    EXPECT_EQ(res->header("WWW-Authenticate"), "Bearer");
  }
  for (const char* target : {"/healthz", "/readyz"})
    EXPECT_EQ(send(port(), "GET", target)->status, 200) << target;
}

TEST_F(TokenAccess, BadTokensAre401InvalidTokenSayingWhichCheckFailed) {
  auto good = token("alice", {"admin"});
  auto flipped = good;
  flipped[flipped.size() - 3] = flipped[flipped.size() - 3] == 'A' ? 'B' : 'A';
  auto none = bsm::security::test::join(
    "eyJhbGciOiJub25lIn0",
    good.substr(good.find('.') + 1, good.rfind('.') - good.find('.') - 1), "");
  std::map<std::string, std::string> cases{
    {"flipped signature", flipped},
    {"expired", token("alice", {"admin"}, -3600)},
    {"alg none", none},
    {"two segments", good.substr(0, good.rfind('.'))},
    {"garbage", "not-a-token"},
  };
  for (const auto& [name, t] : cases) {
    auto res = send(port(), "GET", "/v1/agents", bearer(t));
    ASSERT_TRUE(res) << name;
    EXPECT_EQ(res->status, 401) << name << ": " << res->body;
    EXPECT_EQ(res->header("WWW-Authenticate"), "Bearer error=\"invalid_token\"")
      << name;
    EXPECT_FALSE(error_message(res).empty()) << name;
    EXPECT_EQ(res->body.find(t.substr(0, 20)), std::string::npos)
      << name << ": the token must not be echoed";
  }
  auto res = send(port(), "GET", "/v1/agents", bearer(good));
  EXPECT_TRUE(res && res->status == 200) << describe(res);
}

TEST_F(TokenAccess, OpenAIRoutesAnswer401InOpenAIsShape) {
  auto res
    = send(port(), "POST", "/v1/chat/completions", bearer("not-a-token"),
           R"({"model":"legal","messages":[{"role":"user","content":"x"}]})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401) << res->body;
  auto doc = json::parse(res->body, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << res->body;
  EXPECT_EQ(doc["error"]["code"], "invalid_api_key") << res->body;
  EXPECT_EQ(doc["error"]["type"], "invalid_request_error") << res->body;
}

// Each role against each route group, for every method a group has.
TEST_F(TokenAccess, TheRoleMatrix) {
  struct request {
    std::string group, method, target, body;
  };
  const std::string ping
    = R"({"type":"bsm.v1.PingRequest","payload":{},"mode":"ask"})";
  const std::string chat = R"({"input":"hello"})";
  std::vector<request> requests{
    {"agents:read", "GET", "/v1/agents", ""},
    {"agents:read", "GET", "/v1/agents/legal", ""},
    {"agents:read", "GET", "/v1/models", ""},
    {"agents:chat", "POST", "/v1/agents/legal/chat", chat},
    {"actors:read", "GET", "/v1/actors", ""},
    {"actors:read", "GET", "/v1/tree", ""},
    {"actors:inject", "POST", "/v1/actors/node_info/messages", ping},
    {"cluster:read", "GET", "/v1/cluster", ""},
    {"metrics:read", "GET", "/metrics", ""},
  };
  // Which groups each role reaches (admin: all).
  std::map<std::string, std::set<std::string>> reaches{
    {"admin",
     {"agents:read", "agents:chat", "actors:read", "actors:inject",
      "cluster:read", "metrics:read"}},
    {"operator",
     {"agents:read", "agents:chat", "actors:read", "actors:inject",
      "cluster:read", "metrics:read"}},
    {"reader", {"agents:read", "actors:read", "cluster:read", "metrics:read"}},
    {"chat", {"agents:read", "agents:chat"}},
    {"pinger", {"actors:inject"}},
    {"nobody", {}},
  };
  for (const auto& [role, allowed] : reaches) {
    auto t = token("user-" + role, {role});
    for (const auto& r : requests) {
      auto res = send(port(), r.method, r.target, bearer(t), r.body);
      ASSERT_TRUE(res) << role << " " << r.target;
      bool want = allowed.count(r.group) > 0;
      if (want)
        EXPECT_NE(res->status, 403)
          << role << " " << r.method << " " << r.target << ": " << res->body;
      else
        EXPECT_EQ(res->status, 403)
          << role << " " << r.method << " " << r.target << ": " << res->body;
      if (!want) {
        EXPECT_EQ(error_code(res), "permission_denied");
        EXPECT_NE(error_message(res).find("missing permission "),
                  std::string::npos)
          << res->body;
      }
    }
  }
}

TEST_F(TokenAccess, PathSpellingsGetTheSameDecision) {
  auto reader = token("r", {"reader"});
  auto chatter = token("c", {"chat"});
  for (const char* target : {"/v1/actors", "//v1/actors", "/v1//actors",
                             "/v1/actors/", "/v1/%61ctors", "/v1/act%6Frs"}) {
    auto ok = send(port(), "GET", target, bearer(reader));
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200) << target << ": " << ok->body;
    auto denied = send(port(), "GET", target, bearer(chatter));
    ASSERT_TRUE(denied);
    EXPECT_EQ(denied->status, 403) << target << ": " << denied->body;
  }
  for (const char* target : {"/v1/x/../actors", "/v1/%2e%2e/actors",
                             "/v1/actors;x", "/v1/actors/."}) {
    auto res = send(port(), "GET", target, bearer(reader));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << target << ": " << res->body;
  }
  // Case is part of the path: another (unknown) path, found only after
  // authentication.
  auto upper = send(port(), "GET", "/V1/ACTORS", bearer(chatter));
  ASSERT_TRUE(upper);
  EXPECT_EQ(upper->status, 404) << upper->body;
  EXPECT_EQ(send(port(), "GET", "/V1/ACTORS")->status, 401);
}

TEST_F(TokenAccess, InjectionIsCheckedPerTargetAndType) {
  auto t = token("script", {"pinger"});
  auto ping
    = send(port(), "POST", "/v1/actors/node_info/messages", bearer(t),
           R"({"type":"bsm.v1.PingRequest","payload":{},"mode":"ask"})");
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->status, 200) << ping->body;
  auto other_type = send(
    port(), "POST", "/v1/actors/memory/messages", bearer(t),
    R"({"type":"bsm.v1.MemoryGetRequest","payload":{"key":"k"},"mode":"ask"})");
  ASSERT_TRUE(other_type);
  EXPECT_EQ(other_type->status, 403) << other_type->body;
  auto ping_elsewhere
    = send(port(), "POST", "/v1/actors/memory/messages", bearer(t),
           R"({"type":"bsm.v1.PingRequest","payload":{},"mode":"ask"})");
  ASSERT_TRUE(ping_elsewhere);
  EXPECT_EQ(ping_elsewhere->status, 403) << ping_elsewhere->body;
  auto wrong_type_same_target = send(
    port(), "POST", "/v1/actors/node_info/messages", bearer(t),
    R"({"type":"bsm.v1.MemoryGetRequest","payload":{"key":"k"},"mode":"ask"})");
  ASSERT_TRUE(wrong_type_same_target);
  EXPECT_EQ(wrong_type_same_target->status, 403)
    << wrong_type_same_target->body;
  EXPECT_NE(error_message(wrong_type_same_target)
              .find("actors:node_info:inject:bsm.v1.MemoryGetRequest"),
            std::string::npos)
    << wrong_type_same_target->body;
}

TEST_F(TokenAccess, AgentPermissionsNameTheAgent) {
  auto t = token("lawyer", {"legal_only"});
  auto legal = send(port(), "GET", "/v1/agents/legal", bearer(t));
  ASSERT_TRUE(legal);
  EXPECT_EQ(legal->status, 200) << legal->body;
  auto other = send(port(), "GET", "/v1/agents/architect", bearer(t));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 403) << other->body;
  auto completion = send(
    port(), "POST", "/v1/chat/completions", bearer(t),
    R"({"model":"architect","messages":[{"role":"user","content":"x"}]})");
  ASSERT_TRUE(completion);
  EXPECT_EQ(completion->status, 403) << completion->body;
  auto doc = json::parse(completion->body, nullptr, false);
  EXPECT_EQ(doc["error"]["code"], "permission_denied") << completion->body;
}

// One principal's streams are limited while another's are served.
TEST_F(TokenAccess, OpenStreamsAreLimitedPerPrincipal) {
  auto alice = token("alice", {"reader"});
  auto bob = token("bob", {"reader"});
  auto open_stream = [](const std::string& t) {
    auto conn = std::make_unique<bsm::test::http_connection>(port());
    conn->send(make_request("GET", "/v1/events?topic=%23", bearer(t)));
    return conn;
  };
  auto first = open_stream(alice);
  auto head = first->read_head();
  ASSERT_TRUE(head && head->status == 200) << describe(head);
  auto second = send(port(), "GET", "/v1/events", bearer(alice));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 429) << second->body;
  EXPECT_EQ(error_code(second), "rate_limited");
  EXPECT_FALSE(second->header("Retry-After").empty());
  auto other = open_stream(bob);
  auto other_head = other->read_head();
  ASSERT_TRUE(other_head && other_head->status == 200) << describe(other_head);
  // Closing the stream gives the slot back.
  first.reset();
  EXPECT_TRUE(bsm::test::poll_until(
    [&] {
      auto again = open_stream(alice);
      auto h = again->read_head(std::chrono::seconds{2});
      return h && h->status == 200;
    },
    bsm::test::generous_deadline));
}

TEST_F(TokenAccess, BsmctlSendsItsTokenFromTheFlagOrTheEnvironment) {
  auto url = "http://127.0.0.1:" + std::to_string(port());
  auto t = token("ops", {"reader"});
  auto with_flag = bsm::test::run(
    {BSMCTL_PATH, "--url", url, "--token", t, "actors"}, dir_->path());
  EXPECT_EQ(with_flag.code, 0) << with_flag.err;
  auto with_env = bsm::test::run(
    {"/usr/bin/env", "BSM_TOKEN=" + t, BSMCTL_PATH, "--url", url, "actors"},
    dir_->path());
  EXPECT_EQ(with_env.code, 0) << with_env.err;
  auto without
    = bsm::test::run({BSMCTL_PATH, "--url", url, "actors"}, dir_->path());
  EXPECT_EQ(without.code, 1);
  EXPECT_NE(without.err.find("credentials missing"), std::string::npos)
    << without.err;
  auto denied = bsm::test::run({BSMCTL_PATH, "--url", url, "--token", t, "send",
                                "node_info", "PingRequest"},
                               dir_->path());
  EXPECT_EQ(denied.code, 1);
  EXPECT_NE(denied.err.find("missing permission"), std::string::npos)
    << denied.err;
}

} // namespace
