// bsmctl's security hub pieces without a server: the secret read from
// stdin and the listing tables (their arguments: bsmctl_args_test.cpp).

#include <gtest/gtest.h>

#include <sstream>

#include "node/bsmctl/auth_output.hpp"
#include "node/bsmctl/exit_code.hpp"
#include "node/bsmctl/secret_input.hpp"

namespace {

using bsm::ctl::ordered_json;
using bsm::ctl::read_secret_line;

bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
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
