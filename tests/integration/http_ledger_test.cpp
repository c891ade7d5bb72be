// The HTTP bridge against a node with the crash test's ledger actor:
// - a 202 from `tell` means the message is in the durable mailbox: scripts
//   POST numbered messages while the node is killed with SIGKILL and
//   restarted (on a new port each time); every message that got a 202 is
//   processed, once, after the last restart;
// - GET /v1/events streams supervision events: a poison message crashes
//   the ledger actor, and the stream shows the crash and the restart.

#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "node/bsmctl/http_client.hpp"
#include "process.hpp"
#include "runtime/error.hpp"
#include "tests/common/poll.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::test::process;
using bsm::test::temp_dir;

const std::string ledger_node = LEDGER_NODE_PATH;
const std::string default_config
  = std::string{BSM_SOURCE_DIR} + "/config/node.yaml";

constexpr int senders = 3;
constexpr int kill_cycles = 4;

/// The ledger node, restarted by the test; senders read its current URL.
class http_node {
public:
  explicit http_node(const temp_dir& dir) : dir_(dir) {
    ::setenv("BSM_LEDGER_DIR", dir.path().c_str(), 1);
  }

  /// Starts the node and waits for its HTTP address; false if it died.
  bool start(std::vector<std::string> extra = {}) {
    auto data = dir_.path() / "data";
    std::filesystem::remove(data / "ports.json");
    proc_ = std::make_unique<process>(
      bsm::test::node_argv(ledger_node, default_config, data, extra),
      dir_.path());
    auto addr = bsm::test::await_http_address(data, *proc_);
    if (!addr)
      return false;
    std::lock_guard<std::mutex> guard{mtx_};
    url_ = "http://" + *addr;
    return true;
  }

  void kill() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      url_.clear();
    }
    proc_->signal(SIGKILL);
    proc_->wait(10s);
  }

  std::optional<int> terminate() {
    proc_->signal(SIGTERM);
    return proc_->wait(30s);
  }

  std::string url() {
    std::lock_guard<std::mutex> guard{mtx_};
    return url_;
  }

  std::string stderr_text() const {
    return proc_ ? proc_->err() : std::string{};
  }

private:
  const temp_dir& dir_;
  std::unique_ptr<process> proc_;
  std::mutex mtx_;
  std::string url_;
};

// The ledger records the PingRequest's payload bytes as the sender name.
std::string tell_body(const std::string& name_base64, uint64_t seq) {
  return R"({"type":"bsm.v1.PingRequest","mode":"tell","payload":{"sequence":")"
         + std::to_string(seq) + R"(","payload":")" + name_base64 + "\"}}";
}

/// Posts numbered messages in order until `stop`, each retried with the
/// same Idempotency-Key until it gets a 202 (also past `stop`). Returns how
/// many got one; counts the attempts that did not in `refused`.
uint64_t run_sender(http_node& node, const std::string& name,
                    const std::string& name_base64,
                    const std::atomic<bool>& stop,
                    const std::atomic<bool>& give_up,
                    std::atomic<uint64_t>& refused) {
  uint64_t seq = 0;
  bool pending = false;
  std::string url;
  std::unique_ptr<bsm::ctl::http_client> client;
  while ((pending || !stop) && !give_up) {
    pending = true;
    if (auto now = node.url(); now != url || !client) {
      url = now;
      if (url.empty()) {
        std::this_thread::sleep_for(5ms);
        continue;
      }
      client = std::make_unique<bsm::ctl::http_client>(url, "");
    }
    bsm::ctl::http_request req;
    req.method = "POST";
    req.path = "/v1/actors/ledger/messages";
    req.body = tell_body(name_base64, seq);
    req.headers.push_back("Idempotency-Key: " + name + "/"
                          + std::to_string(seq));
    req.timeout = 5s;
    auto res = client->send(req);
    if (res && res->status == 202) {
      ++seq;
      pending = false;
      continue;
    }
    ++refused;
    client.reset(); // reconnect, maybe to a new port
    std::this_thread::sleep_for(5ms);
  }
  return seq;
}

std::map<std::pair<std::string, uint64_t>, int>
read_effects(const std::filesystem::path& path) {
  std::map<std::pair<std::string, uint64_t>, int> result;
  std::ifstream in{path};
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields{line};
    std::string sender;
    uint64_t seq = 0;
    fields >> sender >> seq;
    ++result[{sender, seq}];
  }
  return result;
}

TEST(HttpTellCrash, EveryAcceptedTellIsProcessedAfterKillNine) {
  bsm::ctl::curl_global curl;
  temp_dir dir;
  http_node node{dir};
  ASSERT_TRUE(node.start()) << node.stderr_text();
  const char* names[senders] = {"s0", "s1", "s2"};
  const char* names_base64[senders] = {"czA=", "czE=", "czI="};
  std::atomic<bool> stop{false};
  std::atomic<bool> give_up{false};
  std::atomic<uint64_t> refused{0};
  std::vector<uint64_t> accepted(senders, 0);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < senders; ++i)
    threads.emplace_back([&, i] {
      accepted[i]
        = run_sender(node, names[i], names_base64[i], stop, give_up, refused);
    });
  std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> uptime_ms{200, 600};
  for (int cycle = 1; cycle <= kill_cycles; ++cycle) {
    std::this_thread::sleep_for(std::chrono::milliseconds{uptime_ms(rng)});
    node.kill();
    ASSERT_TRUE(node.start())
      << "cycle " << cycle << ": " << node.stderr_text();
  }
  std::this_thread::sleep_for(200ms);
  stop = true;
  auto deadline = std::chrono::steady_clock::now() + 90s;
  std::thread watchdog{[&] {
    while (std::chrono::steady_clock::now() < deadline && !give_up)
      std::this_thread::sleep_for(50ms);
    give_up = true;
  }};
  for (auto& t : threads)
    t.join();
  ASSERT_FALSE(give_up) << "a sender did not get its last message in";
  // The kills hit the senders: some requests failed and were retried.
  EXPECT_GT(refused.load(), 0u);
  auto effects_path = dir.path() / "effects.log";
  auto all_there = [&] {
    auto effects = read_effects(effects_path);
    for (size_t i = 0; i < senders; ++i)
      for (uint64_t seq = 0; seq < accepted[i]; ++seq)
        if (effects.count({names[i], seq}) == 0)
          return false;
    return true;
  };
  while (!all_there() && !give_up)
    std::this_thread::sleep_for(50ms);
  give_up = true;
  watchdog.join();
  EXPECT_EQ(node.terminate(), 0) << node.stderr_text();
  auto effects = read_effects(effects_path);
  size_t lost = 0;
  size_t repeated = 0;
  for (size_t i = 0; i < senders; ++i)
    for (uint64_t seq = 0; seq < accepted[i]; ++seq) {
      auto n = effects[{names[i], seq}];
      lost += n == 0 ? 1 : 0;
      repeated += n > 1 ? 1 : 0;
    }
  EXPECT_EQ(lost, 0u);
  EXPECT_EQ(repeated, 0u);
  for (auto n : accepted)
    EXPECT_GT(n, 0u);
}

TEST(HttpEvents, StreamsSupervisionEventsOfACrashingActor) {
  bsm::ctl::curl_global curl;
  temp_dir dir;
  http_node node{dir};
  // Heartbeats let the reader give up in time if no event comes.
  ASSERT_TRUE(node.start({"http.sse_heartbeat=200ms"})) << node.stderr_text();
  auto give_up_at = std::chrono::steady_clock::now() + 20s;
  std::vector<nlohmann::json> events;
  std::atomic<bool> subscribed{false};
  std::thread reader{[&] {
    bsm::ctl::http_client client{node.url(), ""};
    auto res = client.stream_lines(
      "/v1/events?topic=supervision.%23", "text/event-stream",
      [&](std::string_view line) {
        if (line.rfind(": subscribed", 0) == 0)
          subscribed = true;
        if (line.rfind("data: ", 0) == 0)
          events.push_back(nlohmann::json::parse(line.substr(6)));
        return events.size() < 2
               && std::chrono::steady_clock::now() < give_up_at;
      });
    EXPECT_TRUE(res) << (res ? "" : bsm::render(res.error()));
  }};
  for (int i = 0; i < 500 && !subscribed; ++i)
    std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(subscribed);
  bsm::ctl::http_client client{node.url(), ""};
  bsm::ctl::http_request req;
  req.method = "POST";
  req.path = "/v1/actors/ledger/messages";
  req.body
    = R"({"type":"bsm.v1.PingRequest","payload":{"payload":"cG9pc29u"}})";
  auto res = client.send(req);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202) << res->body;
  reader.join();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["topic"], "supervision.child_crashed") << events[0];
  EXPECT_EQ(events[0]["source"], "root");
  EXPECT_EQ(events[0]["data"]["child"], "ledger");
  EXPECT_TRUE(events[0]["time"].is_string());
  EXPECT_EQ(events[1]["topic"], "supervision.child_restarted") << events[1];
  EXPECT_EQ(node.terminate(), 0) << node.stderr_text();
}

// The same Idempotency-Key while an ask with it is in flight is a 409: the
// ledger holds the first ask until the test lets it go. An ask whose actor
// answers after its deadline is a 504.
TEST(HttpAsk, ItsKeyIsBusyWhileInFlightAndAMissedDeadlineIs504) {
  bsm::ctl::curl_global curl;
  temp_dir dir;
  http_node node{dir};
  ASSERT_TRUE(node.start()) << node.stderr_text();
  auto ask
    = [&](const std::string& key, const std::string& payload, int timeout_ms) {
        bsm::ctl::http_client client{node.url(), ""};
        bsm::ctl::http_request req;
        req.method = "POST";
        req.path = "/v1/actors/ledger/messages";
        req.body = R"({"type":"bsm.v1.PingRequest","mode":"ask","timeout_ms":)"
                   + std::to_string(timeout_ms) + R"(,"payload":{"payload":")"
                   + payload + R"("}})";
        req.headers.push_back("Idempotency-Key: " + key);
        return client.send(req);
      };
  std::optional<caf::expected<bsm::ctl::http_response>> first;
  std::thread held{[&] {
    first = ask("busy-1", "aG9sZA==", 120'000); // "hold"
  }};
  // The ledger is inside the first ask until `release` exists.
  EXPECT_TRUE(bsm::test::poll_until(
    [&] { return std::filesystem::exists(dir.path() / "holding"); }));
  auto second = ask("busy-1", "aG9sZA==", 120'000);
  std::ofstream{dir.path() / "release"} << "go\n";
  held.join();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 409) << second->body;
  EXPECT_EQ(nlohmann::json::parse(second->body)["error"]["code"], "conflict");
  ASSERT_TRUE(first && *first);
  EXPECT_EQ((*first)->status, 200) << (*first)->body;
  // "slow" is answered after a second, past a deadline of 300 ms.
  auto late = ask("deadline-1", "c2xvdw==", 300);
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, 504) << late->body;
  auto error = nlohmann::json::parse(late->body)["error"];
  EXPECT_EQ(error["code"], "deadline_exceeded") << error;
  EXPECT_EQ(node.terminate(), 0) << node.stderr_text();
}

} // namespace
