// bsmd as a real process: start from a config, ports.json, clean stop on
// signals, and clear errors with exit code 2 for bad configs and arguments.

#include <filesystem>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "process.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::test::process;
using bsm::test::temp_dir;

const std::string bsmd = BSMD_PATH;
const std::string bsmctl = BSMCTL_PATH;
const std::string default_config
  = std::string{BSM_SOURCE_DIR} + "/config/node.yaml";

std::vector<std::string> bsmd_args(const temp_dir& dir,
                                   std::vector<std::string> extra = {}) {
  std::vector<std::string> args{bsmd,
                                "--config",
                                default_config,
                                "--set",
                                "node.data_dir="
                                  + (dir.path() / "data").string(),
                                "--set",
                                "cluster.listen=127.0.0.1:0",
                                "--set",
                                "http.listen=127.0.0.1:0",
                                "--set",
                                bsm::test::seed_agents_set()};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

/// Waits until the node wrote ports.json and returns it.
nlohmann::json await_ports(const temp_dir& dir, process& proc) {
  auto path = dir.path() / "data" / "ports.json";
  for (int i = 0; i < 500; ++i) {
    auto text = bsm::test::read_file(path);
    if (!text.empty())
      return nlohmann::json::parse(text);
    if (proc.wait(0ms))
      break;
    std::this_thread::sleep_for(20ms);
  }
  ADD_FAILURE() << "no ports.json; stderr:\n" << proc.err();
  return {};
}

uint16_t port_of(const std::string& address) {
  return static_cast<uint16_t>(
    std::stoi(address.substr(address.rfind(':') + 1)));
}

bool can_connect(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

std::string write_config(const temp_dir& dir, const std::string& text) {
  auto path = dir.path() / "bad.yaml";
  std::ofstream{path} << text;
  return path.string();
}

size_t count_lines(const std::string& text) {
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST(Bsmd, StartsWritesPortsAndStopsCleanlyOnSigterm) {
  temp_dir dir;
  process node{bsmd_args(dir), dir.path()};
  auto ports = await_ports(dir, node);
  ASSERT_TRUE(ports.contains("cluster"));
  ASSERT_TRUE(ports.contains("http"));
  auto cluster = ports["cluster"].get<std::string>();
  auto http = ports["http"].get<std::string>();
  EXPECT_EQ(cluster.rfind("127.0.0.1:", 0), 0u) << cluster;
  EXPECT_GT(port_of(cluster), 0);
  EXPECT_TRUE(can_connect(port_of(cluster)));
  EXPECT_TRUE(can_connect(port_of(http)));
  node.signal(SIGTERM);
  auto code = node.wait(20s);
  ASSERT_TRUE(code) << "bsmd did not stop";
  EXPECT_EQ(*code, 0) << node.err();
  auto log = node.err();
  EXPECT_NE(log.find("listening http=" + http + " cluster=" + cluster),
            std::string::npos)
    << log;
  EXPECT_NE(log.find("supervision tree:"), std::string::npos) << log;
  EXPECT_NE(log.find("node_info"), std::string::npos) << log;
  EXPECT_NE(log.find("  memory running"), std::string::npos) << log;
  EXPECT_NE(log.find("supervision tree stopped"), std::string::npos) << log;
}

TEST(Bsmd, StopsCleanlyOnSigint) {
  temp_dir dir;
  process node{bsmd_args(dir), dir.path()};
  await_ports(dir, node);
  node.signal(SIGINT);
  auto code = node.wait(20s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0) << node.err();
}

TEST(Bsmd, WritesJsonLinesWhenConfigured) {
  temp_dir dir;
  process node{bsmd_args(dir, {"--set", "logging.format=json"}), dir.path()};
  await_ports(dir, node);
  node.signal(SIGTERM);
  ASSERT_EQ(node.wait(20s), 0);
  std::istringstream lines{node.err()};
  std::string line;
  size_t n = 0;
  while (std::getline(lines, line)) {
    auto doc = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(doc.is_discarded()) << "not JSON: " << line;
    EXPECT_EQ(doc["node"], "node-a");
    EXPECT_TRUE(doc.contains("time") && doc.contains("level"));
    ++n;
  }
  EXPECT_GE(n, 3u);
}

TEST(Bsmctl, PrintsTheAddressesOfARunningNode) {
  temp_dir dir;
  process node{bsmd_args(dir), dir.path()};
  auto ports = await_ports(dir, node);
  auto res
    = bsm::test::run({bsmctl, "ports", "--data-dir",
                      (dir.path() / "data").string(), "--key", "cluster"},
                     dir.path());
  EXPECT_EQ(res.code, 0) << res.err;
  EXPECT_EQ(res.out, ports["cluster"].get<std::string>() + "\n");
  node.signal(SIGTERM);
  EXPECT_EQ(node.wait(20s), 0);
}

TEST(Bsmctl, ReportsAMissingNodeAndBadUsage) {
  temp_dir dir;
  auto missing = bsm::test::run(
    {bsmctl, "ports", "--data-dir", dir.path().string()}, dir.path());
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("is it running?"), std::string::npos);
  auto bad = bsm::test::run({bsmctl, "frobnicate"}, dir.path());
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("not expected: frobnicate"), std::string::npos)
    << bad.err;
}

TEST(Bsmd, BadConfigExitsWithCodeTwoAndOneClearLine) {
  temp_dir dir;
  auto file = write_config(dir, "node:\n  name: a\n  nmae: b\n");
  auto res = bsm::test::run({bsmd, "--config", file}, dir.path());
  EXPECT_EQ(res.code, 2);
  EXPECT_EQ(count_lines(res.err), 1u) << res.err;
  EXPECT_NE(res.err.find(file + ":3"), std::string::npos) << res.err;
  EXPECT_NE(res.err.find("node.nmae"), std::string::npos) << res.err;
}

TEST(Bsmd, MissingConfigFileExitsWithCodeTwo) {
  temp_dir dir;
  auto res
    = bsm::test::run({bsmd, "--config", "/nonexistent/node.yaml"}, dir.path());
  EXPECT_EQ(res.code, 2);
  EXPECT_NE(res.err.find("/nonexistent/node.yaml"), std::string::npos);
  EXPECT_EQ(count_lines(res.err), 1u) << res.err;
}

TEST(Bsmd, BadOverrideExitsWithCodeTwo) {
  temp_dir dir;
  auto res = bsm::test::run({bsmd, "--config", default_config, "--set",
                             "supervision.max_restarts=lots"},
                            dir.path());
  EXPECT_EQ(res.code, 2);
  EXPECT_NE(res.err.find("supervision.max_restarts"), std::string::npos)
    << res.err;
}

// Secure by default: a listener other machines could reach, without
// credentials, is refused before anything binds.
TEST(Bsmd, ListeningBeyondLoopbackWithoutCredentialsExitsWithCodeTwo) {
  temp_dir dir;
  auto res = bsm::test::run({bsmd, "--config", default_config, "--set",
                             "http.listen=0.0.0.0:0", "--set",
                             "node.data_dir=" + (dir.path() / "d").string()},
                            dir.path());
  EXPECT_EQ(res.code, 2);
  EXPECT_EQ(count_lines(res.err), 1u) << res.err;
  EXPECT_NE(res.err.find("key 'http.listen'"), std::string::npos) << res.err;
  EXPECT_NE(res.err.find("security.allow_insecure"), std::string::npos)
    << res.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "d")) << "nothing started";
}

TEST(Bsmd, UnknownArgumentExitsWithCodeTwo) {
  temp_dir dir;
  auto res = bsm::test::run({bsmd, "--frobnicate"}, dir.path());
  EXPECT_EQ(res.code, 2);
  EXPECT_NE(res.err.find("unknown argument '--frobnicate'"), std::string::npos);
}

TEST(Bsmd, CheckConfigValidatesWithoutStarting) {
  temp_dir dir;
  auto res = bsm::test::run({bsmd, "--config", default_config, "--set",
                             bsm::test::seed_agents_set(), "--check-config"},
                            dir.path());
  EXPECT_EQ(res.code, 0) << res.err;
  EXPECT_NE(res.out.find(": ok"), std::string::npos);
  auto version = bsm::test::run({bsmd, "--version"}, dir.path());
  EXPECT_EQ(version.code, 0);
  EXPECT_EQ(version.out.rfind("bsmd ", 0), 0u);
}

TEST(Bsmd, SecondNodeOnTheSameDataDirNamesTheFirstOnesPid) {
  temp_dir dir;
  process first{bsmd_args(dir), dir.path()};
  await_ports(dir, first);
  auto second = bsm::test::run(bsmd_args(dir), dir.path());
  EXPECT_EQ(second.code, 1);
  EXPECT_NE(second.err.find("is held by another bsmd (pid "
                            + std::to_string(first.pid()) + ")"),
            std::string::npos)
    << second.err;
  first.signal(SIGTERM);
  EXPECT_EQ(first.wait(20s), 0);
}

/// A loopback port this test holds listening, so bsmd cannot have it.
class held_port {
public:
  held_port() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0
        && listen(fd_, 1) == 0) {
      socklen_t len = sizeof(addr);
      getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
      port_ = ntohs(addr.sin_port);
    }
  }

  ~held_port() {
    close(fd_);
  }

  held_port(const held_port&) = delete;
  held_port& operator=(const held_port&) = delete;

  /// 0 if the port could not be had.
  uint16_t port() const noexcept {
    return port_;
  }

private:
  int fd_;
  uint16_t port_ = 0;
};

/// bsmd with `key` set to the held port exits 1, naming the address, the
/// key and the system's reason.
void expect_busy_port_refused(const std::string& key, const std::string& what) {
  temp_dir dir;
  held_port held;
  ASSERT_NE(held.port(), 0);
  auto address = "127.0.0.1:" + std::to_string(held.port());
  auto res = bsm::test::run(bsmd_args(dir, {"--set", key + "=" + address}),
                            dir.path());
  EXPECT_EQ(res.code, 1) << res.err;
  EXPECT_NE(res.err.find("cannot listen on " + what + " address " + address
                         + " (" + key + "): Address already in use"),
            std::string::npos)
    << res.err;
}

TEST(Bsmd, BusyClusterPortFailsWithAClearError) {
  expect_busy_port_refused("cluster.listen", "cluster");
}

TEST(Bsmd, BusyHttpPortFailsWithAClearError) {
  expect_busy_port_refused("http.listen", "HTTP");
}

} // namespace
