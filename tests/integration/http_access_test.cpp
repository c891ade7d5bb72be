// Access to the HTTP API from outside, against real bsmd processes:
// protected mode (a second loopback address plays a remote client), JWT
// bearer tokens, and the RBAC matrix over route groups, methods and path
// spellings (API.md, "Conventions"; issue 15).

#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "process.hpp"
#include "runtime/security/jwt_verifier.hpp"
#include "runtime/security/password_hash.hpp"
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
      << "  openapi_open: false\n"
      << "  roles:\n"
      << "    pinger: [\"actors:node_info:inject:bsm.v1.PingRequest\"]\n"
      << "    legal_only: [agents:legal:chat, agents:legal:read]\n"
      << "    governance_only: [agents:governance:chat]\n"
      << "    governance_and_legal: [agents:governance:chat, "
         "agents:legal:chat]\n";
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
         {"GET", "/openapi.json"},
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
    {"openapi:read", "GET", "/openapi.json", ""},
  };
  // Which groups each role reaches (admin: all).
  std::map<std::string, std::set<std::string>> reaches{
    {"admin",
     {"agents:read", "agents:chat", "actors:read", "actors:inject",
      "cluster:read", "metrics:read", "openapi:read"}},
    // Operators inject into agents only, not into the hub's actors.
    {"operator",
     {"agents:read", "agents:chat", "actors:read", "cluster:read",
      "metrics:read", "openapi:read"}},
    {"reader",
     {"agents:read", "actors:read", "cluster:read", "metrics:read",
      "openapi:read"}},
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
// A delegation acts with the rights of the caller the front
// authenticated: governance may ask legal, but bob only if he may.
TEST_F(TokenAccess, ADelegationNeedsTheCallersChatPermission) {
  auto chat = [](const std::string& role) {
    auto res
      = send(port(), "POST", "/v1/agents/governance/chat",
             bearer(token("bob", {role})),
             json{{"input", "ask legal: what must a DPA cover?"}}.dump());
    return res && res->status == 200 ? json::parse(res->body)
                                     : json{{"error", describe(res)}};
  };
  auto refused = chat("governance_only");
  ASSERT_EQ(refused["steps"].size(), 1u) << refused;
  EXPECT_EQ(refused["steps"][0]["tool"], "ask_agent");
  EXPECT_TRUE(refused["steps"][0].value("is_error", false)) << refused;
  EXPECT_EQ(refused["steps"][0]["result"],
            "the caller lacks permission 'agents:legal:chat' to ask agent "
            "'legal'");
  auto allowed = chat("governance_and_legal");
  ASSERT_EQ(allowed["steps"].size(), 1u) << allowed;
  EXPECT_FALSE(allowed["steps"][0].value("is_error", false)) << allowed;
}

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

// -- rate limits --------------------------------------------------------------

// A node with small buckets: per principal (tokens for alice and bob) and
// per address (127.0.0.1 and 127.0.0.2 are two addresses).
class RateLimits : public ::testing::Test {
protected:
  void SetUp() override {
    auto key = dir_.path() / "hs256.key";
    std::ofstream{key} << hs256_key << "\n";
    node_ = std::make_unique<test_node>(
      BSM_SOURCE_DIR, dir_.path() / "data",
      std::vector<std::string>{
        "security.jwt_hs256_key_file=" + key.string(),
        "security.rate_per_principal=1", "security.burst_per_principal=3",
        "security.rate_per_address=1", "security.burst_per_address=8"});
  }

  std::string token(const std::string& sub) {
    static const bsm::security::test::signer signer;
    json claims{{"sub", sub}, {"exp", unix_now() + 300}, {"roles", {"reader"}}};
    return signer.token(bsm::security::jwt_algorithm::hs256, {{"alg", "HS256"}},
                        claims, hs256_key);
  }

  temp_dir dir_;
  std::unique_ptr<test_node> node_;
};

TEST_F(RateLimits, ANoisyPrincipalIsLimitedWhileAnotherIsServed) {
  auto port = node_->port();
  ASSERT_NE(port, 0);
  auto alice = token("alice");
  opt_response refused;
  for (int i = 0; i < 6 && !(refused && refused->status == 429); ++i)
    refused
      = send(port, "GET", "/v1/agents", {{"Authorization", "Bearer " + alice}});
  ASSERT_TRUE(refused && refused->status == 429) << describe(refused);
  EXPECT_EQ(error_code(refused), "rate_limited");
  EXPECT_GE(std::stoi(refused->header("Retry-After")), 1);
  EXPECT_NE(error_message(refused).find("security.rate_per_principal"),
            std::string::npos);
  // Another principal, and alice on another route group, are served.
  auto bob = send(port, "GET", "/v1/agents",
                  {{"Authorization", "Bearer " + token("bob")}});
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->status, 200) << bob->body;
  auto other_group
    = send(port, "GET", "/v1/cluster", {{"Authorization", "Bearer " + alice}});
  ASSERT_TRUE(other_group);
  EXPECT_EQ(other_group->status, 200) << other_group->body;
}

TEST_F(RateLimits, ANoisyAddressIsLimitedBeforeCredentialsAreRead) {
  auto port = node_->port();
  opt_response refused;
  for (int i = 0; i < 12 && !(refused && refused->status == 429); ++i)
    refused = send(port, "GET", "/v1/agents",
                   {{"Authorization", "Bearer not-a-token"}}, {}, "127.0.0.2");
  ASSERT_TRUE(refused && refused->status == 429) << describe(refused);
  EXPECT_NE(error_message(refused).find("security.rate_per_address"),
            std::string::npos);
  // 127.0.0.1 has its own bucket.
  auto other = send(port, "GET", "/healthz");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 200);
  auto metrics = send(port, "GET", "/metrics",
                      {{"Authorization", "Bearer " + token("ops")}});
  ASSERT_TRUE(metrics && metrics->status == 200) << describe(metrics);
  EXPECT_NE(
    metrics->body.find("bsm_http_rate_limited_total{scope=\"address\"}"),
    std::string::npos)
    << metrics->body.substr(0, 400);
}

// -- users, API keys, logins --------------------------------------------------

// A node that starts in protected mode: its loopback admin creates the
// first user, which ends protected mode (Redis' model).
class Credentials : public ::testing::Test {
protected:
  void SetUp() override {
    node_ = std::make_unique<test_node>(BSM_SOURCE_DIR, dir_.path() / "data",
                                        std::vector<std::string>{});
  }

  uint16_t port() const {
    return node_->port();
  }

  std::string login(const std::string& user, const std::string& password) {
    auto res = send(port(), "POST", "/v1/auth/token", {},
                    json{{"username", user}, {"password", password}}.dump());
    if (!res || res->status != 200)
      return {};
    auto doc = json::parse(res->body, nullptr, false);
    EXPECT_EQ(doc["token_type"], "Bearer") << res->body;
    EXPECT_GT(doc["expires_in"].get<int64_t>(), 0) << res->body;
    return doc.value("access_token", "");
  }

  temp_dir dir_;
  std::unique_ptr<test_node> node_;
};

TEST_F(Credentials, TheFirstUserEndsProtectedModeAndLogsIn) {
  ASSERT_NE(port(), 0);
  auto created
    = send(port(), "PUT", "/v1/users/alice", {},
           json{{"password", "correct horse"}, {"roles", {"admin"}}}.dump());
  ASSERT_TRUE(created && created->status == 201) << describe(created);
  EXPECT_EQ(json::parse(created->body)["name"], "alice");
  EXPECT_EQ(created->body.find("correct horse"), std::string::npos);
  // Loopback needs credentials now.
  auto anonymous = send(port(), "GET", "/v1/agents");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401) << anonymous->body;
  EXPECT_EQ(login("alice", "wrong password"), "");
  EXPECT_EQ(login("nobody", "correct horse"), "");
  auto token = login("alice", "correct horse");
  ASSERT_FALSE(token.empty());
  auto with_token
    = send(port(), "GET", "/v1/users", {{"Authorization", "Bearer " + token}});
  ASSERT_TRUE(with_token && with_token->status == 200) << describe(with_token);
  EXPECT_EQ(json::parse(with_token->body)["users"][0]["name"], "alice");
  EXPECT_EQ(with_token->body.find("password"), std::string::npos);
}

TEST_F(Credentials, AnApiKeyIsShownOnceWorksAndCanBeRevoked) {
  // The loopback admin makes an admin key; that ends protected mode.
  auto root = send(port(), "POST", "/v1/api-keys", {},
                   json{{"name", "root"}, {"roles", {"admin"}}}.dump());
  ASSERT_TRUE(root && root->status == 201) << describe(root);
  std::string admin = json::parse(root->body)["api_key"];
  EXPECT_EQ(admin.rfind("bsm_", 0), 0u);
  header_list as_admin{{"Authorization", "Bearer " + admin}};
  auto anonymous
    = send(port(), "POST", "/v1/api-keys", {}, json{{"name", "x"}}.dump());
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  auto made = send(port(), "POST", "/v1/api-keys", as_admin,
                   json{{"name", "ci"}, {"roles", {"reader"}}}.dump());
  ASSERT_TRUE(made && made->status == 201) << describe(made);
  std::string key = json::parse(made->body)["api_key"];
  std::string id = json::parse(made->body)["id"];
  header_list as_ci{{"Authorization", "Bearer " + key}};
  // The key works as a bearer credential, with its roles only.
  auto read = send(port(), "GET", "/v1/agents", as_ci);
  ASSERT_TRUE(read && read->status == 200) << describe(read);
  auto denied = send(port(), "GET", "/v1/users", as_ci);
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 403) << denied->body;
  // It logs in for a token too.
  auto exchanged
    = send(port(), "POST", "/v1/auth/token", {}, json{{"api_key", key}}.dump());
  ASSERT_TRUE(exchanged && exchanged->status == 200) << describe(exchanged);
  // Listings never show a key again.
  auto listed = send(port(), "GET", "/v1/api-keys", as_admin);
  ASSERT_TRUE(listed && listed->status == 200) << describe(listed);
  EXPECT_EQ(json::parse(listed->body)["api_keys"].size(), 2u);
  EXPECT_EQ(listed->body.find("bsm_"), std::string::npos) << listed->body;
  // Revoked, it is refused at once.
  auto revoked = send(port(), "DELETE", "/v1/api-keys/" + id, as_admin);
  ASSERT_TRUE(revoked);
  EXPECT_EQ(revoked->status, 204) << revoked->body;
  auto after = send(port(), "GET", "/v1/agents", as_ci);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 401) << after->body;
  auto roles = send(port(), "GET", "/v1/roles", as_admin);
  ASSERT_TRUE(roles && roles->status == 200) << describe(roles);
  EXPECT_NE(roles->body.find("\"reader\""), std::string::npos);
}

TEST_F(Credentials, BadRequestsAreClearErrors) {
  auto short_password = send(port(), "PUT", "/v1/users/bob", {},
                             json{{"password", "short"}}.dump());
  ASSERT_TRUE(short_password);
  EXPECT_EQ(short_password->status, 400) << short_password->body;
  auto unknown_role
    = send(port(), "PUT", "/v1/users/bob", {},
           json{{"password", "long enough"}, {"roles", {"wizard"}}}.dump());
  ASSERT_TRUE(unknown_role);
  EXPECT_EQ(unknown_role->status, 400) << unknown_role->body;
  EXPECT_NE(unknown_role->body.find("unknown role"), std::string::npos);
  auto both = send(
    port(), "POST", "/v1/auth/token", {},
    json{{"username", "a"}, {"password", "b"}, {"api_key", "bsm_x"}}.dump());
  ASSERT_TRUE(both);
  EXPECT_EQ(both->status, 400) << both->body;
  auto extra = send(port(), "POST", "/v1/auth/token", {},
                    json{{"username", "a"}, {"pin", "1"}}.dump());
  ASSERT_TRUE(extra);
  EXPECT_EQ(extra->status, 400) << extra->body;
}

TEST_F(Credentials, RepeatedFailuresBackOffWith429) {
  auto created = send(port(), "PUT", "/v1/users/carol", {},
                      json{{"password", "carol's secret"}}.dump());
  ASSERT_TRUE(created && created->status == 201) << describe(created);
  opt_response last;
  for (int i = 0; i < 10 && !(last && last->status == 429); ++i)
    last = send(port(), "POST", "/v1/auth/token", {},
                json{{"username", "carol"}, {"password", "guess"}}.dump());
  ASSERT_TRUE(last && last->status == 429) << describe(last);
  EXPECT_GE(std::stoi(last->header("Retry-After")), 1);
  EXPECT_EQ(error_code(last), "rate_limited");
}

TEST(SeededUsers, AUserFromTheConfigFileLogsInWithItsRoles) {
  temp_dir dir;
  bsm::security::password_hash_params quick;
  quick.scrypt_ln = 10; // fast for a test; the default is production strength
  auto hash = bsm::security::hash_password("dave's password", quick);
  ASSERT_TRUE(hash);
  auto config = dir.path() / "node.yaml";
  std::ofstream{config} << "security:\n  users:\n    - name: dave\n"
                        << "      password_hash: '" << *hash << "'\n"
                        << "      roles: [reader]\n";
  test_node node{BSM_SOURCE_DIR,
                 dir.path() / "data",
                 {bsm::test::seed_agents_set()},
                 BSMD_PATH,
                 config.string()};
  ASSERT_NE(node.port(), 0);
  // A seeded user ends protected mode.
  EXPECT_EQ(send(node.port(), "GET", "/v1/agents")->status, 401);
  auto login
    = send(node.port(), "POST", "/v1/auth/token", {},
           json{{"username", "dave"}, {"password", "dave's password"}}.dump());
  ASSERT_TRUE(login && login->status == 200) << describe(login);
  header_list as_dave{
    {"Authorization",
     "Bearer " + json::parse(login->body)["access_token"].get<std::string>()}};
  EXPECT_EQ(send(node.port(), "GET", "/v1/agents", as_dave)->status, 200);
  EXPECT_EQ(send(node.port(), "GET", "/v1/users", as_dave)->status, 403);
}

// A key and its hash made with the shell recipe docs/API.md gives.
struct shell_key {
  std::string key;
  std::string sha256;
};

shell_key make_key_in_shell(const std::filesystem::path& dir) {
  auto res = bsm::test::run(
    {"/bin/sh", "-c",
     "KEY=\"bsm_$(openssl rand -hex 6)_$(openssl rand 32 | basenc "
     "--base64url | tr -d =)\"; printf '%s\\n' \"$KEY\"; printf %s "
     "\"$KEY\" | sha256sum"},
    dir);
  EXPECT_EQ(res.code, 0) << res.err;
  std::istringstream lines{res.out};
  shell_key result;
  lines >> result.key >> result.sha256;
  return result;
}

std::string seeded_key_config(const shell_key& k, const std::string& roles) {
  return "security:\n  api_keys:\n    - id: " + k.key.substr(4, 12)
         + "\n      name: ci-deployer\n      sha256: " + k.sha256
         + "\n      roles: " + roles + "\n";
}

TEST(SeededApiKeys, AKeyFromTheConfigFileWorksAndSurvivesARestart) {
  temp_dir dir;
  auto k = make_key_in_shell(dir.path());
  ASSERT_EQ(k.key.size(), 60u) << k.key;
  ASSERT_EQ(k.sha256.size(), 64u) << k.sha256;
  auto config = dir.path() / "node.yaml";
  std::ofstream{config} << seeded_key_config(k, "[reader]");
  header_list as_key{{"Authorization", "Bearer " + k.key}};
  for (int start = 0; start < 2; ++start) {
    test_node node{BSM_SOURCE_DIR,
                   dir.path() / "data",
                   {bsm::test::seed_agents_set()},
                   BSMD_PATH,
                   config.string()};
    ASSERT_NE(node.port(), 0) << "start " << start;
    // A seeded key ends protected mode.
    EXPECT_EQ(send(node.port(), "GET", "/v1/agents")->status, 401);
    auto res = send(node.port(), "GET", "/v1/agents", as_key);
    ASSERT_TRUE(res) << "start " << start;
    EXPECT_EQ(res->status, 200) << "start " << start << ": " << res->body;
    res = send(node.port(), "GET", "/v1/users", as_key);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 403) << res->body;
    auto wrong = k.key;
    wrong.back() = wrong.back() == 'A' ? 'Q' : 'A';
    res = send(node.port(), "GET", "/v1/agents",
               {{"Authorization", "Bearer " + wrong}});
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 401) << res->body;
  }
}

// The port opens only once the stored credentials are in force: a key
// made over the API in an earlier run ends protected mode from the first
// request of the next.
TEST(StoredApiKeys, WorkFromTheFirstRequestAfterARestart) {
  temp_dir dir;
  std::string key;
  {
    test_node node{BSM_SOURCE_DIR, dir.path() / "data", {}};
    ASSERT_NE(node.port(), 0);
    auto made = send(node.port(), "POST", "/v1/api-keys", {},
                     json{{"name", "ops"}, {"roles", {"reader"}}}.dump());
    ASSERT_TRUE(made && made->status == 201) << describe(made);
    key = json::parse(made->body)["api_key"].get<std::string>();
  }
  test_node node{BSM_SOURCE_DIR, dir.path() / "data", {}};
  ASSERT_NE(node.port(), 0);
  EXPECT_EQ(send(node.port(), "GET", "/v1/agents")->status, 401);
  auto res = send(node.port(), "GET", "/v1/agents",
                  {{"Authorization", "Bearer " + key}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
}

TEST(SeededApiKeys, ABadEntryStopsTheStartAtItsLine) {
  temp_dir dir;
  auto k = make_key_in_shell(dir.path());
  auto config = dir.path() / "node.yaml";
  auto data_dir = dir.path() / "data";
  for (const auto& [text, expected] :
       {std::pair{seeded_key_config({k.key, k.sha256.substr(0, 40)}, "[]"),
                  config.string() + ":5: key 'security.api_keys[0].sha256'"},
        std::pair{seeded_key_config(k, "[wizard]"),
                  std::string{"key 'security.api_keys': unknown role "
                              "'wizard'"}}}) {
    std::ofstream{config} << text;
    auto res = bsm::test::run(
      bsm::test::node_argv(BSMD_PATH, config.string(), data_dir), dir.path());
    EXPECT_EQ(res.code, 2) << res.err;
    EXPECT_NE(res.err.find(expected), std::string::npos) << res.err;
    // Neither the hash nor a part of it is echoed.
    EXPECT_EQ(res.err.find(k.sha256.substr(0, 40)), std::string::npos)
      << res.err;
  }
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
