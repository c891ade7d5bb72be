// API keys seeded from the config file (security.api_keys) through the
// credentials service, against a real store: the key whose hash the file
// holds authenticates, across restarts, and revocation over the API stays.

#include "runtime/security/credentials_service.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "runtime/error.hpp"
#include "runtime/security/api_key.hpp"
#include "tests/common/temp_dir.hpp"

namespace bsm::security {
namespace {

constexpr int64_t now = 1'800'000'000;

password_hash_params quick_hashing() {
  password_hash_params params;
  params.scrypt_ln = 4;
  return params;
}

class CredentialSeeding : public testing::Test {
protected:
  void SetUp() override {
    auto key = generate_api_key();
    ASSERT_TRUE(key);
    key_ = *key;
    seeded_api_key entry;
    entry.id = key_.id;
    entry.name = "ci-deployer";
    entry.sha256 = api_key_digest(key_.secret);
    entry.roles = {"operator"};
    opts_.api_keys.push_back(entry);
  }

  // A node start: the store opened again, the config seeded.
  std::unique_ptr<credentials_service> start() {
    service_.reset();
    db_.reset();
    auto db = store::open(dir_.path(), {});
    EXPECT_TRUE(db) << render(db.error());
    db_ = std::move(*db);
    auto service = credentials_service::make(opts_, *db_, quick_hashing());
    EXPECT_TRUE(service) << render(service.error());
    return service ? std::move(*service) : nullptr;
  }

  caf::expected<std::shared_ptr<const principal>>
  present(const credentials_service& service, const std::string& key,
          int64_t at = now) {
    auto auth = service.snapshot();
    EXPECT_TRUE(auth) << render(auth.error());
    return (*auth)->authenticate("Bearer " + key, {false, {}}, at);
  }

  test::temp_dir dir_;
  api_key key_;
  security_options opts_;
  std::unique_ptr<store> db_;
  std::unique_ptr<credentials_service> service_;
};

TEST_F(CredentialSeeding, TheSeededKeyAuthenticatesAsItsName) {
  auto service = start();
  ASSERT_TRUE(service);
  auto who = present(*service, key_.secret);
  ASSERT_TRUE(who && *who) << render(who.error());
  EXPECT_EQ((*who)->kind, principal_kind::api_key);
  EXPECT_EQ((*who)->name, "ci-deployer");
  EXPECT_EQ((*who)->roles, std::vector<std::string>{"operator"});
  // Another key with the same id is not it.
  auto other = key_.secret;
  other.back() = other.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(present(*service, other));
}

TEST_F(CredentialSeeding, SurvivesARestartAndKeepsCreatedAt) {
  auto service = start();
  ASSERT_TRUE(service);
  auto listed = service->list_api_keys();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->api_keys_size(), 1);
  auto created_at = listed->api_keys(0).created_at();
  service = start();
  ASSERT_TRUE(service);
  EXPECT_TRUE(present(*service, key_.secret));
  listed = service->list_api_keys();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->api_keys_size(), 1);
  EXPECT_EQ(listed->api_keys(0).created_at(), created_at);
}

TEST_F(CredentialSeeding, UpdatesRolesAndExpiryFromTheFile) {
  auto service = start();
  ASSERT_TRUE(service);
  opts_.api_keys[0].roles = {"reader"};
  opts_.api_keys[0].expires_at = now + 60;
  service = start();
  ASSERT_TRUE(service);
  auto who = present(*service, key_.secret);
  ASSERT_TRUE(who);
  EXPECT_EQ((*who)->roles, std::vector<std::string>{"reader"});
  EXPECT_FALSE(present(*service, key_.secret, now + 61));
}

TEST_F(CredentialSeeding, ARevocationOverTheApiOutlivesTheSeed) {
  auto service = start();
  ASSERT_TRUE(service);
  ASSERT_FALSE(service->revoke_api_key(key_.id));
  EXPECT_FALSE(present(*service, key_.secret));
  service = start();
  ASSERT_TRUE(service);
  EXPECT_FALSE(present(*service, key_.secret));
}

TEST_F(CredentialSeeding, SeededKeysEndProtectedMode) {
  auto service = start();
  ASSERT_TRUE(service);
  auto auth = service->snapshot();
  ASSERT_TRUE(auth);
  EXPECT_FALSE((*auth)->protected_mode());
}

TEST(SeededApiKeys, BecomeRecordsActingForTheirName) {
  security_options opts;
  opts.api_keys.push_back(
    {"abcdefABCDEF", "ci", std::string(64, 'e'), {"chat"}, 1'900'000'000});
  auto records = seeded_api_keys(opts, now);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].id, "abcdefABCDEF");
  EXPECT_EQ(records[0].name, "ci");
  EXPECT_EQ(records[0].principal, "ci");
  EXPECT_EQ(records[0].key_hash, std::string(64, 'e'));
  EXPECT_EQ(records[0].roles, std::vector<std::string>{"chat"});
  EXPECT_EQ(records[0].created_at, now);
  EXPECT_EQ(records[0].expires_at, 1'900'000'000);
  EXPECT_FALSE(records[0].revoked);
}

} // namespace
} // namespace bsm::security
