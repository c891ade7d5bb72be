// The cluster port against peers it must not trust (issue 15), on real
// bsmd processes on loopback: a BASP header announcing 256 MiB from a
// process that never completed a handshake is refused before anything is
// allocated, a silent peer is dropped after cluster.handshake_timeout, and
// the node keeps serving and admits a real second node. With
// cluster.tls_* (certificates from deploy/make-certs.sh), two nodes from
// one CA form a cluster and a chat crosses; a node with a certificate from
// another CA, or none, cannot join, send or ask; `openssl s_client`
// without a certificate is refused; bad TLS paths are config errors.

#include <sys/socket.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/common/poll.hpp"
#include "tests/common/temp_dir.hpp"
#include "tests/common/test_certs.hpp"
#include "tests/integration/http_client.hpp"
#include "tests/integration/process.hpp"
#include "tests/integration/raw_peer.hpp"
#include "tests/integration/test_node.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::test::body_of;
using bsm::test::closed_by_peer;
using bsm::test::connect_to_loopback;
using bsm::test::describe;
using bsm::test::get;
using bsm::test::poll_until;
using bsm::test::post_json;
using bsm::test::temp_dir;
using bsm::test::test_node;
using bsm::test::write_file;

const std::string bsmd = BSMD_PATH;

uint16_t cluster_port(const std::filesystem::path& data_dir) {
  auto doc = nlohmann::json::parse(
    bsm::test::read_file(data_dir / "ports.json"), nullptr, false);
  auto addr = doc.value("cluster", std::string{});
  return static_cast<uint16_t>(std::stoi(addr.substr(addr.rfind(':') + 1)));
}

// Resident memory of a process in MiB (VmRSS).
uint64_t rss_mib(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stoull(line.substr(6)) / 1024;
  return 0;
}

// A BASP header as CAF 0.17.6 writes it: type, 3 bytes, payload length
// (network byte order), then operation data and two actor ids.
std::string basp_header(uint8_t type, uint32_t payload) {
  std::string h(32, '\0');
  h[0] = static_cast<char>(type);
  for (int i = 0; i < 4; ++i)
    h[4 + i] = static_cast<char>((payload >> (24 - 8 * i)) & 0xff);
  return h;
}

// "state" of `name` in the node's cluster view ("" if not listed).
std::string state_of(uint16_t http, const std::string& name) {
  auto res = get(http, "/v1/cluster");
  if (!res || res->status != 200)
    return "";
  auto view = body_of(*res);
  for (const auto& m : view["members"])
    if (m.value("name", std::string{}) == name)
      return m.value("state", std::string{});
  return "";
}

// The value of a counter series in /metrics (0 if absent).
double metric(uint16_t http, const std::string& series) {
  auto res = get(http, "/metrics");
  if (!res)
    return 0;
  auto at = res->body.find(series + " ");
  return at == std::string::npos
           ? 0
           : std::stod(res->body.substr(at + series.size() + 1));
}

class ClusterPortTest : public ::testing::Test {
protected:
  ClusterPortTest() {
    // An agent placed on node-b, so a chat through node-a crosses.
    write_file(dir_.path() / "agents" / "courier.yaml",
               "name: courier\n"
               "description: A test agent that answers from node-b.\n"
               "model:\n  provider: local\n  name: local\n"
               "system_prompt: You answer briefly.\n"
               "tools: [current_time]\n"
               "memory:\n  history_turns: 4\n"
               "placement:\n  node: node-b\n");
  }

  /// A bsmd named `name` with `sets` on top of the test defaults.
  std::unique_ptr<test_node> start(const std::string& name,
                                   std::vector<std::string> sets = {}) {
    sets.push_back("node.name=" + name);
    sets.push_back("agents.paths=[" + std::string{BSM_SOURCE_DIR}
                   + "/agents/seed, " + (dir_.path() / "agents").string()
                   + "]");
    auto node
      = std::make_unique<test_node>(dir_.path(), dir_.path() / name, sets);
    return node;
  }

  /// A bsmd that will never be ready (/readyz waits for it to join): its
  /// process, and its HTTP port in `http` (0 if it never listened).
  std::unique_ptr<bsm::test::process>
  start_outsider(const std::string& name, std::vector<std::string> sets,
                 uint16_t& http) {
    sets.push_back("node.name=" + name);
    sets.push_back("agents.paths=[" + std::string{BSM_SOURCE_DIR}
                   + "/agents/seed, " + (dir_.path() / "agents").string()
                   + "]");
    auto proc = std::make_unique<bsm::test::process>(
      bsm::test::node_argv(bsmd,
                           std::string{BSM_SOURCE_DIR} + "/config/node.yaml",
                           dir_.path() / name, sets),
      dir_.path());
    http = 0;
    if (auto addr = bsm::test::await_http_address(dir_.path() / name, *proc))
      http
        = static_cast<uint16_t>(std::stoi(addr->substr(addr->rfind(':') + 1)));
    return proc;
  }

  /// --set lines for mutual TLS with `name`'s files from `ca_dir`.
  std::vector<std::string> tls(const std::string& ca_dir,
                               const std::string& name) {
    auto dir = dir_.path() / ca_dir;
    EXPECT_TRUE(bsm::test::make_test_certs(dir, {name})) << dir;
    return {"cluster.tls_certificate=" + (dir / (name + ".pem")).string(),
            "cluster.tls_key=" + (dir / (name + ".key")).string(),
            "cluster.tls_ca=" + (dir / "ca.pem").string()};
  }

  static std::vector<std::string> with(std::vector<std::string> sets,
                                       const std::vector<std::string>& more) {
    sets.insert(sets.end(), more.begin(), more.end());
    return sets;
  }

  std::string seeds(uint16_t port) const {
    return "cluster.seeds=[127.0.0.1:" + std::to_string(port) + "]";
  }

  /// Waits until each of the two nodes sees the other up.
  static bool await_pair_up(test_node& a, const std::string& a_name,
                            test_node& b, const std::string& b_name) {
    return poll_until([&] {
      return state_of(a.port(), b_name) == "up"
             && state_of(b.port(), a_name) == "up";
    });
  }

  temp_dir dir_;
};

TEST_F(ClusterPortTest, Issue15HugeHeaderBeforeHandshakeIsRefusedUnallocated) {
  auto a = start("node-a");
  ASSERT_NE(a->port(), 0) << a->proc().err();
  auto port = cluster_port(dir_.path() / "node-a");
  auto before = rss_mib(a->proc().pid());
  int fd = connect_to_loopback(port);
  ASSERT_GE(fd, 0);
  // A client handshake that announces 256 MiB, from a process that will
  // never send them.
  auto header = basp_header(1, 256u << 20);
  ASSERT_EQ(::send(fd, header.data(), header.size(), 0),
            static_cast<ssize_t>(header.size()));
  EXPECT_TRUE(closed_by_peer(fd));
  ::close(fd);
  auto after = rss_mib(a->proc().pid());
  EXPECT_LT(after, before + 64)
    << "RSS grew from " << before << " to " << after << " MiB";
  EXPECT_GE(
    metric(a->port(), R"(bsm_cluster_peers_refused_total{reason="frame"})"), 1);
  // The node serves on, and a real second node joins.
  auto health = get(a->port(), "/healthz");
  EXPECT_TRUE(health && health->status == 200) << describe(health);
  auto b = start("node-b", {seeds(port)});
  ASSERT_NE(b->port(), 0) << b->proc().err();
  EXPECT_TRUE(await_pair_up(*a, "node-a", *b, "node-b"))
    << describe(get(a->port(), "/v1/cluster"))
    << describe(get(b->port(), "/v1/cluster")) << a->proc().err();
}

TEST_F(ClusterPortTest, MessagesBeforeTheHandshakeAndSilentPeersAreDropped) {
  auto a = start("node-a", {"cluster.handshake_timeout=300ms"});
  ASSERT_NE(a->port(), 0) << a->proc().err();
  auto port = cluster_port(dir_.path() / "node-a");
  // A heartbeat (type 6) where the client handshake belongs.
  int early = connect_to_loopback(port);
  ASSERT_GE(early, 0);
  auto header = basp_header(6, 0);
  ASSERT_EQ(::send(early, header.data(), header.size(), 0), 32);
  EXPECT_TRUE(closed_by_peer(early));
  ::close(early);
  // Connected, and never a byte.
  int silent = connect_to_loopback(port);
  ASSERT_GE(silent, 0);
  EXPECT_TRUE(closed_by_peer(silent));
  ::close(silent);
  EXPECT_GE(
    metric(a->port(),
           R"(bsm_cluster_peers_refused_total{reason="handshake_timeout"})"),
    1);
  auto health = get(a->port(), "/healthz");
  EXPECT_TRUE(health && health->status == 200) << describe(health);
}

TEST_F(ClusterPortTest, TlsNodesFromOneCaFormAClusterAndAChatCrosses) {
  auto a = start("node-a", tls("ca-one", "node-a"));
  ASSERT_NE(a->port(), 0) << a->proc().err();
  auto port = cluster_port(dir_.path() / "node-a");
  auto b = start("node-b", with(tls("ca-one", "node-b"), {seeds(port)}));
  ASSERT_NE(b->port(), 0) << b->proc().err();
  ASSERT_TRUE(await_pair_up(*a, "node-a", *b, "node-b"))
    << a->proc().err() << b->proc().err();
  auto chat = post_json(a->port(), "/v1/agents/courier/chat",
                        R"({"input":"hello over TLS","session_id":"s1"})");
  ASSERT_TRUE(chat && chat->status == 200) << describe(chat);
  EXPECT_EQ(body_of(*chat)["agent"], "courier");
  EXPECT_EQ(
    metric(b->port(), R"(bsm_agent_turns_total{agent="courier",outcome="ok"})"),
    1);
}

TEST_F(ClusterPortTest, TlsRefusesForeignCaNoCertificateAndPlainBasp) {
  // The TLS node owns the placed agent (it runs as node-b).
  auto a = start("node-b", tls("ca-one", "node-b"));
  ASSERT_NE(a->port(), 0) << a->proc().err();
  auto port = cluster_port(dir_.path() / "node-b");
  const std::string refused
    = R"(bsm_cluster_peers_refused_total{reason="handshake_failed"})";
  // A node whose certificate comes from another CA, and a plain one; their
  // chats give up after 2s instead of 30s.
  std::filesystem::create_directories(dir_.path() / "node-x");
  std::filesystem::create_directories(dir_.path() / "node-p");
  uint16_t foreign = 0;
  uint16_t plain = 0;
  auto foreign_proc = start_outsider(
    "node-x",
    with(tls("ca-two", "node-x"), {seeds(port), "http.ask_timeout=2s"}),
    foreign);
  ASSERT_NE(foreign, 0) << foreign_proc->err();
  auto plain_proc
    = start_outsider("node-p", {seeds(port), "http.ask_timeout=2s"}, plain);
  ASSERT_NE(plain, 0) << plain_proc->err();
  // Both tried (and failed) more than once: the TLS node counts each try.
  EXPECT_TRUE(poll_until([&] { return metric(a->port(), refused) >= 4; }))
    << a->proc().err();
  for (const char* name : {"node-x", "node-p"})
    EXPECT_EQ(state_of(a->port(), name), "") << name;
  EXPECT_NE(state_of(foreign, "node-b"), "up");
  EXPECT_NE(state_of(plain, "node-b"), "up");
  // Neither can send or ask: the agent lives on the TLS node, which
  // answers it itself.
  for (auto n : {foreign, plain}) {
    auto chat = post_json(n, "/v1/agents/courier/chat",
                          R"({"input":"let me in","session_id":"s"})");
    EXPECT_TRUE(chat && chat->status != 200) << describe(chat);
  }
  auto own = post_json(a->port(), "/v1/agents/courier/chat",
                       R"({"input":"hello","session_id":"s"})");
  EXPECT_TRUE(own && own->status == 200) << describe(own);
  // A raw 256 MiB header on the TLS port is not TLS: dropped, unread.
  auto before = rss_mib(a->proc().pid());
  int fd = connect_to_loopback(port);
  ASSERT_GE(fd, 0);
  auto header = basp_header(1, 256u << 20);
  ASSERT_EQ(::send(fd, header.data(), header.size(), 0), 32);
  EXPECT_TRUE(closed_by_peer(fd));
  ::close(fd);
  EXPECT_LT(rss_mib(a->proc().pid()), before + 64);
  // An openssl client without a certificate is refused too: with TLS 1.3
  // the server's alert comes after the client's side of the handshake, so
  // the client stays a moment to read it.
  auto ca = (dir_.path() / "ca-one" / "ca.pem").string();
  auto s_client = bsm::test::run(
    {"/bin/bash", "-c",
     "(sleep 1; echo ping; sleep 1) | openssl s_client -connect 127.0.0.1:"
       + std::to_string(port) + " -CAfile " + ca + " 2>&1"},
    dir_.path());
  EXPECT_NE(s_client.code, 0);
  EXPECT_NE(s_client.out.find("alert certificate required"), std::string::npos)
    << s_client.code << " " << s_client.out << s_client.err;
  EXPECT_TRUE(a->running());
  auto health = get(a->port(), "/healthz");
  EXPECT_TRUE(health && health->status == 200) << describe(health);
}

TEST_F(ClusterPortTest, BadTlsFilesAreConfigErrorsNamingTheKey) {
  auto good = tls("ca-one", "node-a");
  auto other = tls("ca-one", "node-b");
  auto check = [&](std::vector<std::string> sets) {
    // The seed agents by absolute path: the test may run from any folder.
    std::vector<std::string> argv{
      bsmd,       "--check-config",
      "--config", std::string{BSM_SOURCE_DIR} + "/config/node.yaml",
      "--set",    bsm::test::seed_agents_set()};
    for (const auto& s : sets) {
      argv.push_back("--set");
      argv.push_back(s);
    }
    return bsm::test::run(argv, dir_.path());
  };
  auto missing = check({good[0], good[1]});
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("cluster.tls_ca"), std::string::npos)
    << missing.err;
  auto bad_path
    = check({"cluster.tls_certificate=/nonexistent.pem", good[1], good[2]});
  EXPECT_EQ(bad_path.code, 2);
  EXPECT_NE(bad_path.err.find("cluster.tls_certificate"), std::string::npos)
    << bad_path.err;
  auto mismatch = check({good[0], other[1], good[2]});
  EXPECT_EQ(mismatch.code, 2);
  EXPECT_NE(mismatch.err.find("cluster.tls_key"), std::string::npos)
    << mismatch.err;
  EXPECT_EQ(mismatch.err.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(check(good).code, 0);
}

} // namespace
