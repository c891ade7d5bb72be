// bsmctl's security hub commands against a real bsmd in protected mode:
// the loopback admin creates a user, `login` turns its password into a
// token that then works, and API keys are created, used and revoked.

#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "process.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::test::run_result;
using json = nlohmann::json;

class BsmctlAuth : public ::testing::Test {
protected:
  void SetUp() override {
    auto data_dir = dir_.path() / "data";
    node_ = std::make_unique<bsm::test::process>(
      bsm::test::node_argv(
        BSMD_PATH, std::string{BSM_SOURCE_DIR} + "/config/node.yaml", data_dir),
      dir_.path());
    auto address = bsm::test::await_http_address(data_dir, *node_);
    ASSERT_TRUE(address) << "no HTTP address; bsmd stderr:\n" << node_->err();
    url_ = "http://" + *address;
  }

  void TearDown() override {
    node_->signal(SIGTERM);
    node_->wait(20s);
  }

  /// Runs bsmctl with --url (and --token unless empty), `input` on stdin
  /// through a shell redirect (process.hpp gives children /dev/null).
  run_result ctl(const std::vector<std::string>& args,
                 const std::string& token = "", const std::string& input = "") {
    auto file = dir_.path() / ("stdin" + std::to_string(++inputs_));
    std::ofstream{file} << input;
    std::string cmd = "exec '" BSMCTL_PATH "' --url '" + url_ + "'";
    if (!token.empty())
      cmd += " --token '" + token + "'";
    for (const auto& arg : args)
      cmd += " '" + arg + "'";
    cmd += " < '" + file.string() + "'";
    return bsm::test::run({"/bin/sh", "-c", cmd}, dir_.path());
  }

  static std::string first_line(const std::string& text) {
    return text.substr(0, text.find('\n'));
  }

  bsm::test::temp_dir dir_;
  std::unique_ptr<bsm::test::process> node_;
  std::string url_;
  int inputs_ = 0;
};

TEST_F(BsmctlAuth, AdminMakesAUserWhoseLoginTokenWorks) {
  const std::string password = "correct horse battery";
  auto set
    = ctl({"users", "set", "alice", "--role", "admin"}, "", password + "\n");
  ASSERT_EQ(set.code, 0) << set.err;
  auto user = json::parse(set.out, nullptr, false);
  EXPECT_EQ(user["name"], "alice") << set.out;
  EXPECT_EQ(set.out.find(password), std::string::npos) << set.out;

  // A user ends protected mode: loopback callers need a credential now.
  auto anonymous = ctl({"actors"});
  EXPECT_EQ(anonymous.code, 1) << anonymous.out;

  auto wrong = ctl({"login", "alice"}, "", "not the password\n");
  EXPECT_EQ(wrong.code, 1) << wrong.out;
  EXPECT_TRUE(wrong.out.empty()) << wrong.out;

  auto login = ctl({"login", "alice"}, "", password + "\n");
  ASSERT_EQ(login.code, 0) << login.err;
  auto token = first_line(login.out);
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(login.out, token + "\n") << "only the token on stdout";

  auto actors = ctl({"actors"}, token);
  EXPECT_EQ(actors.code, 0) << actors.err;
  auto users = ctl({"users", "list", "--output", "table"}, token);
  EXPECT_EQ(users.code, 0) << users.err;
  EXPECT_NE(users.out.find("alice  admin"), std::string::npos) << users.out;
  auto roles = ctl({"roles"}, token);
  ASSERT_EQ(roles.code, 0) << roles.err;
  EXPECT_TRUE(json::parse(roles.out, nullptr, false)["roles"].is_array())
    << roles.out;
}

TEST_F(BsmctlAuth, ApiKeyWorksUntilRevoked) {
  ASSERT_EQ(ctl({"users", "set", "alice", "--role", "admin"}, "",
                "correct horse battery\n")
              .code,
            0);
  auto token
    = first_line(ctl({"login", "alice"}, "", "correct horse battery\n").out);
  ASSERT_FALSE(token.empty());

  auto create = ctl(
    {"keys", "create", "ci", "--role", "reader", "--expires-in-s", "3600"},
    token);
  ASSERT_EQ(create.code, 0) << create.err;
  auto record = json::parse(create.out, nullptr, false);
  ASSERT_TRUE(record.is_object()) << create.out;
  auto key = record.value("api_key", "");
  auto id = record.value("id", "");
  ASSERT_FALSE(key.empty() || id.empty()) << create.out;

  auto list = ctl({"keys", "list"}, token);
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_NE(list.out.find(id), std::string::npos) << list.out;
  EXPECT_EQ(list.out.find(key), std::string::npos) << "key shown once";

  auto key_login = ctl({"login", "--api-key"}, "", key + "\n");
  ASSERT_EQ(key_login.code, 0) << key_login.err;
  EXPECT_EQ(ctl({"actors"}, first_line(key_login.out)).code, 0);
  EXPECT_EQ(ctl({"actors"}, key).code, 0);

  auto revoke = ctl({"keys", "revoke", id}, token);
  EXPECT_EQ(revoke.code, 0) << revoke.err;
  EXPECT_EQ(ctl({"actors"}, key).code, 1);
  EXPECT_EQ(ctl({"login", "--api-key"}, "", key + "\n").code, 1);
}

TEST_F(BsmctlAuth, ReloadNeedsAdminReload) {
  ASSERT_EQ(ctl({"users", "set", "alice", "--role", "admin"}, "",
                "correct horse battery\n")
              .code,
            0);
  auto admin
    = first_line(ctl({"login", "alice"}, "", "correct horse battery\n").out);
  // The first user ended protected mode: the admin makes the next.
  ASSERT_EQ(ctl({"users", "set", "rita", "--role", "operator"}, admin,
                "correct horse battery\n")
              .code,
            0);
  auto operator_token
    = first_line(ctl({"login", "rita"}, "", "correct horse battery\n").out);
  ASSERT_FALSE(admin.empty() || operator_token.empty());

  // operator holds agents:* and more, but not admin:reload.
  auto refused = ctl({"reload"}, operator_token);
  EXPECT_EQ(refused.code, 1) << refused.out;
  EXPECT_NE(refused.err.find("HTTP 403"), std::string::npos) << refused.err;
  auto done = ctl({"reload"}, admin);
  EXPECT_EQ(done.code, 0) << done.err;
  EXPECT_EQ(json::parse(done.out, nullptr, false).value("reload", ""), "done")
    << done.out;
}

TEST_F(BsmctlAuth, LoginWithoutAPasswordIsAUsageError) {
  auto res = ctl({"login", "alice"});
  EXPECT_EQ(res.code, 2) << res.err;
  EXPECT_NE(res.err.find("no password on stdin"), std::string::npos) << res.err;
}

} // namespace
