// A stop under chat load repeats no turn: real bsmd processes take chat
// turns as durable tells to an agent whose model (a scripted upstream in
// the test process) answers after a pause, so turns are in flight when the
// node stops. A SIGTERM drains the mailboxes (the turns in flight finish
// and are acknowledged); a SIGKILL cuts turns between their session append
// and their acknowledgement, and their second delivery appends nothing. At
// the end every session holds each user input exactly once, in the order
// it was sent, each followed by one answer.

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <rocksdb/iterator.h>

#include "protocols/caf_types.hpp"
#include "runtime/error.hpp"
#include "runtime/store/store.hpp"
#include "scripted_upstream.hpp"
#include "test_node.hpp"
#include "tests/common/poll.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::test::completion;
using bsm::test::json_reply;
using bsm::test::scripted_upstream;
using bsm::test::temp_dir;
using bsm::test::test_node;
using json = nlohmann::json;

constexpr int sessions = 4;
constexpr int turns_per_session = 60;
const std::string agent = "scribe";

std::string session_name(int k) {
  return "drain-" + std::to_string(k);
}

std::string input_of(int k, int i) {
  return session_name(k) + " turn " + std::to_string(i);
}

/// The turns of a session as (role, content), in turn order, read from a
/// stopped node's store.
std::vector<std::pair<std::string, std::string>>
session_turns(bsm::store& db, const std::string& session) {
  auto prefix = std::string{"s\0", 2} + agent + '\0' + session + '\0';
  std::unique_ptr<rocksdb::Iterator> it{db.db().NewIterator(
    rocksdb::ReadOptions{}, db.handle(bsm::column::memory))};
  std::vector<std::pair<std::string, std::string>> result;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    bsm::v1::SessionTurn turn;
    EXPECT_TRUE(turn.ParseFromArray(it->value().data(),
                                    static_cast<int>(it->value().size())));
    result.emplace_back(turn.role(), turn.content());
  }
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  return result;
}

class DrainTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto dir = dir_.path() / "agents";
    std::filesystem::create_directories(dir);
    std::ofstream{dir / (agent + ".yaml")}
      << "name: " << agent
      << "\ndescription: Writes down what it is told.\n"
         "system_prompt: You are a scribe.\n"
         "model: {provider: openai, name: test-model}\n"
         "limits: {timeout: 60s}\n";
    // Each answer takes a while, so that a stop finds turns in flight.
    up_.repeat_delayed(40ms, json_reply(200, completion("Noted.")));
  }

  void TearDown() override {
    stopping_ = true;
    for (auto& t : senders_)
      t.join();
    if (node_ && node_->running())
      node_->stop();
  }

  void start() {
    port_ = 0;
    node_.reset();
    node_ = std::make_unique<test_node>(
      dir_.path(), data(),
      std::vector<std::string>{
        "agents.paths=[" + (dir_.path() / "agents").string() + "]",
        "openai.base_url=" + up_.base_url(), "openai.api_key=test",
        "openai.retry_backoff_initial=10ms", "openai.retry_backoff_max=50ms",
        "mailbox.max_deliveries=100", "shutdown.drain_timeout=60s",
        "logging.level=info"});
    ASSERT_NE(node_->port(), 0) << "bsmd did not listen; stderr:\n"
                                << node_->proc().err();
    port_ = node_->port();
  }

  std::filesystem::path data() const {
    return dir_.path() / "data";
  }

  // One sender per session: its turns one after the other, each retried
  // with its Idempotency-Key until the node has it durably.
  void start_senders() {
    for (int k = 0; k < sessions; ++k)
      senders_.emplace_back([this, k] {
        for (int i = 0; i < turns_per_session && !stopping_; ++i) {
          // Refused while the node restarts; a node that never takes it
          // leaves the input missing, which the checks report.
          if (!bsm::test::poll_until([&] { return stopping_ || tell(k, i); }))
            return;
          ++accepted_;
        }
      });
  }

  bool tell(int k, int i) {
    auto port = port_.load();
    if (port == 0)
      return false;
    json body{{"type", "bsm.v1.ChatRequest"},
              {"mode", "tell"},
              {"payload",
               {{"agent", agent},
                {"session_id", session_name(k)},
                {"input", input_of(k, i)}}}};
    auto res = bsm::test::post_json(
      port, "/v1/actors/agents%2F" + agent + "/messages", body.dump(),
      {{"Idempotency-Key", input_of(k, i)}});
    return res && res->status == 202;
  }

  // The model has been asked for at least `n` answers (first runs and
  // repeated ones): the stop comes while turns are being taken.
  bool answered_at_least(size_t n) {
    return up_.await_requests(n, bsm::test::generous_deadline);
  }

  // Every turn sent, and the agent's mailbox empty: every turn answered
  // and acknowledged.
  bool all_delivered() {
    for (auto& t : senders_)
      t.join();
    senders_.clear();
    if (accepted_ != sessions * turns_per_session) {
      ADD_FAILURE() << accepted_ << " turns sent";
      return false;
    }
    std::string last;
    auto empty = bsm::test::poll_until([&] {
      auto res = bsm::test::get(port_, "/v1/actors");
      if (!res || res->status != 200)
        return false;
      last = res->body;
      auto doc = bsm::test::body_of(*res);
      for (const auto& x : doc["actors"])
        if (x.value("name", "") == "agents/" + agent)
          return x.value("mailbox_depth", 1) == 0;
      return false;
    });
    if (!empty)
      ADD_FAILURE() << "still pending: " << last << "\nstderr:\n"
                    << node_->proc().err().substr(0, 20000);
    return empty;
  }

  // After a clean stop: each session holds every input once, in order,
  // each followed by its answer.
  void expect_each_turn_once() {
    auto db = bsm::store::open(data() / "store", {});
    ASSERT_TRUE(db) << bsm::render(db.error());
    for (int k = 0; k < sessions; ++k) {
      auto turns = session_turns(**db, session_name(k));
      std::vector<std::pair<std::string, std::string>> expected;
      for (int i = 0; i < turns_per_session; ++i) {
        expected.emplace_back("user", input_of(k, i));
        expected.emplace_back("assistant", "Noted.");
      }
      EXPECT_EQ(turns, expected) << session_name(k);
    }
  }

  temp_dir dir_;
  scripted_upstream up_;
  // Declared after the upstream: the node goes first.
  std::unique_ptr<test_node> node_;
  std::atomic<uint16_t> port_{0};
  std::atomic<int> accepted_{0};
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> senders_;
};

} // namespace

TEST_F(DrainTest, AGracefulStopUnderChatLoadRepeatsNoTurn) {
  start();
  start_senders();
  for (size_t stop = 1; stop <= 2; ++stop) {
    ASSERT_TRUE(answered_at_least(stop * sessions * turns_per_session / 3));
    port_ = 0;
    EXPECT_EQ(node_->stop(60s).value_or(-1), 0);
    // Every mailbox ended its deliveries in flight before the tree stopped.
    EXPECT_NE(node_->proc().err().find("ended their deliveries"),
              std::string::npos)
      << node_->proc().err();
    start();
  }
  ASSERT_TRUE(all_delivered());
  port_ = 0;
  ASSERT_EQ(node_->stop(60s).value_or(-1), 0);
  expect_each_turn_once();
}

TEST_F(DrainTest, KillsBetweenAppendAndAcknowledgementRepeatNoTurn) {
  start();
  start_senders();
  constexpr size_t kills = 3;
  for (size_t kill = 1; kill <= kills; ++kill) {
    ASSERT_TRUE(
      answered_at_least(kill * sessions * turns_per_session / (kills + 1)));
    port_ = 0;
    node_->kill();
    start();
  }
  ASSERT_TRUE(all_delivered());
  port_ = 0;
  ASSERT_EQ(node_->stop(60s).value_or(-1), 0);
  expect_each_turn_once();
}
