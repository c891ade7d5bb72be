// bsmctl's security hub commands without a server: argument parsing, the
// secret read from stdin, and the listing tables.

#include <gtest/gtest.h>

#include <sstream>

#include "node/bsmctl/args.hpp"
#include "node/bsmctl/auth_output.hpp"
#include "node/bsmctl/exit_code.hpp"
#include "node/bsmctl/secret_input.hpp"

namespace {

using bsm::ctl::admin_action;
using bsm::ctl::command_kind;
using bsm::ctl::ordered_json;
using bsm::ctl::parse_bsmctl_args;
using bsm::ctl::read_secret_line;

std::string error_of(const std::vector<std::string>& args) {
  auto res = parse_bsmctl_args(args, {});
  if (res)
    return "(parsed)";
  EXPECT_EQ(bsm::ctl::exit_code_for(res.error()), bsm::ctl::exit_usage);
  return bsm::ctl::describe(res.error());
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
  EXPECT_TRUE(mentions(error_of({"login", "alice", "--password", "x"}),
                       "unknown option '--password'"));
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
  EXPECT_TRUE(mentions(error_of({"users", "add", "bob"}), "unknown action"));
  EXPECT_TRUE(mentions(error_of({"users", "set", "bob"}), "--role"));
  EXPECT_TRUE(mentions(error_of({"users", "set", "--role", "admin"}),
                       "needs a non-empty NAME"));
  EXPECT_TRUE(
    mentions(error_of({"users", "set", "bob", "--role="}), "non-empty role"));
  EXPECT_TRUE(mentions(error_of({"users", "delete", "bob", "--role", "x"}),
                       "only for 'users set'"));
  EXPECT_TRUE(
    mentions(error_of({"users", "list", "bob"}), "unexpected argument 'bob'"));
  EXPECT_TRUE(mentions(error_of({"users", "set", "bob", "pw", "--role", "a"}),
                       "unexpected argument 'pw'"));
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
  EXPECT_TRUE(mentions(error_of({"keys", "revoke", "k1", "--role", "admin"}),
                       "only for 'keys create'"));
  EXPECT_TRUE(mentions(error_of({"keys", "delete", "k1"}), "unknown action"));
}

TEST(BsmctlAuthArgs, RolesTakesNoArguments) {
  auto roles = parse_bsmctl_args({"roles", "--output=table"}, {});
  ASSERT_TRUE(roles);
  EXPECT_EQ(roles->command, command_kind::roles);
  EXPECT_TRUE(mentions(error_of({"roles", "admin"}), "unexpected argument"));
}

TEST(BsmctlAuthArgs, HelpSaysLoginStoresNothing) {
  EXPECT_TRUE(mentions(bsm::ctl::bsmctl_usage(), "Stores\n"));
  EXPECT_TRUE(mentions(bsm::ctl::bsmctl_usage(), "nothing on disk"));
}

TEST(BsmctlSecretInput, ReadsOneLineWithoutItsLineEnd) {
  std::istringstream unix_line{"s3cret pass\nsecond line\n"};
  EXPECT_EQ(read_secret_line(unix_line, "password").value(), "s3cret pass");
  std::istringstream crlf{"pw\r\n"};
  EXPECT_EQ(read_secret_line(crlf, "password").value(), "pw");
  std::istringstream no_end{"key"};
  EXPECT_EQ(read_secret_line(no_end, "API key").value(), "key");
}

TEST(BsmctlSecretInput, EmptyAndOverlongInputIsAUsageErrorThatHidesIt) {
  std::istringstream empty{""};
  auto none = read_secret_line(empty, "password");
  ASSERT_FALSE(none);
  EXPECT_EQ(bsm::ctl::exit_code_for(none.error()), bsm::ctl::exit_usage);
  EXPECT_TRUE(mentions(bsm::ctl::describe(none.error()), "no password"));
  std::istringstream blank{"\n"};
  EXPECT_FALSE(read_secret_line(blank, "password"));
  std::istringstream fits{std::string(16, 'x') + "\n"};
  EXPECT_TRUE(read_secret_line(fits, "password", 16));
  std::istringstream longer{std::string(17, 'y') + "\n"};
  auto too_long = read_secret_line(longer, "password", 16);
  ASSERT_FALSE(too_long);
  auto text = bsm::ctl::describe(too_long.error());
  EXPECT_TRUE(mentions(text, "longer than 16 bytes")) << text;
  EXPECT_FALSE(mentions(text, "yyy")) << text;
}

TEST(BsmctlAuthOutput, TablesListUsersKeysAndRoles) {
  auto users = ordered_json::parse(
    R"({"users":[{"name":"alice","roles":["admin","viewer"],)"
    R"("created_at":"2026-01-01T00:00:00Z","disabled":false}]})");
  EXPECT_EQ(bsm::ctl::users_table(users),
            "NAME   ROLES         DISABLED  CREATED\n"
            "alice  admin,viewer  false     2026-01-01T00:00:00Z\n");
  auto keys = ordered_json::parse(
    R"({"api_keys":[{"id":"k1","name":"ci","principal":"alice",)"
    R"("roles":["operator"],"expires_at":null,"revoked":true}]})");
  EXPECT_EQ(bsm::ctl::api_keys_table(keys),
            "ID  NAME  PRINCIPAL  ROLES     EXPIRES  REVOKED\n"
            "k1  ci    alice      operator  -        true\n");
  auto roles
    = ordered_json::parse(R"({"roles":[{"name":"admin","permissions":["*"]},)"
                          R"({"name":"none","permissions":[]}]})");
  EXPECT_EQ(bsm::ctl::roles_table(roles), "ROLE   PERMISSIONS\n"
                                          "admin  *\n"
                                          "none   -\n");
}

} // namespace
