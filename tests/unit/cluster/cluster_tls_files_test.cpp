// The cluster.tls_* files are checked at start: a bad path, a key that
// does not match, a missing or foreign CA is a config error naming the key.

#include "runtime/cluster/cluster_tls_files.hpp"

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "runtime/cluster/cluster_options.hpp"
#include "tests/common/temp_dir.hpp"
#include "tests/common/test_certs.hpp"

namespace {

using bsm::cluster::check_tls_files;

class ClusterTlsFiles : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(
      bsm::test::make_test_certs(dir_.path() / "one", {"node-a", "node-b"}));
    ASSERT_TRUE(bsm::test::make_test_certs(dir_.path() / "two", {"node-x"}));
  }

  std::string path(const std::string& file) const {
    return (dir_.path() / file).string();
  }

  // The key the problem names, or "" for none.
  std::string key_of(const std::string& cert, const std::string& key,
                     const std::string& ca) const {
    auto p = check_tls_files(cert, key, ca);
    return p ? p->key : std::string{};
  }

  bsm::test::temp_dir dir_;
};

TEST_F(ClusterTlsFiles, NoneSetIsPlainAndAllThreeFromOneCaAreAccepted) {
  EXPECT_EQ(key_of("", "", ""), "");
  auto p = check_tls_files(path("one/node-a.pem"), path("one/node-a.key"),
                           path("one/ca.pem"));
  EXPECT_FALSE(p) << p->key << ": " << p->text;
}

TEST_F(ClusterTlsFiles, OneOrTwoSetNamesTheMissingKey) {
  EXPECT_EQ(key_of(path("one/node-a.pem"), "", ""), "cluster.tls_key");
  EXPECT_EQ(key_of(path("one/node-a.pem"), path("one/node-a.key"), ""),
            "cluster.tls_ca");
  EXPECT_EQ(key_of("", path("one/node-a.key"), path("one/ca.pem")),
            "cluster.tls_certificate");
}

TEST_F(ClusterTlsFiles, UnreadableFilesNameTheirKey) {
  EXPECT_EQ(
    key_of(path("nope.pem"), path("one/node-a.key"), path("one/ca.pem")),
    "cluster.tls_certificate");
  EXPECT_EQ(
    key_of(path("one/node-a.pem"), path("nope.key"), path("one/ca.pem")),
    "cluster.tls_key");
  EXPECT_EQ(key_of(path("one/node-a.pem"), path("one/node-a.key"),
                   path("one/node-a.key")),
            "cluster.tls_ca");
  // A key file is not a certificate.
  EXPECT_EQ(
    key_of(path("one/node-a.key"), path("one/node-a.key"), path("one/ca.pem")),
    "cluster.tls_certificate");
}

TEST_F(ClusterTlsFiles, AKeyThatDoesNotMatchIsRefusedWithoutItsContents) {
  auto p = check_tls_files(path("one/node-a.pem"), path("one/node-b.key"),
                           path("one/ca.pem"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->key, "cluster.tls_key");
  EXPECT_NE(p->text.find("does not match"), std::string::npos) << p->text;
  EXPECT_EQ(p->text.find("PRIVATE KEY"), std::string::npos) << p->text;
}

TEST_F(ClusterTlsFiles, ACertificateFromAnotherCaIsRefused) {
  auto p = check_tls_files(path("two/node-x.pem"), path("two/node-x.key"),
                           path("one/ca.pem"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->key, "cluster.tls_certificate");
  EXPECT_NE(p->text.find("not signed by the CA"), std::string::npos) << p->text;
}

TEST(ClusterTlsEnabled, OnlyWithAllThreePaths) {
  bsm::cluster_options x;
  EXPECT_FALSE(bsm::tls_enabled(x));
  x.tls_certificate = "a.pem";
  x.tls_key = "a.key";
  EXPECT_FALSE(bsm::tls_enabled(x));
  x.tls_ca = "ca.pem";
  EXPECT_TRUE(bsm::tls_enabled(x));
}

} // namespace
