// Three real bsmd processes on loopback, started from config files the test
// writes: static seeds and Redis membership (a real redis-server), an agent
// placed on node C chatted with through node A, `kill -9` of C under load
// (marked down, asks refused as unavailable instead of waiting, durable
// sends wait in the senders' outboxes and arrive once and in order after
// the restart), SIGSTOP/SIGCONT, a rolling restart under load, and garbage
// on a cluster port. Issue 26: a stopped owner keeps its agents and their
// memory; a restarting node serves nobody else's agent until it joined;
// memory and sessions through any node; a rolling restart under chats,
// durable tells and memory writes after which every acknowledged effect is
// on its owner once (read through every node, and in each node's store);
// an ask in flight when its owner stops is still answered. How fast a dead node
// is marked down is measured by bench/cluster_bench, not asserted here: waits
// are generous polls.

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
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <rocksdb/db.h>

#include "runtime/cluster/directory.hpp"
#include "runtime/error.hpp"
#include "runtime/store/store.hpp"
#include "tests/common/poll.hpp"
#include "tests/common/temp_dir.hpp"
#include "tests/integration/event_stream.hpp"
#include "tests/integration/http_client.hpp"
#include "tests/integration/process.hpp"
#include "tests/integration/raw_peer.hpp"
#include "tests/integration/scripted_upstream.hpp"
#include "tests/integration/test_node.hpp"
#include "tests/unit/security/jwt_test_tokens.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::test::body_of;
using bsm::test::chunk;
using bsm::test::closed_by_peer;
using bsm::test::completion;
using bsm::test::describe;
using bsm::test::generous_deadline;
using bsm::test::get;
using bsm::test::json_reply;
using bsm::test::poll_until;
using bsm::test::post_json;
using bsm::test::process;
using bsm::test::scripted_upstream;
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
    return exited();
  }

  /// The exit code once the process ended (nullopt if it did not in 30 s).
  std::optional<int> exited() {
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
  /// More top-level sections for every node's config.
  std::string more_yaml_;
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
           << security_yaml_ << more_yaml_ << "agents:\n  paths: ["
           << BSM_SOURCE_DIR << "/agents/seed, "
           << (dir_.path() / "agents").string() << "]\n";
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
  EXPECT_NE(metrics_a->body.find(R"(bsm_cluster_members{state="up"} 3)"),
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
  // The listing says so too: courier is unavailable, its node down.
  auto listed = get(nodes_[0]->http(), "/v1/agents/courier");
  ASSERT_TRUE(listed && listed->status == 200) << describe(listed);
  auto courier = body_of(*listed);
  EXPECT_EQ(courier["state"], "unavailable") << courier;
  EXPECT_EQ(courier["node"], "node-c") << courier;
  EXPECT_EQ(courier["node_state"], "down") << courier;
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

// A task for an agent whose owner is down stays on the node it was
// submitted to, queued and saying why, and runs once the owner is back.
// Its state is read, and refused a cancel, through any node: a node that
// does not hold a task asks its members.
TEST_F(ClusterTest, ATaskWaitsOnItsNodeForTheAgentsOwnerAndIsReadThroughAny) {
  configure("static");
  start_all();
  ASSERT_TRUE(await_all_up());
  nodes_[2]->kill();
  ASSERT_TRUE(await_states(0, {{"node-c", "down"}}));
  auto submitted
    = post_json(nodes_[0]->http(), "/v1/tasks",
                R"({"agent":"courier","input":"what time is it"})");
  ASSERT_TRUE(submitted && submitted->status == 202) << describe(submitted);
  std::string id = body_of(*submitted)["task_id"];
  auto task_via = [&](size_t i) {
    auto res = get(nodes_[i]->http(), "/v1/tasks/" + id);
    return res && res->status == 200 ? body_of(*res) : nlohmann::json{};
  };
  ASSERT_TRUE(poll_until([&] {
    auto t = task_via(1);
    return t.value("state", "") == "queued"
           && t.value("error", "").find("not started") != std::string::npos;
  }))
    << task_via(0).dump();
  ASSERT_TRUE(nodes_[2]->start()) << nodes_[2]->log();
  ASSERT_TRUE(await_all_up());
  ASSERT_TRUE(
    poll_until([&] { return task_via(1).value("state", "") == "succeeded"; }))
    << task_via(0).dump();
  auto from_c = task_via(2);
  EXPECT_EQ(from_c["task_id"], id);
  EXPECT_EQ(from_c["attempts"], 1) << from_c.dump();
  EXPECT_FALSE(from_c["result"].get<std::string>().empty());
  // A finished task cannot be cancelled: the holder says so (400), not 404.
  auto cancel = bsm::test::http_exchange(
    nodes_[1]->http(),
    bsm::test::make_request("DELETE", "/v1/tasks/" + id, {}));
  ASSERT_TRUE(cancel);
  EXPECT_EQ(cancel->status, 400) << cancel->body;
  EXPECT_NE(cancel->body.find("succeeded"), std::string::npos) << cancel->body;
  auto unknown = get(nodes_[1]->http(), "/v1/tasks/t-000000000000-00000000");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404) << unknown->body;
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

// -- replicas for failover (issue 26) ----------------------------------------

class ClusterReplicaTest : public ClusterOwnershipTest {
protected:
  void SetUp() override {
    ClusterOwnershipTest::SetUp();
    cluster_yaml_ = "  replication_factor: 2\n";
    write_keepers(dir_.path() / "agents");
    configure("static");
    start_all();
    ASSERT_TRUE(await_all_up());
    owner_ = index_of(owner_of(0, "keeper-0"));
    ASSERT_LT(owner_, nodes_.size());
  }

  /// A chat turn of keeper-0 in session `session` through node `via`.
  std::optional<bsm::test::http_response>
  say(size_t via, const std::string& session, const std::string& input) {
    nlohmann::json body{{"input", input}, {"session_id", session}};
    return post_json(nodes_[via]->http(), "/v1/agents/keeper-0/chat",
                     body.dump());
  }

  /// The user inputs of a session as read through node `via`, in order;
  /// empty when it cannot be read.
  std::vector<std::string> inputs(size_t via, const std::string& session) {
    std::vector<std::string> result;
    auto turns
      = session_turns(nodes_[via]->http(), "keeper-0", session, "?limit=100");
    if (!turns.is_array())
      return result;
    for (const auto& t : turns)
      if (t["role"] == "user")
        result.push_back(t["content"].get<std::string>());
    return result;
  }

  size_t owner_ = 0;
};

TEST_F(ClusterReplicaTest, AKilledOwnersSessionContinuesOnItsReplica) {
  auto via = (owner_ + 1) % nodes_.size();
  std::vector<std::string> said;
  for (const auto* input : {"remember code is 4711", "hello", "how are you"}) {
    auto res = say(via, "s-fail", input);
    ASSERT_TRUE(res && res->status == 200) << describe(res);
    said.push_back(input);
  }
  nodes_[owner_]->kill();
  // The next node of keeper-0's ranking serves it now, with every
  // acknowledged turn and its memory.
  std::string replica;
  ASSERT_TRUE(poll_until([&] {
    replica = owner_of(via, "keeper-0");
    return !replica.empty() && replica != nodes_[owner_]->name();
  }))
    << replica;
  std::optional<bsm::test::http_response> res;
  ASSERT_TRUE(poll_until([&] {
    res = say(via, "s-fail", "recall code");
    return res && res->status == 200;
  }))
    << describe(res);
  said.push_back("recall code");
  EXPECT_NE(res->body.find("4711"), std::string::npos) << res->body;
  EXPECT_EQ(inputs(via, "s-fail"), said);
  EXPECT_TRUE(ran_turns_of(index_of(replica), "keeper-0"));
  // The owner comes back and takes its agent back with what the replica
  // added: the same session through every node.
  ASSERT_TRUE(nodes_[owner_]->start()) << nodes_[owner_]->log();
  ASSERT_TRUE(await_all_up());
  ASSERT_TRUE(poll_until([&] {
    res = say(via, "s-fail", "after the return");
    return res && res->status == 200;
  }))
    << describe(res);
  said.push_back("after the return");
  EXPECT_EQ(owner_of(via, "keeper-0"), nodes_[owner_]->name());
  for (size_t i = 0; i < nodes_.size(); ++i)
    EXPECT_EQ(inputs(i, "s-fail"), said) << nodes_[i]->name();
}

TEST_F(ClusterReplicaTest, APausedOwnerServesNothingFromItsStaleState) {
  auto via = (owner_ + 1) % nodes_.size();
  auto told = say(via, "s-pause", "remember colour is blue");
  ASSERT_TRUE(told && told->status == 200) << describe(told);
  nodes_[owner_]->signal(SIGSTOP);
  ASSERT_TRUE(await_states(via, {{nodes_[owner_]->name(), "down"}}));
  // The replica takes over under a later epoch.
  std::optional<bsm::test::http_response> res;
  ASSERT_TRUE(poll_until([&] {
    res = say(via, "s-pause", "remember colour is green");
    return res && res->status == 200;
  }))
    << describe(res);
  nodes_[owner_]->signal(SIGCONT);
  // The old owner still holds its claim from before the pause, but its
  // lease ran out while it was paused: its first write asks the replica,
  // which knows a later epoch. The write is refused, or made only after
  // the old owner copied the replica's state back and claimed anew.
  auto late = to_memory(
    nodes_[owner_]->http(), "bsm.v1.MemoryPutRequest",
    {{"agent", "keeper-0"}, {"key", "colour"}, {"value", base64("red")}},
    "ask");
  ASSERT_TRUE(late) << "no answer";
  ASSERT_TRUE(late->status == 503 || late->status == 200) << describe(late);
  auto wanted = base64(late->status == 200 ? "red" : "green");
  ASSERT_TRUE(await_all_up());
  for (size_t i = 0; i < nodes_.size(); ++i)
    EXPECT_TRUE(poll_until([&] {
      return memory_value(nodes_[i]->http(), "keeper-0", "colour") == wanted;
    }))
      << nodes_[i]->name() << ": "
      << memory_value(nodes_[i]->http(), "keeper-0", "colour");
  // What the replica added while the owner was paused is there through
  // every node, the owner included: it served nothing from its stale copy.
  std::vector<std::string> said{"remember colour is blue",
                                "remember colour is green"};
  for (size_t i = 0; i < nodes_.size(); ++i)
    EXPECT_TRUE(poll_until([&] { return inputs(i, "s-pause") == said; }))
      << nodes_[i]->name();
  auto metrics = get(nodes_[owner_]->http(), "/metrics");
  ASSERT_TRUE(metrics && metrics->status == 200);
  const std::string pulled
    = R"(bsm_memory_replica_copies_total{direction="pulled"} )";
  auto at = metrics->body.find(pulled);
  ASSERT_NE(at, std::string::npos) << metrics->body;
  EXPECT_GE(std::stod(metrics->body.substr(at + pulled.size())), 1.0)
    << "the old owner copied the replica's state";
}

// -- a rolling restart under load; a restarting node (issue 26) ---------------

// The memory entries of `agent` as read through `port` (key -> value as
// base64), every page; nothing if a page did not answer.
std::optional<std::map<std::string, std::string>>
memory_entries(uint16_t port, const std::string& agent) {
  std::map<std::string, std::string> result;
  std::string after;
  for (;;) {
    auto res = to_memory(
      port, "bsm.v1.MemoryListRequest",
      {{"agent", agent}, {"limit", 1000}, {"start_after", after}}, "ask");
    if (!res || res->status != 200)
      return std::nullopt;
    auto page = body_of(*res)["payload"];
    for (const auto& e : page.value("entries", nlohmann::json::array()))
      result[e["key"].get<std::string>()] = e.value("value", "");
    if (!page.value("more", false) || result.empty())
      return result;
    after = result.rbegin()->first;
  }
}

// What a node's store holds of each agent, after the node stopped: keys of
// its memory (key/value space, session turns, turn markers, all "tag NUL
// agent NUL ...") and of its tool ledger ("\x01tool NUL agent/...").
std::map<std::string, size_t>
stored_keys_by_agent(const std::filesystem::path& data_dir) {
  std::map<std::string, size_t> result;
  auto db = bsm::store::open(data_dir / "store", {});
  if (!db) {
    ADD_FAILURE() << data_dir << ": " << bsm::render(db.error());
    return result;
  }
  auto scan = [&](bsm::column cf, auto agent_of) {
    std::unique_ptr<rocksdb::Iterator> it{
      (*db)->db().NewIterator(rocksdb::ReadOptions{}, (*db)->handle(cf))};
    for (it->SeekToFirst(); it->Valid(); it->Next())
      if (auto agent = agent_of(it->key().ToStringView()); !agent.empty())
        ++result[std::string{agent}];
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  };
  scan(bsm::column::memory, [](std::string_view key) {
    auto from = key.find('\0');
    auto to = key.find('\0', from + 1);
    return from == key.npos || to == key.npos
             ? std::string_view{}
             : key.substr(from + 1, to - from - 1);
  });
  scan(bsm::column::idempotency, [](std::string_view key) {
    constexpr std::string_view ledger{"\x01tool\0", 6};
    if (key.substr(0, ledger.size()) != ledger)
      return std::string_view{};
    key.remove_prefix(ledger.size());
    return key.substr(0, key.find('/'));
  });
  return result;
}

// A durable tell of a chat with `agent` in `session` through `port`.
std::optional<bsm::test::http_response> tell_chat(uint16_t port,
                                                  const std::string& agent,
                                                  const std::string& session,
                                                  const std::string& input) {
  nlohmann::json body{
    {"type", "bsm.v1.ChatRequest"},
    {"payload", {{"agent", agent}, {"session_id", session}, {"input", input}}}};
  return post_json(port, "/v1/actors/agents%2F" + agent + "/messages",
                   body.dump());
}

class ClusterRollingTest : public ClusterOwnershipTest {
protected:
  static constexpr int keepers = 8;
  /// Hashed agents whose model answers after a while, so that a graceful
  /// stop finds their turns in flight.
  static constexpr int scribes = 3;
  static constexpr int scratches = 6;
  /// Steps per sender thread at most, whatever the restarts take.
  static constexpr int max_steps = 3000;

  struct acked_chat {
    std::string agent;
    std::string session;
    std::string input;
  };

  struct acked_write {
    std::string agent;
    std::string key;
    std::string value; // as protobuf's JSON mapping has it: base64
  };

  void SetUp() override {
    ClusterOwnershipTest::SetUp();
    write_keepers(dir_.path() / "agents");
    for (int i = 0; i < scribes; ++i)
      write_file(dir_.path() / "agents" / (scribe(i) + ".yaml"),
                 "name: " + scribe(i)
                   + "\ndescription: Writes down what it is told.\n"
                     "system_prompt: You are a scribe.\n"
                     "model: {provider: openai, name: test-model}\n");
    up_.repeat_delayed(40ms, json_reply(200, completion("Noted.")));
    more_yaml_ = "openai:\n  base_url: " + up_.base_url()
                 + "\n  api_key: test\n  retry_backoff_initial: 10ms\n"
                   "  retry_backoff_max: 50ms\n";
  }

  void TearDown() override {
    stop_load();
    ClusterOwnershipTest::TearDown();
  }

  static std::string keeper(int i) {
    return "keeper-" + std::to_string(i % keepers);
  }

  static std::string scratch(int i) {
    return "scratch-" + std::to_string(i % scratches);
  }

  static std::string scribe(int i) {
    return "scribe-" + std::to_string(i % scribes);
  }

  static bool is_agent(const std::string& name) {
    return name.rfind("scratch-", 0) != 0;
  }

  /// The agents of the test.
  static std::vector<std::string> agents() {
    std::vector<std::string> result;
    for (int i = 0; i < keepers; ++i)
      result.push_back(keeper(i));
    for (int i = 0; i < scribes; ++i)
      result.push_back(scribe(i));
    return result;
  }

  /// Every name whose memory the load writes.
  static std::vector<std::string> written_names() {
    auto result = agents();
    for (int i = 0; i < scratches; ++i)
      result.push_back(scratch(i));
    return result;
  }

  void publish_ports() {
    for (size_t i = 0; i < nodes_.size(); ++i)
      ports_live_[i] = nodes_[i]->http();
  }

  /// The HTTP port of node `i` while it runs; 0 while it is stopped.
  uint16_t port_of(size_t i) const {
    return ports_live_[i % ports_live_.size()].load();
  }

  /// Runs `step(i, node)` for i = 0, 1, ... on its own thread until
  /// stop_load(), one every `pause` at most: through the nodes in turn
  /// from `first` (a stopped one is skipped), or with `only`, through node
  /// `first` whenever it runs.
  void spawn(size_t first, std::function<bool(int, size_t)> step,
             bool only = false, std::chrono::milliseconds pause = 10ms) {
    auto& acked = acked_steps_.emplace_back(0);
    senders_.emplace_back([this, first, step, only, pause, &acked] {
      for (int i = 0; i < max_steps && !stop_;) {
        std::this_thread::sleep_for(pause);
        auto node
          = (first + (only ? 0 : static_cast<size_t>(i))) % nodes_.size();
        if (port_of(node) == 0 && !only)
          node = (node + 1) % nodes_.size();
        if (port_of(node) == 0)
          continue;
        if (step(i++, node))
          ++acked;
      }
    });
  }

  void stop_load() {
    stop_ = true;
    for (auto& t : senders_)
      if (t.joinable())
        t.join();
  }

  /// Waits until every sender had `n` more steps acknowledged than now.
  ::testing::AssertionResult load_moves_on(int n) {
    std::vector<int> target;
    for (const auto& x : acked_steps_)
      target.push_back(x.load() + n);
    auto moved = poll_until([&] {
      for (size_t i = 0; i < target.size(); ++i)
        if (acked_steps_[i].load() < target[i])
          return false;
      return true;
    });
    if (moved)
      return ::testing::AssertionSuccess();
    auto failure = ::testing::AssertionFailure() << "acknowledged steps:";
    for (const auto& x : acked_steps_)
      failure << " " << x.load();
    return failure;
  }

  /// Sender `t` chats with the keepers, each input telling the agent to
  /// remember a key of its own (a memory_put tool call), or with `slow`
  /// with the scribes (one chat every 100 ms, which their turns keep up
  /// with): asked through the chat route in sessions "ask-<t>", or with
  /// `told` as durable tells in sessions "tell-<t>-<node>", one per node
  /// it sends through (whose outbox keeps their order).
  void spawn_chats(int t, bool told, bool slow = false) {
    spawn(
      static_cast<size_t>(t),
      [this, t, told, slow](int i, size_t node) {
        auto n = std::to_string(t) + "x" + std::to_string(i);
        acked_chat chat{slow ? scribe(i) : keeper(i),
                        told ? "tell-" + std::to_string(t) + "-"
                                 + std::to_string(node)
                             : "ask-" + std::to_string(t),
                        slow ? "line " + n : "remember c" + n + " is v" + n};
        nlohmann::json asked{{"input", chat.input},
                             {"session_id", chat.session}};
        auto res
          = told
              ? tell_chat(port_of(node), chat.agent, chat.session, chat.input)
              : post_json(port_of(node), "/v1/agents/" + chat.agent + "/chat",
                          asked.dump());
        if (!res || res->status != (told ? 202 : 200))
          return false;
        std::lock_guard<std::mutex> guard{mtx_};
        chats_.push_back(std::move(chat));
        return true;
      },
      false, slow ? 100ms : 10ms);
  }

  /// Sender `t` appends turns to a session of each name that is no agent
  /// as durable tells with an Idempotency-Key, each sent twice: through
  /// one node, then through the next, as a client retries after an
  /// unclear failure.
  void spawn_keyed_appends(int t) {
    spawn(static_cast<size_t>(t), [this, t](int i, size_t node) {
      acked_write w{scratch(i), "appends",
                    "a" + std::to_string(t) + "x" + std::to_string(i)};
      nlohmann::json turn{{"agent", w.agent},
                          {"session_id", w.key},
                          {"role", "user"},
                          {"content", w.value}};
      bool acked = false;
      for (auto via : {node, node + 1}) {
        if (port_of(via) == 0)
          continue;
        auto res = to_memory(port_of(via), "bsm.v1.SessionAppendRequest", turn,
                             "tell", "append-" + w.value);
        acked = (res && res->status == 202) || acked;
      }
      if (!acked)
        return false;
      std::lock_guard<std::mutex> guard{mtx_};
      appends_.push_back(std::move(w));
      return true;
    });
  }

  /// Sender `t` writes memory of keepers and of names that are no agent,
  /// as durable tells or as asks; after an acknowledged ask it reads the
  /// value back through the next node at once.
  void spawn_writes(int t, const std::string& mode) {
    spawn(static_cast<size_t>(t), [this, t, mode](int i, size_t node) {
      auto value = "v" + std::to_string(t) + "x" + std::to_string(i);
      acked_write w{i % 2 ? keeper(i / 2) : scratch(i / 2),
                    "w" + std::to_string(t) + "x" + std::to_string(i),
                    base64(value)};
      auto res = to_memory(
        port_of(node), "bsm.v1.MemoryPutRequest",
        {{"agent", w.agent}, {"key", w.key}, {"value", w.value}}, mode);
      if (!res || res->status != (mode == "ask" ? 200 : 202))
        return false;
      if (mode == "ask")
        read_back(w, node + 1);
      std::lock_guard<std::mutex> guard{mtx_};
      writes_.push_back(std::move(w));
      return true;
    });
  }

  /// An acknowledged ask's write, read through node `node`: any answer
  /// 200 must hold it.
  void read_back(const acked_write& w, size_t node) {
    auto port = port_of(node);
    if (port == 0)
      return;
    auto res = to_memory(port, "bsm.v1.MemoryGetRequest",
                         {{"agent", w.agent}, {"key", w.key}}, "ask");
    if (!res || res->status != 200)
      return;
    auto got = body_of(*res)["payload"].value("value", "");
    if (got != w.value) {
      std::lock_guard<std::mutex> guard{mtx_};
      stale_reads_.push_back(w.agent + "/" + w.key + " through node "
                             + std::to_string(node % nodes_.size()) + ": "
                             + res->body);
    }
  }

  /// Agents whose turns node `i` ran (its turn series), added to ran_.
  void note_turns_run(size_t i) {
    auto metrics = get(nodes_[i]->http(), "/metrics");
    ASSERT_TRUE(metrics && metrics->status == 200) << describe(metrics);
    for (const auto& agent : agents())
      if (metrics->body.find(R"(bsm_agent_turns_total{agent=")" + agent + "\"")
          != std::string::npos)
        ran_[nodes_[i]->name()].insert(agent);
  }

  /// The owner of each written name, as every node places it (agents) or
  /// as the placement rule puts it (memory of names that are no agent).
  std::map<std::string, std::string> owners() {
    std::map<std::string, std::string> result;
    std::vector<std::string> members;
    for (const auto& n : nodes_)
      members.push_back(n->name());
    for (const auto& name : written_names()) {
      if (!is_agent(name)) {
        result[name]
          = bsm::cluster::rendezvous_owner("memory/" + name, members);
        continue;
      }
      result[name] = owner_of(0, name);
      for (size_t i = 1; i < nodes_.size(); ++i)
        EXPECT_EQ(owner_of(i, name), result[name])
          << nodes_[i]->name() << " places " << name << " elsewhere";
    }
    return result;
  }

  /// No input twice among a session's `users` inputs, and the
  /// acknowledged ones all there, in the order they were acknowledged.
  static void expect_once_in_order(const std::vector<std::string>& users,
                                   const std::vector<std::string>& acked,
                                   const std::string& what) {
    std::set<std::string> unique(users.begin(), users.end());
    EXPECT_EQ(unique.size(), users.size()) << what << " holds an input twice";
    std::vector<std::string> acked_seen;
    for (const auto& u : users)
      if (std::find(acked.begin(), acked.end(), u) != acked.end())
        acked_seen.push_back(u);
    EXPECT_EQ(acked_seen, acked)
      << what << " lost or reordered an acknowledged turn";
  }

  /// Every acknowledged write is read through every node, the same.
  void expect_writes_everywhere() {
    std::map<std::string, std::map<std::string, std::string>> wanted;
    for (const auto& w : writes_)
      wanted[w.agent][w.key] = w.value;
    for (const auto& c : chats_) {
      if (c.input.rfind("remember ", 0) != 0)
        continue;
      auto key = c.input.substr(9, c.input.find(" is ") - 9);
      wanted[c.agent][key] = base64(c.input.substr(c.input.find(" is ") + 4));
    }
    for (const auto& name : written_names())
      for (size_t i = 0; i < nodes_.size(); ++i) {
        std::optional<std::map<std::string, std::string>> got;
        // Durable tells may still wait in an outbox.
        bool all = poll_until([&] {
          got = memory_entries(nodes_[i]->http(), name);
          return got
                 && std::all_of(wanted[name].begin(), wanted[name].end(),
                                [&](const auto& x) {
                                  auto j = got->find(x.first);
                                  return j != got->end()
                                         && j->second == x.second;
                                });
        });
        EXPECT_TRUE(all) << name << " through " << nodes_[i]->name() << ": "
                         << (got ? got->size() : 0) << " entries, "
                         << wanted[name].size() << " acknowledged";
      }
  }

  /// A session's turns through `port`: an agent's through its session
  /// route, another name's by asking memory.
  static nlohmann::json read_session(uint16_t port, const std::string& agent,
                                     const std::string& session) {
    if (is_agent(agent))
      return session_turns(port, agent, session, "?limit=1000");
    auto res = to_memory(
      port, "bsm.v1.SessionReadRequest",
      {{"agent", agent}, {"session_id", session}, {"limit", 1000}}, "ask");
    if (!res || res->status != 200)
      return describe(res);
    return body_of(*res)["payload"].value("turns", nlohmann::json::array());
  }

  /// The turns of a session once every node reads the same and the
  /// `acked` inputs are all there (durable tells may still be on their
  /// way), or as node A last read them.
  nlohmann::json settled_session(const std::string& agent,
                                 const std::string& session,
                                 const std::vector<std::string>& acked) {
    nlohmann::json first;
    auto settled = poll_until([&] {
      first = read_session(nodes_[0]->http(), agent, session);
      if (!first.is_array())
        return false;
      for (size_t i = 1; i < nodes_.size(); ++i)
        if (read_session(nodes_[i]->http(), agent, session) != first)
          return false;
      std::set<std::string> contents;
      for (const auto& turn : first)
        contents.insert(turn["content"].get<std::string>());
      return std::all_of(acked.begin(), acked.end(),
                         [&](const auto& x) { return contents.count(x) > 0; });
    });
    EXPECT_TRUE(settled) << agent << "/" << session
                         << " never read the same through every node with "
                         << acked.size() << " acknowledged inputs: " << first;
    return first.is_array() ? first : nlohmann::json::array();
  }

  /// Each session of keyed appends holds every acknowledged one once.
  void expect_keyed_appends_once() {
    std::map<std::string, std::vector<std::string>> acked;
    for (const auto& w : appends_)
      acked[w.agent].push_back(w.value);
    for (const auto& [agent, contents] : acked) {
      auto turns = settled_session(agent, "appends", contents);
      std::map<std::string, int> seen;
      for (const auto& turn : turns)
        ++seen[turn["content"].get<std::string>()];
      for (const auto& [content, n] : seen)
        EXPECT_EQ(n, 1) << agent << "/appends holds " << content << " " << n
                        << " times";
    }
  }

  /// Each session reads the same through every node: user and assistant
  /// turns alternate, no input twice, every acknowledged one in order.
  void expect_sessions_once_in_order(
    const std::map<std::string, std::string>& owner) {
    std::map<std::pair<std::string, std::string>, std::vector<std::string>>
      acked;
    for (const auto& c : chats_)
      acked[{c.agent, c.session}].push_back(c.input);
    for (const auto& [id, inputs] : acked) {
      const auto& [agent, session] = id;
      auto first = settled_session(agent, session, inputs);
      std::vector<std::string> users;
      for (size_t j = 0; j < first.size(); ++j) {
        EXPECT_EQ(first[j]["role"], j % 2 ? "assistant" : "user")
          << agent << "/" << session << " turn " << j << ": " << first;
        if (j % 2 == 0)
          users.push_back(first[j]["content"].get<std::string>());
      }
      expect_once_in_order(users, inputs, agent + "/" + session);
      auto list = get(nodes_[1]->http(), "/v1/agents/" + agent + "/sessions");
      ASSERT_TRUE(list && list->status == 200) << describe(list);
      auto sessions = body_of(*list)["sessions"];
      for (const auto& s : sessions)
        EXPECT_EQ(s["node"], owner.at(agent)) << list->body;
    }
  }

  /// After every node stopped: the state of each of `names` is in its
  /// owner's store and in no other's; no node but the owner ran a keeper's
  /// turn.
  void
  expect_state_only_on_owners(const std::map<std::string, std::string>& owner,
                              const std::vector<std::string>& names) {
    for (const auto& n : nodes_) {
      auto held = stored_keys_by_agent(n->data_dir());
      for (const auto& name : names) {
        if (owner.at(name) == n->name())
          EXPECT_GT(held[name], 0u)
            << n->name() << " owns " << name << " but holds nothing of it";
        else
          EXPECT_EQ(held[name], 0u)
            << n->name() << " holds " << held[name] << " keys of " << name
            << ", owned by " << owner.at(name);
      }
      for (const auto& agent : ran_[n->name()])
        EXPECT_EQ(owner.at(agent), n->name())
          << n->name() << " ran a turn of " << agent;
    }
  }

  scripted_upstream up_;

  std::array<std::atomic<uint16_t>, 3> ports_live_{};
  std::atomic<bool> stop_{false};
  std::deque<std::atomic<int>> acked_steps_;
  std::vector<std::thread> senders_;
  std::mutex mtx_;
  std::vector<acked_chat> chats_;
  std::vector<acked_write> writes_;
  /// Session appends: key is the session, value the content.
  std::vector<acked_write> appends_;
  std::vector<std::string> stale_reads_;
  std::map<std::string, std::set<std::string>> ran_;
};

TEST_F(ClusterRollingTest, EveryAcknowledgedEffectStaysWithItsOwnerOnce) {
  configure("static");
  start_all();
  ASSERT_TRUE(await_all_up());
  publish_ports();
  auto owner = owners();
  spawn_chats(0, false);
  spawn_chats(1, false);
  spawn_writes(2, "tell");
  spawn_writes(3, "tell");
  spawn_writes(4, "ask");
  spawn_writes(5, "ask");
  spawn_chats(6, true);
  spawn_chats(8, true, true);
  spawn_chats(9, false, true);
  spawn_keyed_appends(7);
  ASSERT_TRUE(load_moves_on(10));
  // Each node stops gracefully under the load and comes back.
  for (size_t i = 0; i < nodes_.size(); ++i) {
    note_turns_run(i);
    ASSERT_EQ(nodes_[i]->stop(), 0) << nodes_[i]->log();
    ports_live_[i] = 0;
    ASSERT_TRUE(nodes_[i]->start()) << nodes_[i]->log();
    ports_live_[i] = nodes_[i]->http();
    ASSERT_TRUE(await_all_up()) << nodes_[i]->name();
    ASSERT_TRUE(load_moves_on(10)) << "after restarting " << nodes_[i]->name();
  }
  stop_load();
  std::cout << "[ rolling  ] acknowledged: " << chats_.size()
            << " chats (asked and told), " << writes_.size()
            << " memory writes, " << appends_.size()
            << " keyed session appends\n";
  EXPECT_TRUE(stale_reads_.empty())
    << stale_reads_.size()
    << " acknowledged writes read back otherwise, first: "
    << stale_reads_.front();
  EXPECT_EQ(owners(), owner);
  expect_writes_everywhere();
  expect_sessions_once_in_order(owner);
  expect_keyed_appends_once();
  for (size_t i = 0; i < nodes_.size(); ++i)
    note_turns_run(i);
  for (size_t i = 0; i < nodes_.size(); ++i)
    ASSERT_EQ(nodes_[i]->stop(), 0) << nodes_[i]->log();
  expect_state_only_on_owners(owner, written_names());
}

TEST_F(ClusterRollingTest,
       ATellThroughARestartingNodeTakesEffectOnceOnTheOwner) {
  // A paused member stays suspect, not down: the restarted node hears A
  // report it up and stays joining until it hears from it too.
  cluster_yaml_ = "  down_after: 120s\n";
  configure("static");
  start_all();
  ASSERT_TRUE(await_all_up());
  auto owner = owners();
  std::string agent, name;
  for (const auto& [x, node] : owner)
    if (node == "node-a" && x.rfind("scribe-", 0) != 0)
      (is_agent(x) ? agent : name) = x;
  ASSERT_FALSE(agent.empty() || name.empty()) << "nothing hashes to node-a";
  nodes_[1]->signal(SIGSTOP);
  ASSERT_EQ(nodes_[2]->stop(), 0) << nodes_[2]->log();
  // From the moment C listens: chats told to A's agent in one session and
  // memory writes to A's partitions, all through C.
  std::atomic<int> refused_joining{0};
  std::vector<std::string> told;
  spawn(
    2,
    [&](int i, size_t) {
      auto n = std::to_string(i / 3);
      std::optional<bsm::test::http_response> res;
      acked_write w{i % 3 == 1 ? name : agent, "t" + n, base64("v" + n)};
      if (i % 3 == 0) {
        res = tell_chat(port_of(2), agent, "through-c",
                        "remember c" + n + " is v" + n);
      } else {
        res = to_memory(
          port_of(2), "bsm.v1.MemoryPutRequest",
          {{"agent", w.agent}, {"key", w.key}, {"value", w.value}}, "tell");
      }
      if (res
          && res->body.find("has not joined its cluster yet")
               != std::string::npos)
        ++refused_joining;
      if (!res || res->status != 202)
        return false;
      std::lock_guard<std::mutex> guard{mtx_};
      if (i % 3 == 0)
        told.push_back("remember c" + n + " is v" + n);
      else
        writes_.push_back(std::move(w));
      return true;
    },
    true);
  ASSERT_TRUE(nodes_[2]->start()) << nodes_[2]->log();
  ports_live_[2] = nodes_[2]->http();
  ASSERT_TRUE(poll_until([&] { return refused_joining >= 30; }))
    << refused_joining << " sends refused while joining";
  EXPECT_TRUE(is_unavailable(get(nodes_[2]->http(), "/readyz"),
                             "has not joined its cluster yet"));
  nodes_[1]->signal(SIGCONT);
  ASSERT_TRUE(await_all_up());
  ASSERT_TRUE(load_moves_on(30));
  stop_load();
  ASSERT_FALSE(told.empty());
  publish_ports();
  // Every acknowledged effect is on A once, read the same through A and C.
  for (const auto& w : writes_)
    for (size_t via : {0, 2})
      EXPECT_TRUE(poll_until([&] {
        return memory_value(nodes_[via]->http(), w.agent, w.key) == w.value;
      }))
        << w.agent << "/" << w.key << " through " << nodes_[via]->name();
  nlohmann::json turns;
  for (size_t via : {0, 2}) {
    ASSERT_TRUE(poll_until([&] {
      turns
        = session_turns(nodes_[via]->http(), agent, "through-c", "?limit=1000");
      return turns.is_array() && turns.size() >= 2 * told.size();
    }))
      << turns;
    std::vector<std::string> inputs;
    for (size_t j = 0; j < turns.size(); j += 2)
      inputs.push_back(turns[j]["content"].get<std::string>());
    expect_once_in_order(inputs, told,
                         agent + "/through-c through " + nodes_[via]->name());
  }
  note_turns_run(0);
  note_turns_run(2);
  for (size_t i = 0; i < nodes_.size(); ++i)
    ASSERT_EQ(nodes_[i]->stop(), 0) << nodes_[i]->log();
  expect_state_only_on_owners(owner, {agent, name});
}

TEST_F(ClusterRollingTest,
       TwoAgentsSharingASessionIdKeepTheirOwnTurnsAndCalls) {
  configure("static");
  start_all();
  ASSERT_TRUE(await_all_up());
  auto owner = owners();
  // Two keepers with one owner (one tool ledger) and one owned elsewhere.
  std::vector<std::string> agents;
  for (int i = 0; i < keepers && agents.size() < 2; ++i)
    for (int j = i + 1; j < keepers && agents.empty(); ++j)
      if (owner[keeper(i)] == owner[keeper(j)])
        agents = {keeper(i), keeper(j)};
  for (int i = 0; i < keepers && agents.size() == 2; ++i)
    if (owner[keeper(i)] != owner[agents[0]])
      agents.push_back(keeper(i));
  ASSERT_EQ(agents.size(), 3u) << "the keepers do not spread over two nodes";
  // The same turn of the same session id with the same call, to each.
  for (const auto& agent : agents) {
    auto via = (index_of(owner[agent]) + 1) % nodes_.size();
    nlohmann::json body{{"input", "remember colour is blue"},
                        {"session_id", "shared"}};
    auto res = post_json(nodes_[via]->http(), "/v1/agents/" + agent + "/chat",
                         body.dump());
    ASSERT_TRUE(res && res->status == 200) << agent << ": " << describe(res);
  }
  for (const auto& agent : agents)
    for (auto& n : nodes_) {
      EXPECT_EQ(memory_value(n->http(), agent, "colour"), base64("blue"))
        << agent << " through " << n->name();
      auto turns = session_turns(n->http(), agent, "shared");
      ASSERT_TRUE(turns.is_array() && turns.size() == 2)
        << agent << " through " << n->name() << ": " << turns;
      EXPECT_EQ(turns[0]["content"], "remember colour is blue");
      auto metrics = get(n->http(), "/metrics");
      ASSERT_TRUE(metrics && metrics->status == 200);
      EXPECT_EQ(metrics->body.find(R"(outcome="replayed")"), std::string::npos)
        << n->name() << " replayed a tool call";
    }
}

TEST_F(ClusterRollingTest, AnAskInFlightWhenItsOwnerStopsIsAnswered) {
  configure("static");
  start_all();
  ASSERT_TRUE(await_all_up());
  auto owner = index_of(owners()[scribe(0)]);
  ASSERT_LT(owner, nodes_.size());
  auto via = (owner + 1) % nodes_.size();
  // The first turn's model answer waits until the test lets it go.
  up_.push_held(json_reply(200, completion("Noted.")));
  auto chat = [&](const std::string& session) {
    nlohmann::json body{{"input", "hold on"}, {"session_id", session}};
    return post_json(nodes_[via]->http(), "/v1/agents/" + scribe(0) + "/chat",
                     body.dump());
  };
  std::optional<bsm::test::http_response> held;
  std::thread asker{[&] {
    held = chat("held");
  }};
  ASSERT_TRUE(up_.await_requests(1, bsm::test::generous_deadline));
  // The owner stops gracefully with that turn in flight: it takes no new
  // ask from another node, and stops its tree only once the one it serves
  // was answered.
  nodes_[owner]->signal(SIGTERM);
  std::optional<bsm::test::http_response> probe;
  EXPECT_TRUE(poll_until([&] {
    probe = chat("probe");
    return is_unavailable(probe, "is stopping");
  }))
    << describe(probe);
  up_.release();
  asker.join();
  ASSERT_TRUE(held) << "the ask in flight got no answer";
  EXPECT_EQ(held->status, 200) << describe(held);
  ASSERT_EQ(nodes_[owner]->exited(), 0) << nodes_[owner]->log();
  ASSERT_TRUE(nodes_[owner]->start()) << nodes_[owner]->log();
  ASSERT_TRUE(await_all_up());
  for (auto& n : nodes_) {
    auto turns = session_turns(n->http(), scribe(0), "held");
    ASSERT_TRUE(turns.is_array() && turns.size() == 2)
      << n->name() << ": " << turns;
    EXPECT_EQ(turns[0]["content"], "hold on");
    EXPECT_EQ(turns[1]["content"], "Noted.");
  }
}

// A streamed chat through a node that does not own the agent: each delta
// crosses the cluster port as the owner's upstream produces it, in both
// stream formats (the upstream holds the rest until the client has read
// the first piece through the other node).
TEST_F(ClusterRollingTest, AStreamedChatThroughAnotherNodeRelaysEachDelta) {
  configure("static");
  start_all();
  ASSERT_TRUE(await_all_up());
  auto owner = index_of(owners()[scribe(0)]);
  ASSERT_LT(owner, nodes_.size());
  auto via = (owner + 1) % nodes_.size();
  struct format {
    std::string target;
    nlohmann::json body;
    bsm::test::header_list headers;
  };
  nlohmann::json messages{{{"role", "user"}, {"content", "go"}}};
  std::vector<format> formats{
    {"/v1/chat/completions",
     {{"model", scribe(0)}, {"messages", messages}, {"stream", true}},
     {}},
    {"/v1/agents/" + scribe(0) + "/chat",
     {{"input", "go"}},
     {{"Accept", "text/event-stream"}}}};
  for (const auto& f : formats) {
    SCOPED_TRACE(f.target);
    up_.push_trickled({chunk({{"role", "assistant"}, {"content", ""}}),
                       chunk({{"content", "first "}})},
                      {chunk({{"content", "second"}}),
                       chunk(nlohmann::json::object(), "stop"), "[DONE]"});
    std::string why;
    auto conn = bsm::test::open_event_stream(nodes_[via]->http(), f.target,
                                             f.body.dump(), f.headers, why);
    ASSERT_TRUE(conn) << why;
    ASSERT_TRUE(conn->read_until("first ", 30s)) << conn->buffered();
    EXPECT_EQ(conn->buffered().find("second"), std::string::npos);
    up_.release();
    ASSERT_TRUE(conn->read_until("0\r\n\r\n", 30s)) << conn->buffered();
    up_.hold();
    std::string text;
    for (const auto& data :
         bsm::test::sse_data(bsm::test::dechunk(conn->buffered()))) {
      auto x = nlohmann::json::parse(data, nullptr, false);
      if (x.contains("choices") && !x["choices"].empty()
          && x["choices"][0]["delta"].contains("content"))
        text += x["choices"][0]["delta"]["content"].get<std::string>();
      else if (x.contains("content") && !x.contains("output"))
        text += x["content"].get<std::string>();
    }
    EXPECT_EQ(text, "first second") << conn->buffered();
  }
  EXPECT_TRUE(ran_turns_of(owner, scribe(0)));
  EXPECT_FALSE(ran_turns_of(via, scribe(0)));
}

// A chat's and an ask's Idempotency-Key are checked at the node that owns
// the target: a retry through another node replays the first answer, with
// one effect, or is refused while the first is still in flight.
TEST_F(ClusterTest, AnIdempotencyKeyIsCheckedAtTheOwnerThroughEveryNode) {
  configure("static");
  start_all();
  ASSERT_TRUE(await_all_up()) << nodes_[0]->log();
  const std::string chat = "/v1/agents/courier/chat";
  const std::string body
    = R"({"input":"remember that the code is 4711","session_id":"s-key"})";
  const std::vector<std::pair<std::string, std::string>> key{
    {"Idempotency-Key", "chat-1"}};
  auto first = post_json(nodes_[0]->http(), chat, body, key);
  ASSERT_TRUE(first && first->status == 200) << describe(first);
  EXPECT_FALSE(first->has_header("Idempotent-Replayed"));
  // courier runs on C: retried through B, and through C, it is the first
  // answer again, and the session holds one turn.
  for (size_t via : {1, 2}) {
    auto retried = post_json(nodes_[via]->http(), chat, body, key);
    ASSERT_TRUE(retried && retried->status == 200) << describe(retried);
    EXPECT_EQ(retried->header("Idempotent-Replayed"), "true");
    EXPECT_EQ(retried->body, first->body);
  }
  auto turns = session_turns(nodes_[1]->http(), "courier", "s-key");
  ASSERT_TRUE(turns.is_array()) << turns;
  ASSERT_EQ(turns.size(), 2u) << turns;
  EXPECT_EQ(turns[0]["content"], "remember that the code is 4711");
  EXPECT_EQ(turns[1]["content"], body_of(*first)["output"]);
  auto other = post_json(nodes_[1]->http(), chat,
                         R"({"input":"forget it","session_id":"s-key"})", key);
  ASSERT_TRUE(other && other->status == 422) << describe(other);
  EXPECT_EQ(body_of(*other)["error"]["code"], "idempotency_key_mismatch");
  // An ask to the ledger (only C has it) held until the test lets it go:
  // the same key through another node is busy meanwhile.
  const std::string messages = "/v1/actors/ledger/messages";
  nlohmann::json ask{{"type", "bsm.v1.PingRequest"},
                     {"mode", "ask"},
                     {"timeout_ms", 120'000},
                     {"payload", {{"payload", base64("hold")}}}};
  const std::vector<std::pair<std::string, std::string>> held_key{
    {"Content-Type", "application/json"}, {"Idempotency-Key", "held-1"}};
  bsm::test::http_connection held{nodes_[0]->http()};
  ASSERT_TRUE(
    held.send(bsm::test::make_request("POST", messages, held_key, ask.dump())))
    << held.error();
  ASSERT_TRUE(poll_until([&] {
    return std::filesystem::exists(nodes_[2]->ledger_dir() / "holding");
  }));
  auto busy
    = post_json(nodes_[1]->http(), messages, ask.dump(), {held_key.back()});
  ASSERT_TRUE(busy && busy->status == 409) << describe(busy);
  EXPECT_EQ(body_of(*busy)["error"]["code"], "conflict");
  write_file(nodes_[2]->ledger_dir() / "release", "go\n");
  auto answer = held.read_response(generous_deadline);
  ASSERT_TRUE(answer && answer->status == 200) << held.error();
  auto replayed
    = post_json(nodes_[1]->http(), messages, ask.dump(), {held_key.back()});
  ASSERT_TRUE(replayed && replayed->status == 200) << describe(replayed);
  EXPECT_EQ(replayed->header("Idempotent-Replayed"), "true");
  EXPECT_EQ(replayed->body, answer->body);
  // With C gone its keys cannot be checked: 503, not a second run from a
  // record kept here.
  nodes_[2]->kill();
  std::optional<bsm::test::http_response> down;
  EXPECT_TRUE(poll_until([&] {
    down = post_json(nodes_[0]->http(), chat, body, key);
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
        // Paces the load (no assertion waits on it).
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
