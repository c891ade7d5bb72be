// Acknowledged means never lost: a real node process is driven by several
// senders that number their messages and is killed with SIGKILL at random
// moments, also during its own recovery, and restarted each time. The
// consuming actor's ledger must then show every acknowledged message (lost
// = 0), nothing that was never sent, first deliveries in order per sender,
// one effect per message, and the poison message in dead letters. Journal
// senders append a session turn per message through the memory actor (a
// non-idempotent effect, committed with the envelope's removal): each turn
// must exist exactly once.

#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <nlohmann/json.hpp>

#include "actors/interfaces.hpp"
#include "process.hpp"
#include "runtime/error.hpp"
#include "runtime/mailbox/mailbox_store.hpp"
#include "runtime/store/store.hpp"
#include "runtime/system_config.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::test::process;
using bsm::test::temp_dir;

const std::string ledger_node = LEDGER_NODE_PATH;
const std::string default_config
  = std::string{BSM_SOURCE_DIR} + "/config/node.yaml";

constexpr int senders = 4;
constexpr uint64_t per_sender = 1500;
constexpr uint32_t max_deliveries = 10;

int cycles() {
  const char* x = std::getenv("BSM_CRASH_CYCLES");
  return x != nullptr ? std::max(1, std::atoi(x)) : 10;
}

/// The node under test: started, killed and restarted by the test thread;
/// senders pick up the current connection after each restart.
class node_under_test {
public:
  node_under_test(const temp_dir& dir, caf::actor_system& sys)
    : dir_(dir), sys_(sys) {
    ::setenv("BSM_LEDGER_DIR", dir.path().c_str(), 1);
  }

  /// Starts the node and connects to its cluster port.
  void start() {
    std::filesystem::remove(data() / "ports.json");
    proc_ = std::make_unique<process>(
      std::vector<std::string>{ledger_node,
                               "--config",
                               default_config,
                               "--set",
                               "node.data_dir=" + data().string(),
                               "--set",
                               "cluster.listen=127.0.0.1:0",
                               "--set",
                               "http.listen=127.0.0.1:0",
                               "--set",
                               "logging.level=warn",
                               "--set",
                               "supervision.max_restarts=1000",
                               "--set",
                               "mailbox.max_deliveries="
                                 + std::to_string(max_deliveries),
                               "--set",
                               "mailbox.redelivery_backoff_initial=5ms",
                               "--set",
                               "mailbox.redelivery_backoff_max=50ms",
                               "--set",
                               bsm::test::seed_agents_set()},
      dir_.path());
  }

  /// Waits for ports.json and connects; false if the node died first.
  bool connect() {
    auto path = data() / "ports.json";
    for (int i = 0; i < 1500; ++i) {
      auto text = bsm::test::read_file(path);
      if (!text.empty() && text.back() == '\n') {
        auto addr = nlohmann::json::parse(text)["cluster"].get<std::string>();
        auto port
          = static_cast<uint16_t>(std::stoi(addr.substr(addr.rfind(':') + 1)));
        auto handle = sys_.middleman().remote_actor<bsm::cluster_ingress_actor>(
          "127.0.0.1", port);
        if (!handle)
          return false;
        std::lock_guard<std::mutex> guard{mtx_};
        router_ = *handle;
        return true;
      }
      if (proc_->wait(0ms))
        return false;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  void kill() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      router_ = nullptr;
    }
    proc_->signal(SIGKILL);
    proc_->wait(10s);
  }

  /// Clean stop; returns the exit code.
  std::optional<int> terminate() {
    proc_->signal(SIGTERM);
    return proc_->wait(30s);
  }

  bsm::cluster_ingress_actor router() {
    std::lock_guard<std::mutex> guard{mtx_};
    return router_;
  }

  std::filesystem::path data() const {
    return dir_.path() / "data";
  }

  std::string stderr_text() const {
    return proc_ ? proc_->err() : std::string{};
  }

private:
  const temp_dir& dir_;
  caf::actor_system& sys_;
  std::unique_ptr<process> proc_;
  std::mutex mtx_;
  bsm::cluster_ingress_actor router_;
};

/// Journal senders append a session turn per message to the node's
/// memory: a non-idempotent effect (an append, not a put), committed by
/// the mailbox with the envelope's removal, so it must exist exactly once.
bool is_journal(const std::string& sender) {
  return sender.rfind("journal", 0) == 0;
}

const std::string journal_agent = "ledger";

std::string journal_line(const std::string& sender, uint64_t seq) {
  return sender + " " + std::to_string(seq);
}

/// A send of `payload` to `target` from `sender`, its key naming the message.
template <class Payload>
bsm::v1::SendRequest send_of(const std::string& target,
                             const std::string& sender, uint64_t seq,
                             const Payload& payload) {
  bsm::v1::SendRequest req;
  auto& e = *req.mutable_envelope();
  e.set_target(target);
  e.set_sender(sender);
  e.set_type_name(Payload::descriptor()->full_name());
  e.set_payload(payload.SerializeAsString());
  e.set_idempotency_key(sender + "/" + std::to_string(seq));
  return req;
}

bsm::v1::SendRequest message(const std::string& sender, uint64_t seq) {
  if (is_journal(sender)) {
    bsm::v1::SessionAppendRequest turn;
    turn.set_agent(journal_agent);
    turn.set_session_id(sender);
    turn.set_role("user");
    turn.set_content(journal_line(sender, seq));
    return send_of("memory", sender, seq, turn);
  }
  bsm::v1::PingRequest ping;
  ping.set_sequence(seq);
  ping.set_payload(sender);
  return send_of("ledger", sender, seq, ping);
}

/// Sends `count` messages one after another, each retried (same
/// idempotency key) until acknowledged. Returns the acknowledged count.
/// Retried sends the node recognised by their key, over all senders.
std::atomic<uint64_t> duplicates{0};

uint64_t run_sender(caf::actor_system& sys, node_under_test& node,
                    const std::string& name, uint64_t count,
                    std::atomic<bool>& give_up) {
  caf::scoped_actor self{sys};
  uint64_t seq = 0;
  while (seq < count && !give_up) {
    auto router = node.router();
    if (!router) {
      std::this_thread::sleep_for(5ms);
      continue;
    }
    bool acked = false;
    self->request(router, 2s, message(name, seq))
      .receive(
        [&](bsm::v1::SendResponse& resp) {
          acked = true;
          if (resp.duplicate())
            ++duplicates;
        },
        [&](caf::error&) {});
    if (acked)
      ++seq;
    else
      std::this_thread::sleep_for(5ms);
  }
  return seq;
}

/// The contents of a journal session's turns, in turn order, read from a
/// stopped node's store.
caf::expected<std::vector<std::string>>
session_contents(bsm::store& db, const std::string& session) {
  auto prefix = std::string{"s\0", 2} + journal_agent + '\0' + session + '\0';
  std::unique_ptr<rocksdb::Iterator> it{db.db().NewIterator(
    rocksdb::ReadOptions{}, db.handle(bsm::column::memory))};
  std::vector<std::string> result;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    bsm::v1::SessionTurn turn;
    if (!turn.ParseFromArray(it->value().data(),
                             static_cast<int>(it->value().size())))
      return bsm::make_error(bsm::errc::internal, "corrupt turn");
    result.push_back(turn.content());
  }
  if (!it->status().ok())
    return bsm::make_error(bsm::errc::internal, it->status().ToString());
  return result;
}

struct ledger_lines {
  std::vector<std::pair<std::string, uint64_t>> entries;
};

ledger_lines read_ledger(const std::filesystem::path& path) {
  ledger_lines result;
  std::ifstream in{path};
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields{line};
    std::string sender;
    uint64_t seq = 0;
    fields >> sender >> seq;
    result.entries.emplace_back(sender, seq);
  }
  return result;
}

TEST(CrashLedger, KillNineNeverLosesAnAcknowledgedMessage) {
  temp_dir dir;
  bsm::system_config cfg;
  cfg.load<caf::io::middleman>();
  caf::actor_system sys{cfg};
  node_under_test node{dir, sys};
  node.start();
  ASSERT_TRUE(node.connect()) << node.stderr_text();

  std::atomic<bool> give_up{false};
  std::vector<std::string> names;
  std::vector<uint64_t> acked(senders, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < senders; ++i)
    names.push_back("s" + std::to_string(i));
  for (int i = 0; i < senders; ++i) {
    threads.emplace_back([&, i] {
      acked[static_cast<size_t>(i)] = run_sender(
        sys, node, names[static_cast<size_t>(i)], per_sender, give_up);
    });
  }
  // Non-idempotent consumers: session appends in the node's memory.
  std::vector<std::string> journals;
  for (int i = 0; i < 8; ++i)
    journals.push_back("journal" + std::to_string(i));
  std::vector<uint64_t> journal_acked(journals.size(), 0);
  for (size_t i = 0; i < journals.size(); ++i)
    threads.emplace_back([&, i] {
      journal_acked[i]
        = run_sender(sys, node, journals[i], per_sender, give_up);
    });
  // One message that crashes its handler every time.
  std::thread poison{[&] {
    run_sender(sys, node, "poison", 1, give_up);
  }};

  std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> uptime_ms{150, 700};
  std::uniform_int_distribution<int> recovery_kill_ms{0, 40};
  for (int cycle = 1; cycle <= cycles(); ++cycle) {
    std::this_thread::sleep_for(std::chrono::milliseconds{uptime_ms(rng)});
    node.kill();
    node.start();
    if (cycle % 3 == 0) {
      // Killed again while it recovers its mailboxes.
      std::this_thread::sleep_for(
        std::chrono::milliseconds{recovery_kill_ms(rng)});
      node.kill();
      node.start();
    }
    ASSERT_TRUE(node.connect())
      << "cycle " << cycle << ": " << node.stderr_text();
  }

  // Let the senders finish, then let the consumer drain.
  auto deadline = std::chrono::steady_clock::now() + 90s;
  std::thread watchdog{[&] {
    while (std::chrono::steady_clock::now() < deadline && !give_up)
      std::this_thread::sleep_for(50ms);
    give_up = true;
  }};
  for (auto& t : threads)
    t.join();
  poison.join();
  uint64_t total = 0;
  for (auto n : acked)
    total += n;
  ASSERT_EQ(total, senders * per_sender) << "senders did not finish in time";
  for (auto n : journal_acked)
    ASSERT_EQ(n, per_sender) << "journal senders did not finish in time";
  auto effects_path = dir.path() / "effects.log";
  while (read_ledger(effects_path).entries.size() < total && !give_up)
    std::this_thread::sleep_for(50ms);
  give_up = true;
  watchdog.join();
  ASSERT_EQ(node.terminate(), 0) << node.stderr_text();

  // lost = 0 and unexpected = 0, first deliveries in order per sender.
  auto deliveries = read_ledger(dir.path() / "deliveries.log");
  std::map<std::string, std::set<uint64_t>> seen;
  std::map<std::string, int64_t> last_first;
  size_t unexpected = 0;
  size_t out_of_order = 0;
  for (auto& [sender, seq] : deliveries.entries) {
    auto i = std::find(names.begin(), names.end(), sender);
    if (i == names.end() || seq >= per_sender) {
      ++unexpected;
      continue;
    }
    if (!seen[sender].insert(seq).second)
      continue; // a redelivery after a crash: allowed
    auto& last = last_first.try_emplace(sender, -1).first->second;
    if (static_cast<int64_t>(seq) <= last)
      ++out_of_order;
    last = static_cast<int64_t>(seq);
  }
  size_t lost = 0;
  for (auto& name : names)
    lost += per_sender - seen[name].size();
  EXPECT_EQ(lost, 0u);
  EXPECT_EQ(unexpected, 0u);
  EXPECT_EQ(out_of_order, 0u);

  // Exactly one effect per message.
  std::map<std::pair<std::string, uint64_t>, int> effects;
  for (auto& entry : read_ledger(effects_path).entries)
    ++effects[entry];
  size_t wrong_effects = 0;
  for (auto& name : names)
    for (uint64_t seq = 0; seq < per_sender; ++seq)
      if (effects[{name, seq}] != 1)
        ++wrong_effects;
  EXPECT_EQ(wrong_effects, 0u);
  EXPECT_EQ(effects.size(), senders * per_sender);
  std::cout << "[ledger] " << deliveries.entries.size() << " deliveries of "
            << total << " messages over " << cycles() << " kill cycles; "
            << duplicates << " retried sends recognised as duplicates\n";

  // Nothing is left pending; the poison message is in dead letters.
  auto db = bsm::store::open(node.data() / "store", {});
  ASSERT_TRUE(db) << bsm::render(db.error());
  auto pending = bsm::mailbox::pending_targets(**db);
  ASSERT_TRUE(pending);
  EXPECT_TRUE(pending->empty());
  auto dead = bsm::mailbox::dead_letters(**db, "ledger", 10);
  ASSERT_TRUE(dead);
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].envelope().sender(), "poison");
  EXPECT_GE((*dead)[0].envelope().attempt(), max_deliveries);

  // Every journal message appended exactly once: no loss, no duplicate,
  // in order per session, across every kill.
  for (const auto& journal : journals) {
    auto turns = session_contents(**db, journal);
    ASSERT_TRUE(turns) << bsm::render(turns.error());
    std::map<std::string, int> count;
    for (const auto& text : *turns)
      ++count[text];
    size_t missing = 0;
    size_t repeated = 0;
    for (uint64_t seq = 0; seq < per_sender; ++seq) {
      auto n = count[journal_line(journal, seq)];
      missing += n == 0 ? 1 : 0;
      repeated += n > 1 ? static_cast<size_t>(n - 1) : 0;
    }
    EXPECT_EQ(missing, 0u) << journal;
    EXPECT_EQ(repeated, 0u) << journal;
    EXPECT_EQ(turns->size(), per_sender) << journal;
    for (size_t i = 0; i < turns->size(); ++i)
      ASSERT_EQ((*turns)[i], journal_line(journal, i))
        << journal << " turn " << i;
  }
}

} // namespace
