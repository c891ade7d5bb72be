// HTTPS on the bridge against real bsmd processes: certificates from
// deploy/make-certs.sh, curl and `openssl s_client` as clients, mutual TLS,
// the limits over TLS, the certificate's reload on SIGHUP, bsmctl and the
// official openai npm client over HTTPS, and the start refused for bad
// files.

#include <gtest/gtest.h>

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "http_client.hpp"
#include "process.hpp"
#include "raw_flood.hpp"
#include "tests/common/poll.hpp"
#include "tests/common/temp_dir.hpp"
#include "tests/common/test_certs.hpp"

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using bsm::test::process;
using bsm::test::run;
using bsm::test::run_result;
using bsm::test::temp_dir;

const std::string bsmd = BSMD_PATH;
const std::string bsmctl = BSMCTL_PATH;
const fs::path source_dir = BSM_SOURCE_DIR;

/// deploy/make-certs.sh into `dir` for `names`.
void make_certs(const fs::path& dir, const std::vector<std::string>& names) {
  ASSERT_TRUE(bsm::test::make_test_certs(dir, names)) << dir;
}

run_result shell(const std::string& command, const fs::path& dir) {
  return run({"/bin/sh", "-c", command}, dir, 60s);
}

/// A bsmd serving HTTPS with `certs`/server.pem and .key, with `sets` as
/// further overrides of `config`.
class tls_node {
public:
  tls_node(const fs::path& work, const fs::path& certs,
           std::vector<std::string> sets = {},
           const fs::path& config = source_dir / "config/node.yaml")
    : work_(work), certs_(certs) {
    auto data_dir = work / "data";
    fs::create_directories(data_dir);
    sets.push_back("http.tls_certificate=" + (certs / "server.pem").string());
    sets.push_back("http.tls_key=" + (certs / "server.key").string());
    proc_ = std::make_unique<process>(
      bsm::test::node_argv(bsmd, config.string(), data_dir, sets), work);
    if (auto addr = bsm::test::await_http_address(data_dir, *proc_)) {
      address_ = *addr;
      port_
        = static_cast<uint16_t>(std::stoi(addr->substr(addr->rfind(':') + 1)));
    }
  }

  /// SIGTERM, and a wait for the exit.
  ~tls_node() {
    proc_->signal(SIGTERM);
    proc_->wait(20s);
  }

  tls_node(const tls_node&) = delete;
  tls_node& operator=(const tls_node&) = delete;

  /// "https://localhost:PORT".
  std::string url() const {
    return "https://localhost:" + std::to_string(port_);
  }

  /// curl with the CA and `args`; its output is the status code, then
  /// the body.
  run_result curl(const std::string& args) const {
    auto body = (work_ / "body.out").string();
    return shell(
      "curl -sS --max-time 20 -o " + body + " -w '%{http_code}' --cacert "
        + (certs_ / "ca.pem").string() + " " + args + " && cat " + body,
      work_);
  }

  /// Waits until GET /readyz answers 200 over HTTPS.
  bool await_ready() const {
    return bsm::test::poll_until(
      [this] { return curl(url() + "/readyz").out.rfind("200", 0) == 0; },
      bsm::test::generous_deadline, 100ms);
  }

  process& proc() {
    return *proc_;
  }

  uint16_t port() const {
    return port_;
  }

  const std::string& address() const {
    return address_;
  }

private:
  fs::path work_;
  fs::path certs_;
  std::unique_ptr<process> proc_;
  std::string address_;
  uint16_t port_ = 0;
};

class HttpTls : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<temp_dir>();
    make_certs(certs(), {"server", "client"});
    node_ = std::make_unique<tls_node>(dir_->path(), certs());
  }

  static void TearDownTestSuite() {
    node_.reset();
    dir_.reset();
  }

  void SetUp() override {
    ASSERT_NE(node_->port(), 0) << "bsmd did not listen; stderr:\n"
                                << node_->proc().err();
    ASSERT_TRUE(node_->await_ready()) << node_->proc().err();
  }

  static fs::path certs() {
    return dir_->path() / "certs";
  }

  static inline std::unique_ptr<temp_dir> dir_;
  static inline std::unique_ptr<tls_node> node_;
};

TEST_F(HttpTls, PortsFileSaysHttps) {
  EXPECT_EQ(node_->address().rfind("https://127.0.0.1:", 0), 0u)
    << node_->address();
}

TEST_F(HttpTls, CurlGetsHealthzAndPostsAMessage) {
  auto health = node_->curl(node_->url() + "/healthz");
  EXPECT_EQ(health.out.substr(0, 3), "200") << health.out << health.err;
  auto ask = node_->curl(
    "-H 'Content-Type: application/json' --data "
    "'{\"type\":\"bsm.v1.PingRequest\",\"payload\":{\"sequence\":\"9\"},"
    "\"mode\":\"ask\"}' "
    + node_->url() + "/v1/actors/node_info/messages");
  EXPECT_EQ(ask.out.substr(0, 3), "200") << ask.out << ask.err;
  EXPECT_NE(ask.out.find("\"sequence\":\"9\""), std::string::npos) << ask.out;
}

TEST_F(HttpTls, PlainHttpToTheTlsPortFailsCleanlyAndTheNodeStaysUp) {
  bsm::test::http_connection conn{node_->port()};
  ASSERT_TRUE(conn.connected()) << conn.error();
  ASSERT_TRUE(conn.send(bsm::test::make_request("GET", "/healthz")));
  EXPECT_FALSE(conn.read_response(10s)) << "plain HTTP was answered";
  EXPECT_TRUE(conn.await_close(10s)) << "the connection stayed open";
  auto health = node_->curl(node_->url() + "/healthz");
  EXPECT_EQ(health.out.substr(0, 3), "200") << health.out << health.err;
}

TEST_F(HttpTls, LimitsHoldOverTls) {
  auto before = bsm::test::resident_bytes(node_->proc().pid());
  auto result = bsm::test::tls_flood(
    node_->port(), (certs() / "ca.pem").string(),
    "POST /v1/actors/node_info/messages HTTP/1.1\r\nHost: localhost\r\n"
    "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    "1;ext=",
    std::string(64 * 1024, 'a'), 64ull << 20);
  auto after = bsm::test::resident_bytes(node_->proc().pid());
  ASSERT_EQ(result.responses.size(), 1u) << result.reply.substr(0, 300);
  EXPECT_EQ(result.responses[0].status, 400) << result.responses[0].body;
  EXPECT_TRUE(result.closed);
  EXPECT_LT(result.sent, 64ull << 20) << "the node read all of it";
  EXPECT_LT(after, before + (16ull << 20))
    << "RSS grew from " << before << " to " << after;
}

TEST_F(HttpTls, BsmctlTalksHttpsWithCacert) {
  auto res = run({bsmctl, "--url", node_->url(), "--cacert",
                  (certs() / "ca.pem").string(), "health"},
                 dir_->path(), 30s);
  EXPECT_EQ(res.code, 0) << res.out << res.err;
  // Without the CA the node's certificate is not trusted: unreachable.
  auto untrusted
    = run({bsmctl, "--url", node_->url(), "health"}, dir_->path(), 30s);
  EXPECT_NE(untrusted.code, 0) << untrusted.out;
}

TEST_F(HttpTls, OpenAiNpmClientTalksHttpsWithExtraCaCerts) {
  auto client = source_dir / "tests/peers/node_modules/openai/index.mjs";
  ASSERT_TRUE(fs::exists(client))
    << "the test peers are not installed: run tests/peers/install.sh";
  auto script = source_dir / "tests/integration/openai_sdk_check.mjs";
  auto res = run({"/usr/bin/env",
                  "NODE_EXTRA_CA_CERTS=" + (certs() / "ca.pem").string(),
                  "node", script.string(), node_->url() + "/v1"},
                 dir_->path(), 90s);
  ASSERT_EQ(res.code, 0) << res.out << res.err;
  // The script's last line is what the client saw, part by part; every
  // part went over TLS and none threw.
  auto end = res.out.find_last_not_of("\r\n");
  auto start = res.out.rfind('\n', end);
  auto results = nlohmann::json::parse(
    res.out.substr(start == std::string::npos ? 0 : start + 1), nullptr, false);
  ASSERT_TRUE(results.is_object() && !results.empty()) << res.out;
  for (const auto& [part, seen] : results.items())
    EXPECT_FALSE(seen.is_object() && seen.contains("error"))
      << part << ": " << seen.dump();
  EXPECT_NE(results["models"].dump().find("\"legal\""), std::string::npos)
    << results.dump();
}

// -- a node of its own each --------------------------------------------------

TEST(HttpTlsMutual, ClientWithoutCertificateIsRefusedAndOneFromTheCaServed) {
  temp_dir dir;
  auto certs = dir.path() / "certs";
  make_certs(certs, {"server", "client"});
  // A client certificate from another CA.
  make_certs(dir.path() / "other", {"client"});
  tls_node node{
    dir.path(), certs, {"http.tls_client_ca=" + (certs / "ca.pem").string()}};
  ASSERT_NE(node.port(), 0) << node.proc().err();
  auto with_cert = "--cert " + (certs / "client.pem").string() + " --key "
                   + (certs / "client.key").string() + " ";
  ASSERT_TRUE(bsm::test::poll_until([&] {
    return node.curl(with_cert + node.url() + "/readyz").out.rfind("200", 0)
           == 0;
  }))
    << node.proc().err();
  auto anonymous = node.curl(node.url() + "/healthz");
  EXPECT_NE(anonymous.code, 0) << anonymous.out;
  auto stranger
    = node.curl("--cert " + (dir.path() / "other/client.pem").string()
                + " --key " + (dir.path() / "other/client.key").string() + " "
                + node.url() + "/healthz");
  EXPECT_NE(stranger.code, 0) << stranger.out;
  auto known = node.curl(with_cert + node.url() + "/healthz");
  EXPECT_EQ(known.out.substr(0, 3), "200") << known.out << known.err;
}

// Client certificates as principals: security.client_certificates maps
// the CN of a verified certificate to roles.
class HttpTlsCertificatePrincipals : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = new temp_dir;
    auto certs = dir_->path() / "certs";
    make_certs(certs, {"server", "ops-box", "laptop"});
    make_certs(dir_->path() / "other", {"ops-box"});
    // An API key with the admin role, for a header beside a certificate.
    auto key = shell("KEY=\"bsm_$(openssl rand -hex 6)_$(openssl rand 32 "
                     "| basenc --base64url | tr -d =)\"; printf '%s\\n' "
                     "\"$KEY\"; printf %s \"$KEY\" | sha256sum",
                     dir_->path());
    std::istringstream lines{key.out};
    std::string sha256;
    lines >> admin_key_ >> sha256;
    auto config = dir_->path() / "node.yaml";
    std::ofstream{config} << "security:\n"
                          << "  client_certificates:\n"
                          << "    ops-box: [reader]\n"
                          << "  api_keys:\n"
                          << "    - id: " << admin_key_.substr(4, 12) << "\n"
                          << "      name: root-key\n"
                          << "      sha256: " << sha256 << "\n"
                          << "      roles: [admin]\n";
    node_ = new tls_node{dir_->path(),
                         certs,
                         {"http.tls_client_ca=" + (certs / "ca.pem").string()},
                         config};
  }

  static void TearDownTestSuite() {
    delete node_;
    delete dir_;
  }

  static std::string with_cert(const fs::path& dir, const std::string& name) {
    return "--cert " + (dir / (name + ".pem")).string() + " --key "
           + (dir / (name + ".key")).string() + " ";
  }

  static std::string as(const std::string& name) {
    return with_cert(dir_->path() / "certs", name);
  }

  /// curl's status code for GET `path` with `args`.
  static std::string status_of(const std::string& args,
                               const std::string& path) {
    return node_->curl(args + node_->url() + path).out.substr(0, 3);
  }

  static inline temp_dir* dir_ = nullptr;
  static inline tls_node* node_ = nullptr;
  static inline std::string admin_key_;
};

TEST_F(HttpTlsCertificatePrincipals, AMappedCertificateHasItsRolesRoutes) {
  ASSERT_NE(node_->port(), 0) << node_->proc().err();
  ASSERT_TRUE(bsm::test::poll_until(
    [] { return status_of(as("ops-box"), "/readyz") == "200"; }))
    << node_->proc().err();
  EXPECT_EQ(status_of(as("ops-box"), "/v1/agents"), "200");
  auto denied = node_->curl(as("ops-box") + node_->url() + "/v1/users");
  EXPECT_EQ(denied.out.substr(0, 3), "403") << denied.out;
  EXPECT_NE(denied.out.find("missing permission"), std::string::npos)
    << denied.out;
}

TEST_F(HttpTlsCertificatePrincipals, AnUnmappedCertificateIsForbidden) {
  ASSERT_NE(node_->port(), 0);
  auto res = node_->curl(as("laptop") + node_->url() + "/v1/agents");
  EXPECT_EQ(res.out.substr(0, 3), "403") << res.out << res.err;
  // The open routes stay open to it.
  EXPECT_EQ(status_of(as("laptop"), "/healthz"), "200");
}

TEST_F(HttpTlsCertificatePrincipals,
       ACertificateFromAnotherCaFailsTheHandshake) {
  ASSERT_NE(node_->port(), 0);
  auto res = node_->curl(with_cert(dir_->path() / "other", "ops-box")
                         + node_->url() + "/healthz");
  EXPECT_NE(res.code, 0) << res.out;
}

TEST_F(HttpTlsCertificatePrincipals, ABearerCredentialBeatsTheCertificate) {
  ASSERT_NE(node_->port(), 0);
  ASSERT_EQ(admin_key_.size(), 60u) << admin_key_;
  auto admin = "-H 'Authorization: Bearer " + admin_key_ + "' ";
  EXPECT_EQ(status_of(as("laptop") + admin, "/v1/users"), "200");
  // A bad header is not rescued by a good certificate.
  EXPECT_EQ(status_of(as("ops-box") + "-H 'Authorization: Bearer nonsense' ",
                      "/v1/agents"),
            "401");
}

/// The serial of the certificate the node at `port` presents.
std::string served_serial(uint16_t port, const fs::path& dir) {
  auto res = shell("openssl s_client -connect 127.0.0.1:" + std::to_string(port)
                     + " -servername localhost </dev/null 2>/dev/null"
                       " | openssl x509 -noout -serial",
                   dir);
  return res.out;
}

std::string file_serial(const fs::path& pem, const fs::path& dir) {
  return shell("openssl x509 -noout -serial -in " + pem.string(), dir).out;
}

TEST(HttpTlsReload, SighupServesTheNewCertificateAndKeepsTheOldOnABadOne) {
  temp_dir dir;
  auto certs = dir.path() / "certs";
  make_certs(certs, {"server"});
  make_certs(dir.path() / "renewed", {"server"});
  tls_node node{dir.path(), certs};
  ASSERT_NE(node.port(), 0) << node.proc().err();
  ASSERT_TRUE(node.await_ready()) << node.proc().err();
  auto old_serial = file_serial(certs / "server.pem", dir.path());
  auto new_serial = file_serial(dir.path() / "renewed/server.pem", dir.path());
  ASSERT_FALSE(old_serial.empty());
  ASSERT_NE(old_serial, new_serial);
  EXPECT_EQ(served_serial(node.port(), dir.path()), old_serial);

  fs::copy_file(dir.path() / "renewed/server.pem", certs / "server.pem",
                fs::copy_options::overwrite_existing);
  fs::copy_file(dir.path() / "renewed/server.key", certs / "server.key",
                fs::copy_options::overwrite_existing);
  node.proc().signal(SIGHUP);
  EXPECT_TRUE(bsm::test::poll_until(
    [&] { return served_serial(node.port(), dir.path()) == new_serial; }))
    << "still serving " << served_serial(node.port(), dir.path());

  // A key that does not match: the renewed pair keeps serving.
  make_certs(dir.path() / "third", {"server"});
  fs::copy_file(dir.path() / "third/server.key", certs / "server.key",
                fs::copy_options::overwrite_existing);
  node.proc().signal(SIGHUP);
  EXPECT_TRUE(bsm::test::poll_until([&] {
    return node.proc().err().find("TLS reload failed") != std::string::npos;
  }))
    << node.proc().err();
  EXPECT_NE(node.proc().err().find("http.tls_key"), std::string::npos)
    << node.proc().err();
  EXPECT_EQ(served_serial(node.port(), dir.path()), new_serial);
  node.proc().signal(SIGTERM);
  EXPECT_EQ(node.proc().wait(20s), 0);
}

/// bsmd with `sets` must refuse to start: exit 2, naming `key`.
void expect_refused(const std::vector<std::string>& sets,
                    const std::string& key) {
  temp_dir dir;
  auto res
    = run(bsm::test::node_argv(bsmd, (source_dir / "config/node.yaml").string(),
                               dir.path() / "data", sets),
          dir.path(), 30s);
  EXPECT_EQ(res.code, 2) << res.err;
  EXPECT_NE(res.err.find(key), std::string::npos) << res.err;
}

TEST(HttpTlsConfig, BadFilesAreConfigErrorsNamingTheKey) {
  temp_dir dir;
  auto certs = dir.path() / "certs";
  make_certs(certs, {"server", "other"});
  auto cert = "http.tls_certificate=" + (certs / "server.pem").string();
  auto key = "http.tls_key=" + (certs / "server.key").string();
  expect_refused({cert}, "http.tls_key");
  expect_refused({key}, "http.tls_certificate");
  expect_refused(
    {"http.tls_certificate=" + (certs / "missing.pem").string(), key},
    "http.tls_certificate");
  expect_refused({cert, "http.tls_key=" + (certs / "other.key").string()},
                 "http.tls_key");
  expect_refused({cert, "http.tls_key=" + (certs / "server.pem").string()},
                 "http.tls_key");
  expect_refused(
    {cert, key, "http.tls_client_ca=" + (certs / "missing.pem").string()},
    "http.tls_client_ca");
  expect_refused({"http.tls_client_ca=" + (certs / "ca.pem").string()},
                 "http.tls_client_ca");
}

} // namespace
