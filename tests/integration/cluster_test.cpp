// Three real bsmd processes on loopback, started from config files the test
// writes: static seeds and Redis membership (a real redis-server), an agent
// placed on node C chatted with through node A, `kill -9` of C under load
// (marked down, asks refused as unavailable instead of waiting, durable
// sends wait in the senders' outboxes and arrive once and in order after
// the restart), SIGSTOP/SIGCONT, a rolling restart under load, and garbage
// on a cluster port. How fast a dead node is marked down is measured by
// bench/cluster_bench, not asserted here: waits are generous polls.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/common/poll.hpp"
#include "tests/common/temp_dir.hpp"
#include "tests/integration/http_client.hpp"
#include "tests/integration/process.hpp"
#include "tests/integration/raw_peer.hpp"
#include "tests/integration/test_node.hpp"
#include "tests/unit/security/jwt_test_tokens.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::test::body_of;
using bsm::test::closed_by_peer;
using bsm::test::describe;
using bsm::test::generous_deadline;
using bsm::test::get;
using bsm::test::poll_until;
using bsm::test::post_json;
using bsm::test::process;
using bsm::test::temp_dir;
using bsm::test::write_file;
using steady = std::chrono::steady_clock;

const std::string bsmd = BSMD_PATH;
const std::string ledger_node = LEDGER_NODE_PATH;

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Protobuf's JSON mapping carries bytes fields as base64.
std::string base64(const std::string& in) {
  static const char* digits
    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t bits = 0;
  int n = 0;
  for (unsigned char c : in) {
    bits = (bits << 8) | c;
    n += 8;
    while (n >= 6) {
      n -= 6;
      out.push_back(digits[(bits >> n) & 0x3f]);
    }
  }
  if (n > 0)
    out.push_back(digits[(bits << (6 - n)) & 0x3f]);
  while (out.size() % 4 != 0)
    out.push_back('=');
  return out;
}

// Agents of the test: one placed on node-c, one stateless placed there.
void write_agents(const std::filesystem::path& dir) {
  auto agent = [](const std::string& name, const std::string& placement) {
    return "name: " + name
           + "\n"
             "description: A test agent that answers from its placement.\n"
             "model:\n  provider: local\n  name: local\n"
             "system_prompt: You answer briefly.\n"
             "tools: [current_time]\n"
             "memory:\n  history_turns: 4\n"
           + placement;
  };
  write_file(dir / "courier.yaml",
             agent("courier", "placement:\n  node: node-c\n"));
  write_file(
    dir / "helper.yaml",
    agent("helper", "placement:\n  node: node-c\n  stateless: true\n"));
}

/// One node of the cluster: its config file, its process, its HTTP port.
class cluster_node {
public:
  cluster_node(std::filesystem::path work, std::string name, bool ledger)
    : work_(std::move(work)), name_(std::move(name)), ledger_(ledger) {}

  const std::string& name() const noexcept {
    return name_;
  }

  std::filesystem::path data_dir() const {
    return work_ / name_;
  }

  std::filesystem::path ledger_dir() const {
    return work_ / (name_ + "-ledger");
  }

  std::filesystem::path config() const {
    return work_ / (name_ + ".yaml");
  }

  /// Starts the node on its config file; false if it never listened.
  bool start() {
    std::filesystem::create_directories(ledger_dir());
    std::filesystem::remove(data_dir() / "ports.json");
    if (ledger_)
      ::setenv("BSM_LEDGER_DIR", ledger_dir().c_str(), 1);
    proc_ = std::make_unique<process>(
      std::vector<std::string>{ledger_ ? ledger_node : bsmd, "--config",
                               config().string()},
      work_ / (name_ + "-out"));
    auto addr = bsm::test::await_http_address(data_dir(), *proc_);
    if (!addr)
      return false;
    http_port_
      = static_cast<uint16_t>(std::stoi(addr->substr(addr->rfind(':') + 1)));
    return true;
  }

  uint16_t http() const noexcept {
    return http_port_;
  }

  void signal(int sig) {
    proc_->signal(sig);
  }

  void kill() {
    proc_->signal(SIGKILL);
    proc_->wait(10s);
  }

  std::optional<int> stop() {
    proc_->signal(SIGTERM);
    return proc_->wait(30s);
  }

  std::string log() const {
    return proc_ ? proc_->err() : std::string{};
  }

private:
  std::filesystem::path work_;
  std::string name_;
  bool ledger_;
  std::unique_ptr<process> proc_;
  uint16_t http_port_ = 0;
};

/// Member states as one node sees them ("" if it does not list the name);
/// `headers` carry credentials for nodes that ask for them.
std::map<std::string, std::string>
states_seen_by(const cluster_node& n,
               const std::vector<std::pair<std::string, std::string>>& headers
               = {}) {
  std::map<std::string, std::string> result;
  auto res = get(n.http(), "/v1/cluster", headers);
  if (!res || res->status != 200)
    return result;
  auto view = body_of(*res);
  for (const auto& m : view["members"])
    result[m["name"].get<std::string>()] = m["state"].get<std::string>();
  return result;
}

class ClusterTest : public ::testing::Test {
protected:
  void SetUp() override {
    for (auto& p : ports_)
      p = free_port();
    write_agents(dir_.path() / "agents");
  }

  void TearDown() override {
    for (auto& n : nodes_)
      n->signal(SIGKILL);
    if (redis_)
      redis_->signal(SIGKILL);
  }

  std::string address(size_t i) const {
    return "127.0.0.1:" + std::to_string(ports_[i]);
  }

  /// A `security:` section for every node's config; empty: protected mode.
  std::string security_yaml_;
  /// More `cluster:` keys for every node's config (indented two spaces).
  std::string cluster_yaml_;
  /// Headers for the test's own reads when security_yaml_ asks for them.
  std::vector<std::pair<std::string, std::string>> credentials_;

  /// Writes the three config files and makes the nodes (C runs the ledger).
  void configure(const std::string& membership) {
    const char* names[] = {"node-a", "node-b", "node-c"};
    for (size_t i = 0; i < 3; ++i) {
      std::ostringstream yaml;
      yaml << "node:\n  name: " << names[i]
           << "\n  data_dir: " << (dir_.path() / names[i]).string() << "\n"
           << "http:\n  listen: 127.0.0.1:0\n"
           << "cluster:\n  listen: " << address(i) << "\n";
      if (membership == "static")
        yaml << "  seeds: [" << address(0) << ", " << address(1) << ", "
             << address(2) << "]\n";
      yaml << "  membership: " << membership << "\n"
           << cluster_yaml_ << "logging:\n  level: warn\n"
           << security_yaml_ << "agents:\n  paths: [" << BSM_SOURCE_DIR
           << "/agents/seed, " << (dir_.path() / "agents").string() << "]\n";
      nodes_.push_back(
        std::make_unique<cluster_node>(dir_.path(), names[i], i == 2));
      write_file(nodes_.back()->config(), yaml.str());
    }
  }

  void start_all() {
    for (auto& n : nodes_)
      ASSERT_TRUE(n->start()) << n->name() << ": " << n->log();
  }

  /// Waits until node `i` sees every name in `want` in that state.
  bool await_states(size_t i, const std::map<std::string, std::string>& want) {
    return poll_until(
      [&] {
        auto seen = states_seen_by(*nodes_[i], credentials_);
        return std::all_of(want.begin(), want.end(), [&](const auto& x) {
          return seen[x.first] == x.second;
        });
      },
      generous_deadline, 100ms);
  }

  ::testing::AssertionResult await_all_up() {
    std::map<std::string, std::string> up{
      {"node-a", "up"}, {"node-b", "up"}, {"node-c", "up"}};
    for (size_t i = 0; i < nodes_.size(); ++i)
      if (!await_states(i, up))
        return ::testing::AssertionFailure()
               << nodes_[i]->name() << " sees "
               << describe(get(nodes_[i]->http(), "/v1/cluster")) << "\n"
               << nodes_[i]->log();
    return ::testing::AssertionSuccess();
  }

  /// A durable tell of a numbered PingRequest to the ledger on node C,
  /// through node `via`. True if it was acknowledged (202).
  bool tell_ledger(size_t via, const std::string& sender, int seq) {
    nlohmann::json body{
      {"type", "bsm.v1.PingRequest"},
      {"payload",
       {{"sequence", std::to_string(seq)}, {"payload", base64(sender)}}}};
    auto res = post_json(
      nodes_[via]->http(), "/v1/actors/ledger/messages", body.dump(),
      {{"Idempotency-Key", sender + "-" + std::to_string(seq)}});
    return res && res->status == 202;
  }

  /// Lines of the ledger's effects file, by sender, in order.
  std::map<std::string, std::vector<int>> effects() const {
    std::map<std::string, std::vector<int>> result;
    std::istringstream in{
      bsm::test::read_file(nodes_[2]->ledger_dir() / "effects.log")};
    std::string sender;
    int seq = 0;
    while (in >> sender >> seq)
      result[sender].push_back(seq);
    return result;
  }

  /// Waits until the ledger applied every acknowledged message.
  bool await_effects(const std::map<std::string, std::vector<int>>& acked) {
    return poll_until(
      [&] {
        auto got = effects();
        return std::all_of(acked.begin(), acked.end(), [&](const auto& x) {
          return got[x.first].size() >= x.second.size();
        });
      },
      generous_deadline, 200ms);
  }

  /// Every acknowledged message was applied exactly once, in order per
  /// sender; nothing was applied that was not sent.
  void expect_exactly_once_in_order(
    const std::map<std::string, std::vector<int>>& acked,
    const std::map<std::string, int>& sent) {
    auto got = effects();
    for (const auto& [sender, seqs] : acked) {
      const auto& applied = got[sender];
      std::set<int> unique(applied.begin(), applied.end());
      EXPECT_EQ(unique.size(), applied.size()) << sender << ": applied twice";
      EXPECT_TRUE(std::is_sorted(applied.begin(), applied.end()))
        << sender << ": out of order";
      for (int seq : seqs)
        EXPECT_TRUE(unique.count(seq)) << sender << " " << seq << " was lost";
      for (int seq : applied)
        EXPECT_LT(seq, sent.at(sender)) << sender << " " << seq;
    }
  }

  /// Starts a redis-server without persistence on a free port; its
  /// membership URL is then redis_url_.
  void start_redis() {
    auto port = free_port();
    std::filesystem::create_directories(dir_.path() / "redis");
    redis_ = std::make_unique<process>(
      std::vector<std::string>{"/usr/bin/redis-server", "--port",
                               std::to_string(port), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no"},
      dir_.path() / "redis");
    redis_url_ = "redis://127.0.0.1:" + std::to_string(port);
  }

  temp_dir dir_;
  std::array<uint16_t, 3> ports_{};
  std::string redis_url_;
  std::vector<std::unique_ptr<cluster_node>> nodes_;
  std::unique_ptr<process> redis_;
};

/// Sends numbered tells from one sender through one node until stopped.
class sender_thread {
public:
  sender_thread(size_t via, std::string name,
                std::function<bool(size_t, const std::string&, int)> tell)
    : name_(std::move(name)) {
    thread_ = std::thread{[this, via, tell = std::move(tell)] {
      int seq = 0;
      while (!stop_) {
        if (tell(via, name_, seq)) {
          std::lock_guard<std::mutex> guard{mtx_};
          acked_.push_back(seq);
        }
        ++seq;
        sent_ = seq;
        std::this_thread::sleep_for(5ms);
      }
    }};
  }

  ~sender_thread() {
    finish();
  }

  void finish() {
    stop_ = true;
    if (thread_.joinable())
      thread_.join();
  }

  std::vector<int> acked() {
    std::lock_guard<std::mutex> guard{mtx_};
    return acked_;
  }

  int sent() const {
    return sent_;
  }

  const std::string& name() const {
    return name_;
  }

  /// Waits until `n` more sends than now were acknowledged.
  bool await_more_acked(size_t n) {
    auto target = acked().size() + n;
    return poll_until([&] { return acked().size() >= target; });
  }

private:
  std::string name_;
  std::atomic<bool> stop_{false};
  std::atomic<int> sent_{0};
  std::mutex mtx_;
  std::vector<int> acked_;
  std::thread thread_;
};

TEST_F(ClusterTest, NodesJoinFromSeedsAndAnAgentOnCAnswersThroughA) {
  configure("static");
  start_all();
  ASSERT_TRUE(await_all_up()) << nodes_[0]->log();
  // Every node resolves the placed agent to node C.
  for (auto& n : nodes_) {
    auto res = get(n->http(), "/v1/agents/courier");
    ASSERT_TRUE(res && res->status == 200) << describe(res);
    EXPECT_EQ(body_of(*res)["node"], "node-c");
    auto ready = get(n->http(), "/readyz");
    EXPECT_TRUE(ready && ready->status == 200) << describe(ready);
  }
  auto first = post_json(nodes_[0]->http(), "/v1/agents/courier/chat",
                         R"({"input":"remember that the code is 4711",)"
                         R"("session_id":"s1"})");
  ASSERT_TRUE(first && first->status == 200) << describe(first);
  EXPECT_EQ(body_of(*first)["agent"], "courier");
  // The turn ran on C: its session lives there, reached again through B.
  auto second = post_json(nodes_[1]->http(), "/v1/agents/courier/chat",
                          R"({"input":"what time is it","session_id":"s1"})");
  ASSERT_TRUE(second && second->status == 200) << describe(second);
  auto metrics_c = get(nodes_[2]->http(), "/metrics");
  auto metrics_a = get(nodes_[0]->http(), "/metrics");
  ASSERT_TRUE(metrics_c && metrics_a);
  EXPECT_NE(metrics_c->body.find(
              R"(bsm_agent_turns_total{agent="courier",outcome="ok"} 2)"),
            std::string::npos);
  EXPECT_EQ(metrics_a->body.find(R"(bsm_agent_turns_total{agent="courier")"),
            std::string::npos);
  EXPECT_NE(metrics_a->body.find(R"(bsm_cluster_members{state="up"} 2)"),
            std::string::npos)
    << metrics_a->body;
  // The OpenAI-compatible route reaches it too, plain and streamed.
  auto completion = post_json(
    nodes_[0]->http(), "/v1/chat/completions",
    R"({"model":"courier","messages":[{"role":"user","content":"hi"}]})");
  ASSERT_TRUE(completion && completion->status == 200) << describe(completion);
  EXPECT_EQ(body_of(*completion)["object"], "chat.completion");
  auto streamed = post_json(nodes_[1]->http(), "/v1/chat/completions",
                            R"({"model":"courier","stream":true,)"
                            R"("messages":[{"role":"user","content":"hi"}]})");
  ASSERT_TRUE(streamed && streamed->status == 200) << describe(streamed);
  EXPECT_NE(streamed->body.find("chat.completion.chunk"), std::string::npos);
  EXPECT_NE(streamed->body.find("data: [DONE]"), std::string::npos);
  // An ask through A to a name only C has (the ledger) is forwarded.
  nlohmann::json ask{
    {"type", "bsm.v1.PingRequest"},
    {"mode", "ask"},
    {"payload", {{"sequence", "7"}, {"payload", base64("probe")}}}};
  auto asked
    = post_json(nodes_[0]->http(), "/v1/actors/ledger/messages", ask.dump());
  ASSERT_TRUE(asked && asked->status == 200) << describe(asked);
  EXPECT_EQ(body_of(*asked)["payload"]["sequence"], "7");
}

TEST_F(ClusterTest, KilledOwnerIsDownFastAsksFailFastAndQueuedSendsArriveOnce) {
  configure("static");
  start_all();
  ASSERT_TRUE(await_all_up());
  auto tell = [this](size_t via, const std::string& s, int seq) {
    return tell_ledger(via, s, seq);
  };
  sender_thread from_a{0, "from-a", tell};
  sender_thread from_b{1, "from-b", tell};
  // C is killed under load: both senders got sends through.
  ASSERT_TRUE(from_a.await_more_acked(10) && from_b.await_more_acked(10));
  nodes_[2]->kill();
  auto killed_at = steady::now();
  // A and B mark C down.
  ASSERT_TRUE(await_states(0, {{"node-c", "down"}}));
  auto detected = steady::now() - killed_at;
  ASSERT_TRUE(await_states(1, {{"node-c", "down"}}));
  // Asks to C's agent are refused at once as unavailable (503) because C
  // is down, instead of waiting for an answer until a timeout (504).
  auto chat = post_json(nodes_[0]->http(), "/v1/agents/courier/chat",
                        R"({"input":"hello"})");
  ASSERT_TRUE(chat) << "no answer";
  EXPECT_EQ(chat->status, 503) << chat->body;
  EXPECT_NE(chat->body.find("lives on node node-c, which is down"),
            std::string::npos)
    << chat->body;
  // A stateless agent placed on C is served by a live node meanwhile.
  auto helper = post_json(nodes_[1]->http(), "/v1/agents/helper/chat",
                          R"({"input":"what time is it"})");
  ASSERT_TRUE(helper && helper->status == 200) << describe(helper);
  // Durable sends keep being acknowledged: they wait in the outboxes.
  EXPECT_TRUE(from_a.await_more_acked(10) && from_b.await_more_acked(10));
  ASSERT_TRUE(nodes_[2]->start()) << nodes_[2]->log();
  ASSERT_TRUE(await_all_up());
  // And after the restart.
  EXPECT_TRUE(from_a.await_more_acked(10) && from_b.await_more_acked(10));
  from_a.finish();
  from_b.finish();
  std::map<std::string, std::vector<int>> acked{{"from-a", from_a.acked()},
                                                {"from-b", from_b.acked()}};
  ASSERT_TRUE(await_effects(acked))
    << "applied " << effects()["from-a"].size() << " of "
    << acked["from-a"].size() << " and " << effects()["from-b"].size() << " of "
    << acked["from-b"].size();
  expect_exactly_once_in_order(
    acked, {{"from-a", from_a.sent()}, {"from-b", from_b.sent()}});
  std::cout
    << "[ cluster  ] node-c down after "
    << std::chrono::duration_cast<std::chrono::milliseconds>(detected).count()
    << " ms; " << acked["from-a"].size() + acked["from-b"].size()
    << " acknowledged sends applied once\n";
}

TEST_F(ClusterTest, StoppedNodeIsDownAndUpAgainWithANewIncarnation) {
  configure("static");
  start_all();
  ASSERT_TRUE(await_all_up());
  auto incarnation_of_b = [this] {
    auto res = get(nodes_[0]->http(), "/v1/cluster");
    auto view = body_of(*res);
    for (const auto& m : view["members"])
      if (m["name"] == "node-b")
        return m["incarnation"].get<uint64_t>();
    return uint64_t{0};
  };
  auto before = incarnation_of_b();
  nodes_[1]->signal(SIGSTOP);
  ASSERT_TRUE(await_states(0, {{"node-b", "down"}}));
  ASSERT_TRUE(await_states(2, {{"node-b", "down"}}));
  nodes_[1]->signal(SIGCONT);
  ASSERT_TRUE(await_all_up()) << nodes_[1]->log();
  // It came back as a new run: what it held before the pause is stale.
  EXPECT_GT(incarnation_of_b(), before);
  auto res = get(nodes_[1]->http(), "/readyz");
  EXPECT_TRUE(res && res->status == 200) << describe(res);
}

TEST_F(ClusterTest, RollingRestartUnderLoadLosesNothing) {
  configure("static");
  start_all();
  ASSERT_TRUE(await_all_up());
  // The sender goes through whichever of A and B is up.
  std::atomic<size_t> via{0};
  auto tell = [this, &via](size_t, const std::string& s, int seq) {
    return tell_ledger(via.load(), s, seq);
  };
  sender_thread sender{0, "rolling", tell};
  // Each restart comes under load: sends got through before it.
  for (size_t i : {size_t{0}, size_t{1}, size_t{2}}) {
    ASSERT_TRUE(sender.await_more_acked(20));
    via = i == 0 ? 1 : 0;
    ASSERT_EQ(nodes_[i]->stop(), 0) << nodes_[i]->log();
    ASSERT_TRUE(nodes_[i]->start()) << nodes_[i]->log();
    ASSERT_TRUE(await_all_up()) << nodes_[i]->name();
  }
  ASSERT_TRUE(sender.await_more_acked(20));
  sender.finish();
  std::map<std::string, std::vector<int>> acked{{"rolling", sender.acked()}};
  ASSERT_GT(acked["rolling"].size(), 50u);
  ASSERT_TRUE(await_effects(acked))
    << effects()["rolling"].size() << " of " << acked["rolling"].size();
  expect_exactly_once_in_order(acked, {{"rolling", sender.sent()}});
}

TEST_F(ClusterTest, GarbageOnTheClusterPortIsDroppedAndTheNodeStaysUp) {
  configure("static");
  start_all();
  ASSERT_TRUE(await_all_up());
  std::string junk = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  // A BASP-sized header announcing a huge payload, then random bytes.
  std::string forged(64, '\xff');
  std::string random;
  for (int i = 0; i < 4096; ++i)
    random.push_back(static_cast<char>((i * 7919) & 0xff));
  for (const auto& bytes : {junk, forged, random}) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(ports_[0]);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)),
              0);
    auto n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    (void)n;
    // The stream ends after the garbage: once the node closed its end too,
    // it has read all of it.
    ::shutdown(fd, SHUT_WR);
    EXPECT_TRUE(closed_by_peer(fd)) << bytes.size() << " bytes: still open";
    ::close(fd);
  }
  auto health = get(nodes_[0]->http(), "/healthz");
  ASSERT_TRUE(health && health->status == 200) << describe(health);
  EXPECT_TRUE(await_all_up());
  EXPECT_TRUE(tell_ledger(0, "after-garbage", 0));
}

TEST_F(ClusterTest, RedisMembershipJoinsAndACleanStopIsDownNotLeft) {
  if (!std::filesystem::exists("/usr/bin/redis-server"))
    GTEST_SKIP() << "redis-server is not installed";
  start_redis();
  configure(redis_url_);
  start_all();
  ASSERT_TRUE(await_all_up()) << nodes_[0]->log();
  auto chat = post_json(nodes_[0]->http(), "/v1/agents/courier/chat",
                        R"({"input":"what time is it"})");
  ASSERT_TRUE(chat && chat->status == 200) << describe(chat);
  // A graceful stop is not a leave: the others see it down at once.
  ASSERT_EQ(nodes_[1]->stop(), 0);
  EXPECT_TRUE(await_states(0, {{"node-b", "down"}}));
  EXPECT_TRUE(await_states(2, {{"node-b", "down"}}));
  ASSERT_TRUE(nodes_[1]->start());
  EXPECT_TRUE(await_all_up());
}

// -- the caller's rights across nodes -----------------------------------------

// front on A may ask relay on B, which may ask leaf on C (local provider:
// "ask <agent>: <question>" is a delegation).
void write_delegation_agents(const std::filesystem::path& dir) {
  auto agent = [](const std::string& name, const std::string& node,
                  const std::string& delegates) {
    return "name: " + name
           + "\n"
             "description: A link of a delegation chain.\n"
             "model:\n  provider: local\n  name: local\n"
             "system_prompt: You pass questions on.\n"
             "tools: [ask_agent]\n"
             "delegates: ["
           + delegates + "]\nplacement:\n  node: " + node + "\n";
  };
  write_file(dir / "front.yaml", agent("front", "node-a", "relay"));
  write_file(dir / "relay.yaml", agent("relay", "node-b", "leaf"));
  write_file(dir / "leaf.yaml", agent("leaf", "node-c", ""));
}

// A chat with front on node A for user alice, whose roles grant
// `permissions`: a ChatRequest with its caller, injected; the ChatReply, or
// the response as text.
const std::string cluster_hs256_key = "cluster-test-key-0123456789abcdef-0123";

std::string token_for(const std::string& role) {
  static const bsm::security::test::signer signer;
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
  return signer.token(bsm::security::jwt_algorithm::hs256, {{"alg", "HS256"}},
                      {{"sub", "alice"}, {"exp", now + 600}, {"roles", {role}}},
                      cluster_hs256_key);
}

// A chat through node A's injection route as alice, authenticated with a
// token for `role`: the front stamps her principal into the ChatRequest
// (a caller in the payload would be replaced).
nlohmann::json chat_as_alice(uint16_t port, const std::string& role) {
  auto token = token_for(role);
  nlohmann::json forged{{"name", "root"}, {"permissions", {"*"}}};
  nlohmann::json req{
    {"type", "bsm.v1.ChatRequest"},
    {"payload", {{"input", "ask relay: ask leaf: hello"}, {"caller", forged}}},
    {"mode", "ask"}};
  auto res = post_json(port, "/v1/actors/agents%2Ffront/messages", req.dump(),
                       {{"Authorization", "Bearer " + token}});
  if (!res || res->status != 200)
    return describe(res);
  return body_of(*res)["payload"];
}

TEST_F(ClusterTest, ADelegatedChatKeepsItsCallersRightsAcrossNodes) {
  write_delegation_agents(dir_.path() / "agents");
  auto key = dir_.path() / "hs256.key";
  write_file(key, cluster_hs256_key);
  security_yaml_
    = "security:\n  jwt_hs256_key_file: " + key.string()
      + "\n  metrics_open: true\n  roles:\n"
        "    narrow: [\"actors:agents/front:inject\", agents:read, "
        "agents:front:chat, agents:relay:chat]\n"
        "    wide: [\"actors:agents/front:inject\", agents:read, "
        "agents:front:chat, agents:relay:chat, agents:leaf:chat]\n";
  credentials_ = {{"Authorization", "Bearer " + token_for("reader")}};
  configure("static");
  start_all();
  ASSERT_TRUE(await_all_up()) << nodes_[0]->log();
  // Alice may chat with front and relay, not with leaf: relay, on B,
  // refuses its delegation to leaf with the caller A's request carried.
  auto refused = chat_as_alice(nodes_[0]->http(), "narrow");
  ASSERT_TRUE(refused.is_object()) << refused;
  ASSERT_EQ(refused["steps"].size(), 1u) << refused;
  const auto& to_relay = refused["steps"][0];
  EXPECT_EQ(to_relay["tool"], "ask_agent");
  EXPECT_FALSE(to_relay.value("is_error", false)) << refused;
  EXPECT_NE(to_relay["result"].get<std::string>().find(
              "the caller lacks permission 'agents:leaf:chat' to ask agent "
              "'leaf'"),
            std::string::npos)
    << refused;
  auto metrics_b = get(nodes_[1]->http(), "/metrics");
  ASSERT_TRUE(metrics_b && metrics_b->status == 200) << describe(metrics_b);
  EXPECT_NE(metrics_b->body.find(R"(bsm_agent_capability_denied_total{)"
                                 R"(agent="relay",kind="permission"} 1)"),
            std::string::npos)
    << nodes_[1]->log();
  auto metrics_c = get(nodes_[2]->http(), "/metrics");
  ASSERT_TRUE(metrics_c && metrics_c->status == 200) << describe(metrics_c);
  EXPECT_EQ(metrics_c->body.find(R"(bsm_agent_turns_total{agent="leaf")"),
            std::string::npos);
  // With agents:leaf:chat the same chat reaches leaf on C.
  auto allowed = chat_as_alice(nodes_[0]->http(), "wide");
  ASSERT_TRUE(allowed.is_object()) << allowed;
  ASSERT_EQ(allowed["steps"].size(), 1u) << allowed;
  EXPECT_EQ(
    allowed["steps"][0]["result"].get<std::string>().find("lacks permission"),
    std::string::npos)
    << allowed;
  metrics_c = get(nodes_[2]->http(), "/metrics");
  ASSERT_TRUE(metrics_c && metrics_c->status == 200) << describe(metrics_c);
  EXPECT_NE(metrics_c->body.find(
              R"(bsm_agent_turns_total{agent="leaf",outcome="ok"} 1)"),
            std::string::npos)
    << metrics_c->body;
}

// -- restart is not leave; joining before serving (issue 26)
// -------------------

// Stateful agents placed by hashing, with memory tools: keeper-0..7.
void write_keepers(const std::filesystem::path& dir) {
  for (int i = 0; i < 8; ++i) {
    auto name = "keeper-" + std::to_string(i);
    write_file(dir / (name + ".yaml"),
               "name: " + name
                 + "\n"
                   "description: Remembers what it is told.\n"
                   "model:\n  provider: local\n  name: local\n"
                   "system_prompt: You remember.\n"
                   "tools: [memory_put, memory_get]\n"
                   "memory:\n  history_turns: 4\n");
  }
}

class ClusterOwnershipTest : public ClusterTest {
protected:
  /// The node that owns `agent`, as node `via` places it.
  std::string owner_of(size_t via, const std::string& agent) {
    auto res = get(nodes_[via]->http(), "/v1/agents/" + agent);
    if (!res || res->status != 200)
      return {};
    return body_of(*res)["node"].get<std::string>();
  }

  size_t index_of(const std::string& node) const {
    for (size_t i = 0; i < nodes_.size(); ++i)
      if (nodes_[i]->name() == node)
        return i;
    return nodes_.size();
  }

  std::optional<bsm::test::http_response>
  chat(size_t via, const std::string& agent, const std::string& input) {
    nlohmann::json body{{"input", input}};
    return post_json(nodes_[via]->http(), "/v1/agents/" + agent + "/chat",
                     body.dump());
  }

  /// A durable tell of a ChatRequest to `agent` through node `via`.
  std::optional<bsm::test::http_response>
  tell_agent(size_t via, const std::string& agent, const std::string& input) {
    nlohmann::json body{{"type", "bsm.v1.ChatRequest"},
                        {"payload", {{"agent", agent}, {"input", input}}}};
    return post_json(nodes_[via]->http(),
                     "/v1/actors/agents%2F" + agent + "/messages", body.dump());
  }

  /// True if a chat "recall <key>" through `via` answers with `value`.
  bool recalls(size_t via, const std::string& agent, const std::string& key,
               const std::string& value) {
    auto res = chat(via, agent, "recall " + key);
    if (!res || res->status != 200)
      return false;
    auto steps = body_of(*res)["steps"];
    return steps.size() == 1
           && steps[0]["result"].get<std::string>().find(value)
                != std::string::npos;
  }

  /// True if node `i` ran a turn of `agent` (its turn series exists).
  bool ran_turns_of(size_t i, const std::string& agent) {
    auto metrics = get(nodes_[i]->http(), "/metrics");
    return metrics
           && metrics->body.find(R"(bsm_agent_turns_total{agent=")" + agent
                                 + "\"")
                != std::string::npos;
  }

  ::testing::AssertionResult
  is_unavailable(const std::optional<bsm::test::http_response>& res,
                 const std::string& why) {
    if (!res)
      return ::testing::AssertionFailure() << "no answer";
    if (res->status != 503 || res->header("Retry-After").empty()
        || res->body.find(why) == std::string::npos)
      return ::testing::AssertionFailure()
             << "wanted 503 with Retry-After and '" << why
             << "', got: " << describe(res);
    return ::testing::AssertionSuccess();
  }
};

TEST_F(ClusterOwnershipTest, AStoppedOwnerKeepsItsStatefulAgentAndItsMemory) {
  write_keepers(dir_.path() / "agents");
  configure("static");
  start_all();
  ASSERT_TRUE(await_all_up());
  auto owner = index_of(owner_of(0, "keeper-0"));
  ASSERT_LT(owner, nodes_.size());
  auto other = (owner + 1) % nodes_.size();
  auto told = chat(other, "keeper-0", "remember code is 4711");
  ASSERT_TRUE(told && told->status == 200) << describe(told);
  ASSERT_TRUE(recalls(other, "keeper-0", "code", "4711"));
  ASSERT_EQ(nodes_[owner]->stop(), 0) << nodes_[owner]->log();
  // A graceful stop: down at once, not left; the agent waits for it.
  ASSERT_TRUE(await_states(other, {{nodes_[owner]->name(), "down"}}));
  EXPECT_EQ(owner_of(other, "keeper-0"), nodes_[owner]->name());
  EXPECT_TRUE(
    is_unavailable(chat(other, "keeper-0", "recall code"), "which is down"));
  // A tell meanwhile waits in the sender's outbox for the owner.
  auto waiting = tell_agent(other, "keeper-0", "remember colour is green");
  ASSERT_TRUE(waiting && waiting->status == 202) << describe(waiting);
  ASSERT_TRUE(nodes_[owner]->start()) << nodes_[owner]->log();
  ASSERT_TRUE(await_all_up());
  // Its state is still with it: nothing was written elsewhere meanwhile.
  EXPECT_TRUE(
    poll_until([&] { return recalls(other, "keeper-0", "code", "4711"); }))
    << describe(chat(other, "keeper-0", "recall code"));
  EXPECT_TRUE(
    poll_until([&] { return recalls(other, "keeper-0", "colour", "green"); }))
    << describe(chat(other, "keeper-0", "recall colour"));
  for (size_t i = 0; i < nodes_.size(); ++i)
    EXPECT_EQ(ran_turns_of(i, "keeper-0"), i == owner)
      << nodes_[i]->name() << " ran turns of keeper-0";
}

TEST_F(ClusterOwnershipTest,
       ARestartingNodeServesNoOtherNodesAgentUntilJoined) {
  // A paused member stays suspect, not down, for the whole test: the view
  // the restarted node gets reports it up.
  cluster_yaml_ = "  down_after: 120s\n";
  write_keepers(dir_.path() / "agents");
  configure("static");
  start_all();
  ASSERT_TRUE(await_all_up());
  // A keeper that node A owns; C restarts while B is paused.
  std::string keeper;
  for (int i = 0; i < 8 && keeper.empty(); ++i)
    if (owner_of(0, "keeper-" + std::to_string(i)) == "node-a")
      keeper = "keeper-" + std::to_string(i);
  ASSERT_FALSE(keeper.empty()) << "no keeper hashes to node-a";
  nodes_[1]->signal(SIGSTOP);
  ASSERT_EQ(nodes_[2]->stop(), 0) << nodes_[2]->log();
  ASSERT_TRUE(nodes_[2]->start()) << nodes_[2]->log();
  // C and A hear each other, but C has not heard from B, which A reports
  // as suspect: C has not joined.
  ASSERT_TRUE(await_states(0, {{"node-c", "up"}, {"node-b", "suspect"}}));
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(is_unavailable(get(nodes_[2]->http(), "/readyz"),
                               "has not joined its cluster yet"));
    EXPECT_TRUE(is_unavailable(tell_agent(2, keeper, "remember colour is red"),
                               "has not joined its cluster yet"));
    EXPECT_TRUE(is_unavailable(chat(2, keeper, "recall colour"),
                               "has not joined its cluster yet"));
  }
  // C lists the agent, without an owner it cannot know yet.
  auto listed = get(nodes_[2]->http(), "/v1/agents/" + keeper);
  ASSERT_TRUE(listed && listed->status == 200) << describe(listed);
  EXPECT_EQ(body_of(*listed)["node"], "") << listed->body;
  EXPECT_EQ(states_seen_by(*nodes_[0])["node-b"], "suspect")
    << "B must still be reported up for the checks above to mean anything";
  nodes_[1]->signal(SIGCONT);
  std::optional<bsm::test::http_response> ready;
  ASSERT_TRUE(poll_until([&] {
    ready = get(nodes_[2]->http(), "/readyz");
    return ready && ready->status == 200;
  }))
    << describe(ready);
  EXPECT_EQ(body_of(*ready)["cluster"], "joined") << ready->body;
  EXPECT_EQ(body_of(*ready)["status"], "ready") << ready->body;
  EXPECT_EQ(owner_of(2, keeper), "node-a");
  // Now a tell through C reaches the owner, A, and runs there.
  auto told = tell_agent(2, keeper, "remember colour is blue");
  ASSERT_TRUE(told && told->status == 202) << describe(told);
  EXPECT_TRUE(poll_until([&] { return recalls(0, keeper, "colour", "blue"); }));
  EXPECT_TRUE(ran_turns_of(0, keeper));
  EXPECT_FALSE(ran_turns_of(2, keeper))
    << "a turn of " << keeper << " ran on the restarting node";
}

TEST_F(ClusterOwnershipTest, WithRedisAStoppedOwnerKeepsItsAgentAfterTheTtl) {
  if (!std::filesystem::exists("/usr/bin/redis-server"))
    GTEST_SKIP() << "redis-server is not installed";
  start_redis();
  cluster_yaml_ = "  membership_ttl: 1s\n";
  write_keepers(dir_.path() / "agents");
  configure(redis_url_);
  start_all();
  ASSERT_TRUE(await_all_up());
  auto owner = index_of(owner_of(0, "keeper-0"));
  ASSERT_LT(owner, nodes_.size());
  auto other = (owner + 1) % nodes_.size();
  auto third = (owner + 2) % nodes_.size();
  auto told = chat(other, "keeper-0", "remember code is 4711");
  ASSERT_TRUE(told && told->status == 200) << describe(told);
  ASSERT_EQ(nodes_[owner]->stop(), 0) << nodes_[owner]->log();
  auto stopped_at = steady::now();
  ASSERT_TRUE(await_states(other, {{nodes_[owner]->name(), "down"}}));
  // Well past the liveness TTL, a node that starts afresh reads the table:
  // the stopped owner is still a member, and still the agent's owner.
  ASSERT_TRUE(poll_until([&] { return steady::now() - stopped_at > 3s; }));
  ASSERT_EQ(nodes_[third]->stop(), 0) << nodes_[third]->log();
  ASSERT_TRUE(nodes_[third]->start()) << nodes_[third]->log();
  ASSERT_TRUE(poll_until([&] {
    auto ready = get(nodes_[third]->http(), "/readyz");
    return ready && ready->status == 200;
  }));
  for (auto via : {other, third}) {
    EXPECT_EQ(states_seen_by(*nodes_[via])[nodes_[owner]->name()], "down");
    EXPECT_EQ(owner_of(via, "keeper-0"), nodes_[owner]->name());
    EXPECT_TRUE(
      is_unavailable(chat(via, "keeper-0", "recall code"), "which is down"));
  }
  ASSERT_TRUE(nodes_[owner]->start()) << nodes_[owner]->log();
  ASSERT_TRUE(await_all_up());
  EXPECT_TRUE(
    poll_until([&] { return recalls(third, "keeper-0", "code", "4711"); }));
}

// -- any node answers, one effect
// ----------------------------------------------

// Injects `type` with `payload` into `memory` through the node on `port`.
std::optional<bsm::test::http_response>
to_memory(uint16_t port, const std::string& type, const nlohmann::json& payload,
          const std::string& mode, const std::string& key = {}) {
  nlohmann::json body{{"type", type}, {"payload", payload}, {"mode", mode}};
  std::vector<std::pair<std::string, std::string>> headers;
  if (!key.empty())
    headers.emplace_back("Idempotency-Key", key);
  return post_json(port, "/v1/actors/memory/messages", body.dump(), headers);
}

// The value memory holds for (agent, key) as read through `port`; "" if
// none.
std::string memory_value(uint16_t port, const std::string& agent,
                         const std::string& key) {
  auto res = to_memory(port, "bsm.v1.MemoryGetRequest",
                       {{"agent", agent}, {"key", key}}, "ask");
  if (!res || res->status != 200)
    return {};
  return body_of(*res)["payload"].value("value", "");
}

// The turns of a session as read through `port`.
nlohmann::json session_turns(uint16_t port, const std::string& agent,
                             const std::string& session,
                             const std::string& query = {}) {
  auto res = get(port, "/v1/agents/" + agent + "/sessions/" + session + query);
  if (!res || res->status != 200)
    return describe(res);
  return body_of(*res)["turns"];
}

TEST_F(ClusterTest, MemoryAndSessionsAnswerTheSameThroughEveryNode) {
  configure("static");
  start_all();
  ASSERT_TRUE(await_all_up()) << nodes_[0]->log();
  // Writes through A, to a placed agent (its memory lives on C) and to
  // names that are no agent (hashed over the three nodes): durable tells
  // and asks alike.
  std::vector<std::string> names{"courier"};
  for (int i = 0; i < 6; ++i)
    names.push_back("scratch-" + std::to_string(i));
  for (size_t i = 0; i < names.size(); ++i) {
    auto mode = i % 2 ? "ask" : "tell";
    auto put = to_memory(nodes_[0]->http(), "bsm.v1.MemoryPutRequest",
                         {{"agent", names[i]},
                          {"key", "colour"},
                          {"value", base64("blue " + names[i])}},
                         mode);
    ASSERT_TRUE(put && put->status == (i % 2 ? 200 : 202)) << describe(put);
  }
  for (const auto& name : names)
    for (auto& n : nodes_)
      EXPECT_TRUE(poll_until([&] {
        return memory_value(n->http(), name, "colour")
               == base64("blue " + name);
      }))
        << name << " through " << n->name();
  // A chat through A; its session read through B and C, where it is the
  // same: the owner of courier's memory (C) answers.
  auto chat = post_json(nodes_[0]->http(), "/v1/agents/courier/chat",
                        R"({"input":"hello there","session_id":"s-any"})");
  ASSERT_TRUE(chat && chat->status == 200) << describe(chat);
  for (size_t i : {1, 2}) {
    auto port = nodes_[i]->http();
    auto list = get(port, "/v1/agents/courier/sessions?limit=10");
    ASSERT_TRUE(list && list->status == 200) << describe(list);
    auto sessions = body_of(*list)["sessions"];
    ASSERT_EQ(sessions.size(), 1u) << sessions;
    EXPECT_EQ(sessions[0]["session_id"], "s-any");
    EXPECT_EQ(sessions[0]["turns"], 2);
    EXPECT_EQ(sessions[0]["node"], "node-c");
    auto turns = session_turns(port, "courier", "s-any");
    ASSERT_TRUE(turns.is_array() && turns.size() == 2) << turns;
    EXPECT_EQ(turns[0]["role"], "user");
    EXPECT_EQ(turns[0]["content"], "hello there");
    EXPECT_EQ(turns[1]["role"], "assistant");
    EXPECT_EQ(turns[1]["content"], body_of(*chat)["output"]);
    auto second = session_turns(port, "courier", "s-any", "?limit=1&after=1");
    ASSERT_TRUE(second.is_array() && second.size() == 1) << second;
    EXPECT_EQ(second[0]["role"], "assistant");
    auto after = get(port, "/v1/agents/courier/sessions?after=s-any");
    ASSERT_TRUE(after && after->status == 200) << describe(after);
    EXPECT_EQ(body_of(*after)["sessions"].size(), 0u);
  }
  for (const auto* path :
       {"/v1/agents/courier/sessions/nope", "/v1/agents/nobody/sessions",
        "/v1/agents/nobody/sessions/s-any"}) {
    auto res = get(nodes_[1]->http(), path);
    EXPECT_TRUE(res && res->status == 404) << path << ": " << describe(res);
  }
  auto bad = get(nodes_[1]->http(), "/v1/agents/courier/sessions?limit=x");
  EXPECT_TRUE(bad && bad->status == 400) << describe(bad);
  // One effect: the same Idempotency-Key told through A, then B; a last
  // tell through B (after the retry on the same link) shows when both
  // were handled.
  nlohmann::json turn{{"agent", "courier"},
                      {"session_id", "s-idem"},
                      {"role", "user"},
                      {"content", "once"}};
  for (size_t via : {0, 1}) {
    auto res = to_memory(nodes_[via]->http(), "bsm.v1.SessionAppendRequest",
                         turn, "tell", "idem-1");
    ASSERT_TRUE(res && res->status == 202) << describe(res);
  }
  turn["content"] = "last";
  auto last
    = to_memory(nodes_[1]->http(), "bsm.v1.SessionAppendRequest", turn, "tell");
  ASSERT_TRUE(last && last->status == 202) << describe(last);
  nlohmann::json turns;
  ASSERT_TRUE(poll_until([&] {
    turns = session_turns(nodes_[2]->http(), "courier", "s-idem");
    return turns.is_array() && !turns.empty()
           && turns.back()["content"] == "last";
  }))
    << turns;
  ASSERT_EQ(turns.size(), 2u) << turns;
  EXPECT_EQ(turns[0]["content"], "once");
  // With C gone, its agents' sessions are unavailable through A, not
  // served from A's empty store.
  nodes_[2]->kill();
  std::optional<bsm::test::http_response> down;
  EXPECT_TRUE(poll_until([&] {
    down = get(nodes_[0]->http(), "/v1/agents/courier/sessions");
    return down && down->status == 503;
  }))
    << describe(down);
  EXPECT_TRUE(down && down->has_header("Retry-After")) << describe(down);
}

// -- decommission
// ----------------------------------------------------------

/// One acknowledged effect of the decommission test's load.
struct acked_effect {
  std::string agent;
  std::string session;
  std::string input;
  std::string key;
  std::string value;
  /// A memory put told to `agent` (not a chat).
  bool put = false;
};

/// Chats with sessions and durable memory puts through one node, until
/// stopped; records what was acknowledged.
class effect_sender {
public:
  effect_sender(uint16_t port, std::string name,
                std::vector<std::string> agents,
                std::vector<std::string> partitions)
    : name_(std::move(name)) {
    thread_ = std::thread{[this, port, agents = std::move(agents),
                           partitions = std::move(partitions)] {
      for (int seq = 0; !stop_; ++seq) {
        send_chat(port, agents[seq % agents.size()], seq);
        send_put(port, partitions[seq % partitions.size()], seq);
        std::this_thread::sleep_for(10ms);
      }
    }};
  }

  ~effect_sender() {
    finish();
  }

  void finish() {
    stop_ = true;
    if (thread_.joinable())
      thread_.join();
  }

  std::vector<acked_effect> acked() {
    std::lock_guard<std::mutex> guard{mtx_};
    return acked_;
  }

private:
  void send_chat(uint16_t port, const std::string& agent, int seq) {
    acked_effect e;
    e.agent = agent;
    e.session = "s-" + name_ + "-" + agent;
    e.key = name_ + "k" + std::to_string(seq);
    e.value = "v" + std::to_string(seq);
    e.input = "remember " + e.key + " is " + e.value;
    nlohmann::json body{{"input", e.input}, {"session_id", e.session}};
    auto res = post_json(port, "/v1/agents/" + agent + "/chat", body.dump());
    if (res && res->status == 200)
      keep(std::move(e));
  }

  void send_put(uint16_t port, const std::string& partition, int seq) {
    acked_effect e;
    e.agent = partition;
    e.key = name_ + "p" + std::to_string(seq);
    e.value = "w" + std::to_string(seq);
    e.put = true;
    nlohmann::json body{
      {"type", "bsm.v1.MemoryPutRequest"},
      {"payload",
       {{"agent", partition}, {"key", e.key}, {"value", base64(e.value)}}}};
    auto res = post_json(port, "/v1/actors/memory/messages", body.dump());
    if (res && res->status == 202)
      keep(std::move(e));
  }

  void keep(acked_effect e) {
    std::lock_guard<std::mutex> guard{mtx_};
    acked_.push_back(std::move(e));
  }

  std::string name_;
  std::atomic<bool> stop_{false};
  std::mutex mtx_;
  std::vector<acked_effect> acked_;
  std::thread thread_;
};

// The session's user turns as read through `port`, with how often each
// content occurs.
std::map<std::string, int> user_turns(uint16_t port, const std::string& agent,
                                      const std::string& session) {
  std::map<std::string, int> result;
  auto turns = session_turns(port, agent, session, "?limit=1000");
  if (!turns.is_array())
    return result;
  for (const auto& t : turns)
    if (t["role"] == "user")
      ++result[t["content"].get<std::string>()];
  return result;
}

TEST_F(ClusterOwnershipTest, ADecommissionUnderLoadHandsEveryAgentsStateOver) {
  write_keepers(dir_.path() / "agents");
  configure("static");
  start_all();
  ASSERT_TRUE(await_all_up());
  const size_t leaver = 1;
  // Agents and memory partitions node B owns, and one that it does not.
  std::vector<std::string> agents;
  std::string elsewhere;
  for (int i = 0; i < 8; ++i) {
    auto keeper = "keeper-" + std::to_string(i);
    if (owner_of(0, keeper) == "node-b")
      agents.push_back(keeper);
    else if (elsewhere.empty())
      elsewhere = keeper;
  }
  ASSERT_FALSE(agents.empty()) << "no keeper hashes to node-b";
  agents.push_back(elsewhere);
  std::vector<std::string> partitions;
  for (int i = 0; i < 6; ++i)
    partitions.push_back("scratch-" + std::to_string(i));
  // Unknown nodes are 404; the leave is asked of A and done by B.
  auto unknown
    = post_json(nodes_[0]->http(), "/v1/cluster/members/node-z/leave", "{}");
  EXPECT_TRUE(unknown && unknown->status == 404) << describe(unknown);
  effect_sender through_a{nodes_[0]->http(), "a", agents, partitions};
  effect_sender through_c{nodes_[2]->http(), "c", agents, partitions};
  ASSERT_TRUE(poll_until([&] { return through_a.acked().size() >= 20; }));
  auto leave
    = post_json(nodes_[0]->http(), "/v1/cluster/members/node-b/leave", "{}");
  ASSERT_TRUE(leave && leave->status == 202) << describe(leave);
  EXPECT_EQ(body_of(*leave)["node"], "node-b") << leave->body;
  EXPECT_EQ(body_of(*leave)["state"], "leaving") << leave->body;
  auto again
    = post_json(nodes_[2]->http(), "/v1/cluster/members/node-b/leave", "{}");
  EXPECT_TRUE(again && again->status == 409) << describe(again);
  ASSERT_TRUE(await_states(0, {{"node-b", "left"}})) << nodes_[leaver]->log();
  ASSERT_TRUE(await_states(2, {{"node-b", "left"}}));
  nlohmann::json handoff;
  ASSERT_TRUE(poll_until([&] {
    auto res = get(nodes_[leaver]->http(), "/v1/cluster");
    if (!res || res->status != 200)
      return false;
    handoff = body_of(*res)["handoff"];
    return handoff.is_object() && handoff["phase"] == "done";
  }))
    << handoff << nodes_[leaver]->log();
  EXPECT_GE(handoff["handed"].get<int>(), 1) << handoff;
  // Load goes on against the new owners for a while, then stops.
  auto before = through_a.acked().size();
  ASSERT_TRUE(
    poll_until([&] { return through_a.acked().size() >= before + 10; }));
  through_a.finish();
  through_c.finish();
  auto left_again
    = post_json(nodes_[0]->http(), "/v1/cluster/members/node-b/leave", "{}");
  EXPECT_TRUE(left_again && left_again->status == 409) << describe(left_again);
  // Nothing is left on B: it stops, and every acknowledged effect is read
  // through both remaining nodes, each chat turn once.
  ASSERT_EQ(nodes_[leaver]->stop(), 0) << nodes_[leaver]->log();
  auto acked = through_a.acked();
  for (auto& e : through_c.acked())
    acked.push_back(std::move(e));
  auto to_b = std::count_if(acked.begin(), acked.end(), [&](const auto& e) {
    return !e.put && e.agent != elsewhere;
  });
  EXPECT_GT(to_b, 0) << "no chat to an agent of node-b was acknowledged";
  std::map<std::pair<std::string, std::string>, std::vector<std::string>>
    sessions;
  for (const auto& e : acked)
    if (!e.put)
      sessions[{e.agent, e.session}].push_back(e.input);
  for (size_t via : {0, 2}) {
    auto port = nodes_[via]->http();
    for (const auto& e : acked) {
      std::string got;
      EXPECT_TRUE(poll_until([&] {
        got = memory_value(port, e.agent, e.key);
        return got == base64(e.value);
      }))
        << e.agent << " " << e.key << " through " << nodes_[via]->name() << ": "
        << got;
    }
    for (const auto& [where, inputs] : sessions) {
      auto turns = user_turns(port, where.first, where.second);
      for (const auto& input : inputs)
        EXPECT_EQ(turns[input], 1)
          << where.first << "/" << where.second << ": '" << input
          << "' through " << nodes_[via]->name();
      for (const auto& [content, count] : turns)
        EXPECT_EQ(count, 1) << where.first << "/" << where.second << ": '"
                            << content << "' twice";
    }
  }
  EXPECT_TRUE(await_states(0, {{"node-b", "left"}}));
}

} // namespace
