#include "runtime/security/credential_store.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "runtime/error.hpp"
#include "tests/common/temp_dir.hpp"

namespace {

using bsm::errc;
using bsm::security::api_key_record;
using bsm::security::credential_store;
using bsm::security::credential_store_options;
using bsm::security::user_record;

const std::string some_hash = "$scrypt$ln=15,r=8,p=1$c2FsdA$aGFzaA";
const std::string some_key_hash = std::string(64, 'a');

user_record make_user(const std::string& name) {
  user_record result;
  result.name = name;
  result.password_hash = some_hash;
  result.roles = {"operator", "agents:reader"};
  result.created_at = 1'700'000'000;
  return result;
}

api_key_record make_key(const std::string& id,
                        const std::string& principal = "alice") {
  api_key_record result;
  result.id = id;
  result.name = "ci deploys";
  result.key_hash = some_key_hash;
  result.principal = principal;
  result.roles = {"deployer"};
  result.created_at = 1'700'000'000;
  return result;
}

bool same(const user_record& x, const user_record& y) {
  return x.name == y.name && x.password_hash == y.password_hash
         && x.roles == y.roles && x.created_at == y.created_at
         && x.disabled == y.disabled;
}

bool same(const api_key_record& x, const api_key_record& y) {
  return x.id == y.id && x.name == y.name && x.key_hash == y.key_hash
         && x.principal == y.principal && x.roles == y.roles
         && x.created_at == y.created_at && x.expires_at == y.expires_at
         && x.revoked == y.revoked;
}

// A store in a temp dir that a test can close and open again.
class CredentialStore : public testing::Test {
protected:
  void SetUp() override {
    reopen();
  }

  void reopen(credential_store_options opts = {}) {
    creds_.reset();
    db_.reset();
    auto db = bsm::store::open(dir_.path(), {});
    ASSERT_TRUE(db) << bsm::render(db.error());
    db_ = std::move(*db);
    auto creds = credential_store::open(*db_, opts);
    ASSERT_TRUE(creds) << bsm::render(creds.error());
    creds_ = std::make_unique<credential_store>(std::move(*creds));
  }

  credential_store& creds() {
    return *creds_;
  }

  bsm::test::temp_dir dir_;
  std::unique_ptr<bsm::store> db_;
  std::unique_ptr<credential_store> creds_;
};

TEST_F(CredentialStore, RoundTripsUsers) {
  auto alice = make_user("alice");
  alice.disabled = true;
  ASSERT_FALSE(creds().put_user(alice));
  ASSERT_FALSE(creds().put_user(make_user("bob@example.org")));
  auto loaded = creds().get_user("alice");
  ASSERT_TRUE(loaded) << bsm::render(loaded.error());
  EXPECT_TRUE(same(*loaded, alice));
  auto all = creds().list_users();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "alice");
  EXPECT_EQ((*all)[1].name, "bob@example.org");
  EXPECT_EQ(creds().user_count(), 2u);
}

TEST_F(CredentialStore, ReplacesAUserOfTheSameName) {
  ASSERT_FALSE(creds().put_user(make_user("alice")));
  auto changed = make_user("alice");
  changed.roles = {"admin"};
  ASSERT_FALSE(creds().put_user(changed));
  EXPECT_EQ(creds().user_count(), 1u);
  EXPECT_EQ(creds().get_user("alice")->roles,
            std::vector<std::string>{"admin"});
}

TEST_F(CredentialStore, RoundTripsApiKeys) {
  auto key = make_key("Ab3_x-9");
  key.expires_at = 1'800'000'000;
  ASSERT_FALSE(creds().put_api_key(key));
  ASSERT_FALSE(creds().put_api_key(make_key("zz")));
  auto loaded = creds().get_api_key("Ab3_x-9");
  ASSERT_TRUE(loaded) << bsm::render(loaded.error());
  EXPECT_TRUE(same(*loaded, key));
  auto all = creds().list_api_keys();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "Ab3_x-9");
  EXPECT_EQ((*all)[1].id, "zz");
}

TEST_F(CredentialStore, ReportsWhatIsMissing) {
  auto user = creds().get_user("nobody");
  ASSERT_FALSE(user);
  EXPECT_TRUE(bsm::is(user.error(), errc::not_found));
  EXPECT_TRUE(bsm::is(creds().delete_user("nobody"), errc::not_found));
  auto key = creds().get_api_key("nokey");
  ASSERT_FALSE(key);
  EXPECT_TRUE(bsm::is(key.error(), errc::not_found));
  EXPECT_TRUE(bsm::is(creds().revoke_api_key("nokey"), errc::not_found));
  EXPECT_TRUE(bsm::is(creds().delete_api_key("nokey"), errc::not_found));
}

TEST_F(CredentialStore, SurvivesReopen) {
  ASSERT_FALSE(creds().put_user(make_user("alice")));
  ASSERT_FALSE(creds().put_api_key(make_key("k1")));
  ASSERT_FALSE(creds().revoke_api_key("k1"));
  reopen();
  EXPECT_EQ(creds().user_count(), 1u);
  EXPECT_EQ(creds().api_key_count(), 1u);
  auto alice = creds().get_user("alice");
  ASSERT_TRUE(alice);
  EXPECT_TRUE(same(*alice, make_user("alice")));
  auto key = creds().get_api_key("k1");
  ASSERT_TRUE(key);
  EXPECT_TRUE(key->revoked);
}

TEST_F(CredentialStore, RevocationIsFinal) {
  ASSERT_FALSE(creds().put_api_key(make_key("k1")));
  ASSERT_FALSE(creds().revoke_api_key("k1"));
  EXPECT_TRUE(creds().get_api_key("k1")->revoked);
  EXPECT_FALSE(creds().revoke_api_key("k1"));
  // Writing the key again does not bring it back.
  ASSERT_FALSE(creds().put_api_key(make_key("k1")));
  EXPECT_TRUE(creds().get_api_key("k1")->revoked);
  EXPECT_FALSE(bsm::security::is_usable(*creds().get_api_key("k1"), 0));
}

TEST_F(CredentialStore, KeepsExpiryAsDataForTheCallersClock) {
  auto key = make_key("k1");
  key.expires_at = 2'000;
  ASSERT_FALSE(creds().put_api_key(key));
  auto loaded = creds().get_api_key("k1");
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->expires_at, 2'000);
  EXPECT_TRUE(bsm::security::is_usable(*loaded, 1'999));
  EXPECT_FALSE(bsm::security::is_usable(*loaded, 2'000));
  loaded->expires_at = 0;
  EXPECT_TRUE(bsm::security::is_usable(*loaded, 4'000'000'000));
}

TEST_F(CredentialStore, DeletingAUserRevokesItsKeys) {
  ASSERT_FALSE(creds().put_user(make_user("alice")));
  ASSERT_FALSE(creds().put_api_key(make_key("a1", "alice")));
  ASSERT_FALSE(creds().put_api_key(make_key("a2", "alice")));
  ASSERT_FALSE(creds().put_api_key(make_key("b1", "bob")));
  ASSERT_FALSE(creds().delete_user("alice"));
  EXPECT_TRUE(bsm::is(creds().get_user("alice").error(), errc::not_found));
  EXPECT_EQ(creds().user_count(), 0u);
  EXPECT_TRUE(creds().get_api_key("a1")->revoked);
  EXPECT_TRUE(creds().get_api_key("a2")->revoked);
  EXPECT_FALSE(creds().get_api_key("b1")->revoked);
}

TEST_F(CredentialStore, RefusesUsersAndKeysPastItsLimits) {
  credential_store_options opts;
  opts.max_users = 2;
  opts.max_api_keys = 1;
  reopen(opts);
  ASSERT_FALSE(creds().put_user(make_user("u1")));
  ASSERT_FALSE(creds().put_user(make_user("u2")));
  auto err = creds().put_user(make_user("u3"));
  EXPECT_TRUE(bsm::is(err, errc::resource_exhausted));
  EXPECT_NE(bsm::render(err).find("at most 2 users"), std::string::npos)
    << bsm::render(err);
  // Replacing one is no new user.
  EXPECT_FALSE(creds().put_user(make_user("u2")));
  ASSERT_FALSE(creds().put_api_key(make_key("k1")));
  EXPECT_TRUE(
    bsm::is(creds().put_api_key(make_key("k2")), errc::resource_exhausted));
  // The counts survive a restart, and deleting makes room.
  reopen(opts);
  EXPECT_TRUE(
    bsm::is(creds().put_user(make_user("u3")), errc::resource_exhausted));
  ASSERT_FALSE(creds().delete_user("u1"));
  EXPECT_FALSE(creds().put_user(make_user("u3")));
  ASSERT_FALSE(creds().delete_api_key("k1"));
  EXPECT_FALSE(creds().put_api_key(make_key("k2")));
  EXPECT_EQ(creds().list_users()->size(), 2u);
  EXPECT_EQ(creds().list_api_keys()->size(), 1u);
}

TEST_F(CredentialStore, RefusesBadUserNames) {
  for (const auto& name : std::vector<std::string>{
         "", std::string(65, 'a'), "a b", "a/b", "a:b", "\xc3\xa4", "x\n"}) {
    auto user = make_user(name);
    EXPECT_TRUE(bsm::is(creds().put_user(user), errc::invalid_argument))
      << name;
    EXPECT_TRUE(bsm::is(creds().get_user(name).error(), errc::invalid_argument))
      << name;
  }
  EXPECT_FALSE(creds().put_user(make_user(std::string(64, 'a'))));
  EXPECT_FALSE(creds().put_user(make_user("A.b_c-d@e9")));
  EXPECT_EQ(creds().user_count(), 2u);
}

TEST_F(CredentialStore, RefusesBadFields) {
  auto refused = [&](auto record) {
    if constexpr (std::is_same_v<decltype(record), user_record>)
      return bsm::is(creds().put_user(record), errc::invalid_argument);
    else
      return bsm::is(creds().put_api_key(record), errc::invalid_argument);
  };
  auto user = make_user("alice");
  user.password_hash = "";
  EXPECT_TRUE(refused(user));
  user.password_hash = "has space";
  EXPECT_TRUE(refused(user));
  user = make_user("alice");
  user.roles = {"bad role"};
  EXPECT_TRUE(refused(user));
  user.roles.assign(bsm::security::max_roles + 1, "r");
  EXPECT_TRUE(refused(user));
  user = make_user("alice");
  user.created_at = -1;
  EXPECT_TRUE(refused(user));
  auto key = make_key("k/1");
  EXPECT_TRUE(refused(key));
  key = make_key("k1");
  key.key_hash = std::string(63, 'a');
  EXPECT_TRUE(refused(key));
  key.key_hash = std::string(64, 'g');
  EXPECT_TRUE(refused(key));
  key = make_key("k1", "not a name");
  EXPECT_TRUE(refused(key));
  key = make_key("k1");
  key.name = "line\nbreak";
  EXPECT_TRUE(refused(key));
  key.name = std::string(129, 'n');
  EXPECT_TRUE(refused(key));
  key = make_key("k1");
  key.expires_at = -5;
  EXPECT_TRUE(refused(key));
  EXPECT_EQ(creds().user_count(), 0u);
  EXPECT_EQ(creds().api_key_count(), 0u);
}

TEST_F(CredentialStore, NeverPutsAHashIntoAnError) {
  auto key = make_key("k1");
  key.key_hash = std::string(60, 'f') + "zzzz";
  auto err = creds().put_api_key(key);
  ASSERT_TRUE(err);
  EXPECT_EQ(bsm::render(err).find(key.key_hash), std::string::npos);
  // A damaged record: its hash stays out of the message too.
  ASSERT_FALSE(db_->put(bsm::column::credentials, "user/mallory",
                        R"({"name":"mallory","password_hash":"$secret$hash",)"
                        R"("roles":"admin","created_at":1,"disabled":false})"));
  auto user = creds().get_user("mallory");
  ASSERT_FALSE(user);
  EXPECT_TRUE(bsm::is(user.error(), errc::failed_precondition));
  auto text = bsm::render(user.error());
  EXPECT_NE(text.find("user/mallory"), std::string::npos) << text;
  EXPECT_EQ(text.find("$secret$hash"), std::string::npos) << text;
  ASSERT_FALSE(db_->put(bsm::column::credentials, "user/trudy",
                        R"({"name":"trudy","password_hash":"$secret$hash)"));
  auto broken = creds().get_user("trudy");
  ASSERT_FALSE(broken);
  EXPECT_EQ(bsm::render(broken.error()).find("$secret$hash"),
            std::string::npos);
}

TEST_F(CredentialStore, ReplacesOrDeletesADamagedRecord) {
  ASSERT_FALSE(db_->put(bsm::column::credentials, "user/alice", "garbage"));
  ASSERT_FALSE(db_->put(bsm::column::credentials, "api_key/k1", "garbage"));
  reopen();
  EXPECT_EQ(creds().user_count(), 1u);
  EXPECT_TRUE(bsm::is(creds().list_users().error(), errc::failed_precondition));
  ASSERT_FALSE(creds().put_user(make_user("alice")));
  EXPECT_EQ(creds().user_count(), 1u);
  EXPECT_TRUE(same(*creds().get_user("alice"), make_user("alice")));
  // A key's stored revocation must be read before it is replaced, so a
  // damaged key can only be deleted.
  EXPECT_TRUE(
    bsm::is(creds().put_api_key(make_key("k1")), errc::failed_precondition));
  ASSERT_FALSE(creds().delete_api_key("k1"));
  EXPECT_EQ(creds().api_key_count(), 0u);
  ASSERT_FALSE(db_->put(bsm::column::credentials, "user/bob", "garbage"));
  reopen();
  ASSERT_FALSE(creds().delete_user("bob"));
  EXPECT_EQ(creds().user_count(), 1u);
  // Seeding replaces a damaged user, and refuses to guess about a key.
  ASSERT_FALSE(db_->put(bsm::column::credentials, "user/carol", "garbage"));
  ASSERT_FALSE(db_->put(bsm::column::credentials, "api_key/k2", "garbage"));
  reopen();
  EXPECT_TRUE(bsm::is(creds().seed({make_user("carol")}, {make_key("k2")}),
                      errc::failed_precondition));
  ASSERT_FALSE(creds().seed({make_user("carol")}, {}));
  EXPECT_EQ(creds().user_count(), 2u);
  EXPECT_TRUE(same(*creds().get_user("carol"), make_user("carol")));
}

TEST_F(CredentialStore, SeedsWithoutDroppingRecordsMadeOverTheApi) {
  ASSERT_FALSE(creds().put_user(make_user("made-over-api")));
  ASSERT_FALSE(creds().put_api_key(make_key("api1", "made-over-api")));
  ASSERT_FALSE(creds().seed({make_user("alice")}, {make_key("cfg1")}));
  EXPECT_EQ(creds().user_count(), 2u);
  EXPECT_EQ(creds().api_key_count(), 2u);
  ASSERT_FALSE(creds().revoke_api_key("cfg1"));
  // The next start seeds the config again, with changes.
  reopen();
  auto alice = make_user("alice");
  alice.roles = {"admin"};
  alice.created_at = 1'800'000'000;
  auto cfg1 = make_key("cfg1");
  cfg1.name = "renamed";
  ASSERT_FALSE(creds().seed({alice}, {cfg1}));
  auto stored = creds().get_user("alice");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->roles, std::vector<std::string>{"admin"});
  EXPECT_EQ(stored->created_at, 1'700'000'000);
  auto key = creds().get_api_key("cfg1");
  ASSERT_TRUE(key);
  EXPECT_EQ(key->name, "renamed");
  EXPECT_TRUE(key->revoked);
  EXPECT_TRUE(creds().get_user("made-over-api"));
  EXPECT_TRUE(creds().get_api_key("api1"));
  EXPECT_EQ(creds().user_count(), 2u);
  EXPECT_EQ(creds().api_key_count(), 2u);
}

TEST_F(CredentialStore, SeedsAllOrNothing) {
  credential_store_options opts;
  opts.max_users = 2;
  reopen(opts);
  ASSERT_FALSE(creds().put_user(make_user("u1")));
  EXPECT_TRUE(bsm::is(creds().seed({make_user("u2"), make_user("u3")}, {}),
                      errc::resource_exhausted));
  EXPECT_TRUE(bsm::is(creds().seed({make_user("u2"), make_user("u2")}, {}),
                      errc::invalid_argument));
  EXPECT_TRUE(bsm::is(
    creds().seed({make_user("u2")}, {make_key("k1"), make_key("bad id")}),
    errc::invalid_argument));
  EXPECT_TRUE(bsm::is(creds().seed({}, {make_key("k1"), make_key("k1")}),
                      errc::invalid_argument));
  EXPECT_EQ(creds().user_count(), 1u);
  EXPECT_EQ(creds().api_key_count(), 0u);
  EXPECT_EQ(creds().list_users()->size(), 1u);
  EXPECT_TRUE(creds().list_api_keys()->empty());
}

TEST(CredentialStoreOptions, RefuseValuesOutOfRange) {
  EXPECT_FALSE(bsm::security::validate(credential_store_options{}));
  credential_store_options opts;
  opts.max_users = 0;
  EXPECT_TRUE(bsm::is(bsm::security::validate(opts), errc::invalid_argument));
  opts = {};
  opts.max_api_keys = 2'000'000;
  EXPECT_TRUE(bsm::is(bsm::security::validate(opts), errc::invalid_argument));
}

} // namespace
