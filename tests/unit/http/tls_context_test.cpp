#include "runtime/http/tls_context.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include <openssl/ssl.h>

#include "tests/common/temp_dir.hpp"
#include "tests/common/test_certs.hpp"

namespace {

namespace fs = std::filesystem;
using bsm::http::make_server_tls_context;
using bsm::http::tls_files;

class TlsContext : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = new bsm::test::temp_dir;
    ASSERT_TRUE(bsm::test::make_test_certs(dir_->path(), {"server", "other"}));
  }

  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  static fs::path file(const std::string& name) {
    return dir_->path() / name;
  }

  static tls_files server_files() {
    return {file("server.pem"), file("server.key"), {}};
  }

  static inline bsm::test::temp_dir* dir_ = nullptr;
};

TEST_F(TlsContext, LoadsAMatchingPairWithTls12AtLeast) {
  auto loaded = make_server_tls_context(server_files());
  ASSERT_TRUE(loaded) << loaded.failed_key << ": " << loaded.message;
  EXPECT_EQ(SSL_CTX_get_min_proto_version(loaded.context->native_handle()),
            TLS1_2_VERSION);
  EXPECT_EQ(SSL_CTX_get_verify_mode(loaded.context->native_handle()),
            SSL_VERIFY_NONE);
}

TEST_F(TlsContext, AClientCaRequiresAClientCertificate) {
  auto files = server_files();
  files.client_ca = file("ca.pem");
  auto loaded = make_server_tls_context(files);
  ASSERT_TRUE(loaded) << loaded.failed_key << ": " << loaded.message;
  EXPECT_EQ(SSL_CTX_get_verify_mode(loaded.context->native_handle()),
            SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
  EXPECT_EQ(sk_X509_NAME_num(
              SSL_CTX_get_client_CA_list(loaded.context->native_handle())),
            1);
}

TEST_F(TlsContext, EachBadFileNamesItsKey) {
  std::ofstream{file("empty.pem")} << "not a certificate\n";
  struct bad_case {
    const char* what;
    tls_files files;
    const char* key;
  };
  auto ok = server_files();
  const bad_case cases[] = {
    {"a missing certificate",
     {file("missing.pem"), ok.key, {}},
     "http.tls_certificate"},
    {"a key in place of the certificate",
     {file("server.key"), ok.key, {}},
     "http.tls_certificate"},
    {"the key of another certificate",
     {ok.certificate, file("other.key"), {}},
     "http.tls_key"},
    {"a certificate in place of the key",
     {ok.certificate, file("server.pem"), {}},
     "http.tls_key"},
    {"a client CA file without certificates",
     {ok.certificate, ok.key, file("empty.pem")},
     "http.tls_client_ca"},
  };
  for (const auto& c : cases) {
    auto loaded = make_server_tls_context(c.files);
    EXPECT_FALSE(loaded) << c.what;
    EXPECT_EQ(loaded.failed_key, c.key) << c.what << ": " << loaded.message;
  }
  auto missing = make_server_tls_context(cases[0].files);
  EXPECT_NE(missing.message.find("missing.pem"), std::string::npos);
}

TEST_F(TlsContext, MessagesNeverHoldTheKeysBytes) {
  auto files = server_files();
  files.key = file("other.key");
  auto loaded = make_server_tls_context(files);
  std::ifstream in{file("other.key")};
  std::string line;
  while (std::getline(in, line))
    if (line.size() > 20 && line.find("-----") == std::string::npos) {
      EXPECT_EQ(loaded.message.find(line), std::string::npos);
    }
}

} // namespace
