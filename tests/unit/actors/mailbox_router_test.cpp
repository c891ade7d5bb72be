// The durable mailbox end to end in one process: router, mailbox actors,
// reader, store writer and a real RocksDB store, delivering to a sink actor
// under a real supervisor.

#include "actors/mailbox_router.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <google/protobuf/empty.pb.h>
#include <spdlog/sinks/null_sink.h>

#include "actors/durable_send.hpp"
#include "runtime/error.hpp"
#include "runtime/mailbox/mailbox_store.hpp"
#include "runtime/mailbox/message_id.hpp"
#include "runtime/supervision/supervisor.hpp"
#include "runtime/system_config.hpp"
#include "tests/common/temp_dir.hpp"
#include "tests/unit/store/failing_fs.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::v1::PingRequest;

/// What the sink saw, shared with the test thread.
struct sink_log {
  std::mutex mtx;
  /// Sequence numbers of PingRequests whose handler finished, in order.
  std::vector<uint64_t> handled;
  /// Deliveries per sequence number, finished or not.
  std::map<uint64_t, int> deliveries;
  std::atomic<int> starts{0};

  std::vector<uint64_t> snapshot() {
    std::lock_guard<std::mutex> guard{mtx};
    return handled;
  }

  int deliveries_of(uint64_t seq) {
    std::lock_guard<std::mutex> guard{mtx};
    return deliveries[seq];
  }
};

// Payload "ok" answers at once; "fail:N" fails the first N deliveries with
// `unavailable`; "throw" always throws (the actor crashes); "refuse" answers
// `invalid_argument`; "later:MS" answers through a response promise MS
// milliseconds on.
caf::behavior sink(caf::event_based_actor* self,
                   std::shared_ptr<sink_log> log) {
  ++log->starts;
  return {
    [self, log](PingRequest& req) -> caf::result<bsm::v1::PingResponse> {
      int n;
      {
        std::lock_guard<std::mutex> guard{log->mtx};
        n = ++log->deliveries[req.sequence()];
      }
      const auto& mode = req.payload();
      if (mode == "throw")
        throw std::runtime_error("poison");
      if (mode == "refuse")
        return bsm::make_error(bsm::errc::invalid_argument, "refused");
      if (mode.rfind("fail:", 0) == 0 && n <= std::stoi(mode.substr(5)))
        return bsm::make_error(bsm::errc::unavailable, "not yet");
      bsm::v1::PingResponse resp;
      resp.set_sequence(req.sequence());
      if (mode.rfind("later:", 0) == 0) {
        auto rp = self->make_response_promise<bsm::v1::PingResponse>();
        std::chrono::milliseconds delay{std::stoi(mode.substr(6))};
        self->delayed_send(self, delay, caf::atom("later"), req.sequence());
        self->become(
          caf::keep_behavior,
          [self, log, rp, resp](caf::atom_value, uint64_t seq) mutable {
            {
              std::lock_guard<std::mutex> guard{log->mtx};
              log->handled.push_back(seq);
            }
            rp.deliver(resp);
            self->unbecome();
          });
        return rp;
      }
      std::lock_guard<std::mutex> guard{log->mtx};
      log->handled.push_back(req.sequence());
      return resp;
    },
  };
}

class MailboxRouter : public ::testing::Test {
protected:
  MailboxRouter() {
    opts.redelivery_backoff_initial = 5ms;
    opts.redelivery_backoff_max = 20ms;
    opts.max_deliveries = 3;
  }

  ~MailboxRouter() override {
    stop();
  }

  /// Opens the store and starts the router; the sink only if `with_sink`.
  void start(bool with_sink = true, size_t window = 1024) {
    auto s = bsm::store::open(dir_.path(), {}, env.get());
    ASSERT_TRUE(s) << bsm::render(s.error());
    db = std::move(*s);
    writer = std::make_unique<bsm::store_writer>(*db);
    names = std::make_shared<bsm::name_registry>();
    metrics = std::make_unique<bsm::metrics::registry>();
    mm = std::make_unique<bsm::mailbox_metrics>(
      bsm::mailbox_metrics::make(*metrics));
    sys = std::make_unique<caf::actor_system>(cfg);
    bsm::mailbox_env menv;
    menv.db = db.get();
    menv.writer = writer.get();
    menv.types = &types;
    menv.names = names;
    menv.opts = opts;
    menv.log = std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::null_sink_mt>());
    menv.metrics = mm.get();
    menv.opts.window = window;
    menv.locals = locals;
    router = sys->spawn(bsm::mailbox_router, menv);
    if (with_sink)
      start_sink();
  }

  /// A supervisor that runs the sink as "sink" and restarts it.
  void start_sink() {
    bsm::supervisor_options sup;
    sup.max_restarts = 100;
    sup.backoff_initial = 1ms;
    sup.backoff_max = 5ms;
    bsm::child_spec spec;
    spec.name = "sink";
    spec.start = [log = log](caf::actor_system& s,
                             const std::string&) -> caf::expected<caf::actor> {
      return s.spawn(sink, log);
    };
    sup.children.push_back(spec);
    bsm::supervision_env senv;
    senv.names = names;
    auto h = bsm::spawn_supervisor(*sys, sup, senv);
    ASSERT_TRUE(h) << bsm::render(h.error());
    supervisor = *h;
    // Children start asynchronously; sends to "sink" need it registered.
    ASSERT_TRUE(
      eventually([&] { return static_cast<bool>(names->get("sink")); }));
  }

  /// Everything down and the store closed, as a node restart does.
  void stop() {
    if (sys) {
      caf::anon_send_exit(router, caf::exit_reason::user_shutdown);
      if (supervisor)
        caf::anon_send_exit(supervisor, caf::exit_reason::user_shutdown);
      router = nullptr;
      supervisor = nullptr;
      sys.reset();
    }
    writer.reset();
    db.reset();
  }

  static bsm::v1::SendRequest ping(uint64_t seq, const std::string& mode = "ok",
                                   const std::string& key = "") {
    PingRequest p;
    p.set_sequence(seq);
    p.set_payload(mode);
    bsm::v1::SendRequest req;
    auto& e = *req.mutable_envelope();
    e.set_target("sink");
    e.set_type_name("bsm.v1.PingRequest");
    e.set_payload(p.SerializeAsString());
    e.set_idempotency_key(key);
    return req;
  }

  caf::expected<bsm::v1::SendResponse> send(const bsm::v1::SendRequest& req) {
    caf::expected<bsm::v1::SendResponse> result{caf::error{}};
    caf::scoped_actor self{*sys};
    self->request(router, 10s, req)
      .receive([&](bsm::v1::SendResponse& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  /// Waits until `pred` holds, up to 10 s.
  template <class Pred>
  bool eventually(Pred pred) {
    for (int i = 0; i < 1000; ++i) {
      if (pred())
        return true;
      std::this_thread::sleep_for(10ms);
    }
    return pred();
  }

  size_t pending_on_disk() {
    v1_read.set_target("sink");
    v1_read.set_to_seq(UINT64_MAX);
    v1_read.set_max_entries(1'000'000);
    auto page = bsm::mailbox::read(*db, v1_read);
    return page ? static_cast<size_t>(page->entries_size()) : SIZE_MAX;
  }

  /// Stops the listed mailbox of "sink" once everything sent so far is
  /// acknowledged (a kill before that would deliver it again) and waits
  /// until it has left the list. Null if none was listed.
  caf::strong_actor_ptr stop_listed_mailbox() {
    if (!eventually([&] { return pending_on_disk() == 0; }))
      return nullptr;
    auto stale = locals->find("sink");
    if (!stale)
      return nullptr;
    caf::anon_send_exit(stale, caf::exit_reason::kill);
    if (!eventually([&] { return locals->find("sink") == nullptr; }))
      return nullptr;
    return stale;
  }

  bsm::test::temp_dir dir_;
  /// Null for the default file system.
  std::unique_ptr<rocksdb::Env> env;
  bsm::mailbox_options opts;
  bsm::system_config cfg;
  bsm::type_registry types = bsm::type_registry::with_bsm_v1_types();
  std::unique_ptr<bsm::store> db;
  std::unique_ptr<bsm::store_writer> writer;
  std::shared_ptr<bsm::name_registry> names;
  std::unique_ptr<bsm::metrics::registry> metrics;
  std::unique_ptr<bsm::mailbox_metrics> mm;
  std::unique_ptr<caf::actor_system> sys;
  bsm::mailbox_router_actor router;
  caf::actor supervisor;
  std::shared_ptr<sink_log> log = std::make_shared<sink_log>();
  std::shared_ptr<bsm::local_mailboxes> locals
    = std::make_shared<bsm::local_mailboxes>();
  bsm::v1::MailboxReadRequest v1_read;
};

std::vector<uint64_t> iota(uint64_t first, uint64_t n) {
  std::vector<uint64_t> result;
  for (uint64_t i = 0; i < n; ++i)
    result.push_back(first + i);
  return result;
}

TEST_F(MailboxRouter, AnswersOnceDurableThenDeliversAndAcknowledges) {
  start();
  auto resp = send(ping(1));
  ASSERT_TRUE(resp) << bsm::render(resp.error());
  EXPECT_EQ(resp->message_id().size(), 26u);
  EXPECT_EQ(resp->seq(), 0u);
  EXPECT_FALSE(resp->duplicate());
  ASSERT_TRUE(eventually([&] { return log->snapshot().size() == 1; }));
  ASSERT_TRUE(eventually([&] { return mm->acknowledged.value() == 1; }));
  ASSERT_TRUE(eventually([&] { return pending_on_disk() == 0; }));
}

TEST_F(MailboxRouter, ListsALocalMailboxForDirectSendsUntilItStops) {
  start();
  EXPECT_EQ(locals->find("sink"), nullptr);
  ASSERT_TRUE(send(ping(1)));
  auto first = locals->find("sink");
  ASSERT_NE(first, nullptr);
  // A send straight to the listed mailbox is appended and delivered as one
  // through the router is.
  auto direct = ping(2);
  direct.mutable_envelope()->set_id(bsm::new_message_id());
  caf::expected<bsm::v1::SendResponse> resp{caf::error{}};
  {
    caf::scoped_actor self{*sys};
    self->request(caf::actor_cast<bsm::mailbox_actor>(first), 10s, direct)
      .receive([&](bsm::v1::SendResponse& x) { resp = std::move(x); },
               [&](caf::error& err) { resp = std::move(err); });
  }
  ASSERT_TRUE(resp) << bsm::render(resp.error());
  EXPECT_EQ(resp->seq(), 1u);
  ASSERT_TRUE(eventually([&] { return log->snapshot().size() == 2; }));
  // A stopped mailbox leaves the list; the next send lists its successor.
  caf::anon_send_exit(first, caf::exit_reason::kill);
  ASSERT_TRUE(eventually([&] { return locals->find("sink") == nullptr; }));
  ASSERT_TRUE(send(ping(3)));
  ASSERT_TRUE(eventually([&] {
    auto next = locals->find("sink");
    return next != nullptr && next != first;
  }));
  ASSERT_TRUE(eventually([&] { return log->snapshot().size() == 3; }));
  EXPECT_EQ(log->snapshot(), (std::vector<uint64_t>{1, 2, 3}));
}

// What the HTTP bridge's retry through the router rests on: a send to a
// listed mailbox that has stopped fails with request_receiver_down and
// appends nothing.
TEST_F(MailboxRouter, ASendToAStoppedListedMailboxFailsAndAppendsNothing) {
  start();
  ASSERT_TRUE(send(ping(1)));
  auto stale = stop_listed_mailbox();
  ASSERT_NE(stale, nullptr);
  auto direct = ping(2);
  direct.mutable_envelope()->set_id(bsm::new_message_id());
  caf::error err;
  {
    caf::scoped_actor self{*sys};
    self->request(caf::actor_cast<caf::actor>(stale), 10s, direct)
      .receive([&](bsm::v1::SendResponse&) {},
               [&](caf::error& x) { err = std::move(x); });
  }
  EXPECT_EQ(err, caf::sec::request_receiver_down) << bsm::render(err);
  EXPECT_EQ(pending_on_disk(), 0u);
  EXPECT_EQ(log->snapshot(), (std::vector<uint64_t>{1}));
}

TEST_F(MailboxRouter, DeliversInSendOrder) {
  start();
  for (uint64_t i = 0; i < 300; ++i)
    ASSERT_TRUE(send(ping(i)));
  ASSERT_TRUE(eventually([&] { return log->snapshot().size() == 300; }));
  EXPECT_EQ(log->snapshot(), iota(0, 300));
}

TEST_F(MailboxRouter, AcknowledgesOnlyWhenAResponsePromiseIsFulfilled) {
  start();
  ASSERT_TRUE(send(ping(1, "later:50")));
  ASSERT_TRUE(send(ping(2)));
  ASSERT_TRUE(eventually([&] { return log->snapshot().size() == 2; }));
  // The second waited for the first's promise: order held.
  EXPECT_EQ(log->snapshot(), (std::vector<uint64_t>{1, 2}));
}

TEST_F(MailboxRouter, DuplicateIdempotencyKeyIsAnsweredWithTheOriginal) {
  start();
  auto first = send(ping(1, "ok", "key-1"));
  ASSERT_TRUE(first);
  auto second = send(ping(1, "ok", "key-1"));
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->duplicate());
  EXPECT_EQ(second->message_id(), first->message_id());
  EXPECT_EQ(second->seq(), first->seq());
  ASSERT_TRUE(send(ping(2)));
  ASSERT_TRUE(eventually([&] { return log->snapshot().size() == 2; }));
  EXPECT_EQ(log->snapshot(), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(mm->duplicates.value(), 1u);
}

TEST_F(MailboxRouter, IdempotencyKeyOf255BytesIsTakenAnd256Refused) {
  start();
  auto longest = send(ping(1, "ok", std::string(255, 'k')));
  ASSERT_TRUE(longest) << bsm::render(longest.error());
  auto over = send(ping(2, "ok", std::string(256, 'k')));
  ASSERT_FALSE(over);
  EXPECT_TRUE(bsm::is(over.error(), bsm::errc::invalid_argument))
    << bsm::render(over.error());
  EXPECT_NE(bsm::render(over.error()).find("longer than 255 bytes"),
            std::string::npos);
}

TEST_F(MailboxRouter, ConcurrentSendsWithOneKeyAppendOnce) {
  start();
  caf::scoped_actor self{*sys};
  // Plain sends: both are in the mailbox before the first append is done.
  self->send(router, ping(7, "ok", "same"));
  self->send(router, ping(7, "ok", "same"));
  std::vector<bsm::v1::SendResponse> answers;
  for (int i = 0; i < 2; ++i)
    self->receive([&](bsm::v1::SendResponse& x) { answers.push_back(x); },
                  caf::after(10s) >> [] { FAIL() << "no answer"; });
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0].message_id(), answers[1].message_id());
  EXPECT_NE(answers[0].duplicate(), answers[1].duplicate());
  // Delivery is in order: a duplicate appended by mistake would be handled
  // before a later send.
  ASSERT_TRUE(send(ping(8)));
  ASSERT_TRUE(eventually([&] { return log->snapshot().size() >= 2; }));
  EXPECT_EQ(log->snapshot(), (std::vector<uint64_t>{7, 8}));
  EXPECT_EQ(mm->appended.value(), 2u);
}

TEST_F(MailboxRouter, IdempotencyKeyIsRememberedAcrossRestarts) {
  start();
  auto first = send(ping(1, "ok", "k"));
  ASSERT_TRUE(first);
  // Acknowledged on disk before the stop, else a redelivery would be right.
  ASSERT_TRUE(eventually([&] { return mm->acknowledged.value() == 1; }));
  ASSERT_TRUE(eventually([&] { return pending_on_disk() == 0; }));
  stop();
  start();
  auto again = send(ping(1, "ok", "k"));
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->duplicate());
  EXPECT_EQ(again->message_id(), first->message_id());
  // Delivery is in order: a duplicate appended by mistake would be handled
  // before a later send.
  ASSERT_TRUE(send(ping(2)));
  ASSERT_TRUE(eventually([&] { return log->snapshot().size() >= 2; }));
  EXPECT_EQ(log->snapshot(), (std::vector<uint64_t>{1, 2}));
}

TEST_F(MailboxRouter, FullMailboxRefusesWithUnavailable) {
  opts.max_depth = 2;
  start();
  ASSERT_TRUE(send(ping(1, "later:2000"))); // in delivery for 2 s
  ASSERT_TRUE(send(ping(2)));
  auto third = send(ping(3));
  ASSERT_FALSE(third);
  EXPECT_TRUE(bsm::is(third.error(), bsm::errc::unavailable));
  EXPECT_NE(bsm::render(third.error()).find("full"), std::string::npos);
  EXPECT_EQ(mm->rejected_full.value(), 1u);
}

TEST_F(MailboxRouter, FailedDeliveryIsRepeatedUntilTheHandlerSucceeds) {
  opts.delivery_window = 1; // one at a time: nothing overtakes the retry
  start();
  ASSERT_TRUE(send(ping(1, "fail:2")));
  ASSERT_TRUE(send(ping(2)));
  ASSERT_TRUE(eventually([&] { return log->snapshot().size() == 2; }));
  EXPECT_EQ(log->snapshot(), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(log->deliveries_of(1), 3);
  EXPECT_EQ(mm->redeliveries.value(), 2u);
}

// In a window the ones after a failed delivery may be handled before its
// retry, and again after it: the last handling of each is in order.
TEST_F(MailboxRouter, AfterAFailureInAWindowTheLastHandlingIsInOrder) {
  start();
  ASSERT_TRUE(send(ping(1, "fail:2")));
  for (uint64_t i = 2; i <= 5; ++i)
    ASSERT_TRUE(send(ping(i)));
  ASSERT_TRUE(eventually([&] { return mm->acknowledged.value() == 5; }));
  auto handled = log->snapshot();
  std::vector<uint64_t> last_order;
  for (auto i = handled.rbegin(); i != handled.rend(); ++i)
    if (std::find(last_order.begin(), last_order.end(), *i) == last_order.end())
      last_order.insert(last_order.begin(), *i);
  EXPECT_EQ(last_order, (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(log->deliveries_of(1), 3);
  // The metric counts an acknowledgement when its write is handed over.
  EXPECT_TRUE(eventually([&] { return pending_on_disk() == 0; }));
}

TEST_F(MailboxRouter, MessageThatAlwaysThrowsReachesDeadLettersAndOthersFlow) {
  start();
  ASSERT_TRUE(send(ping(1, "throw")));
  ASSERT_TRUE(send(ping(2)));
  ASSERT_TRUE(eventually([&] { return log->snapshot().size() == 1; }));
  EXPECT_EQ(log->snapshot(), (std::vector<uint64_t>{2}));
  // Each delivery crashed the sink; its supervisor restarted it each time.
  EXPECT_EQ(log->deliveries_of(1), 3);
  EXPECT_GE(log->starts.load(), 3);
  ASSERT_TRUE(eventually([&] { return mm->dead_lettered.value() == 1; }));
  ASSERT_TRUE(eventually([&] {
    auto dead = bsm::mailbox::dead_letters(*db, "sink", 10);
    return dead && dead->size() == 1;
  }));
  auto dead = bsm::mailbox::dead_letters(*db, "sink", 10);
  EXPECT_EQ((*dead)[0].envelope().attempt(), 3u);
  EXPECT_EQ((*dead)[0].seq(), 0u);
  EXPECT_FALSE((*dead)[0].error().empty());
}

TEST_F(MailboxRouter, RefusedMessageGoesToDeadLettersAtOnce) {
  start();
  ASSERT_TRUE(send(ping(1, "refuse")));
  ASSERT_TRUE(eventually([&] { return mm->dead_lettered.value() == 1; }));
  EXPECT_EQ(log->deliveries_of(1), 1);
  ASSERT_TRUE(eventually([&] {
    auto dead = bsm::mailbox::dead_letters(*db, "sink", 10);
    return dead && dead->size() == 1
           && (*dead)[0].error().find("refused") != std::string::npos;
  }));
}

TEST_F(MailboxRouter, PendingEnvelopesAreDeliveredAfterARestartInOrder) {
  start();
  ASSERT_TRUE(send(ping(0, "later:300"))); // still in delivery at the stop
  for (uint64_t i = 1; i < 50; ++i)
    ASSERT_TRUE(send(ping(i)));
  stop();
  EXPECT_EQ(log->snapshot().size(), 0u);
  start(true, 8); // a small window: recovery pages through the disk
  ASSERT_TRUE(eventually([&] { return log->snapshot().size() == 50; }));
  EXPECT_EQ(log->snapshot(), iota(0, 50));
  EXPECT_EQ(log->deliveries_of(0), 2);
}

TEST_F(MailboxRouter, SequenceNumbersNeverGoBackAfterEverythingIsAcknowledged) {
  start();
  for (uint64_t i = 0; i < 3; ++i)
    ASSERT_TRUE(send(ping(i)));
  ASSERT_TRUE(eventually([&] { return pending_on_disk() == 0; }));
  stop();
  start();
  auto next = send(ping(9));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->seq(), 3u);
}

TEST_F(MailboxRouter, SmallWindowSpillsToDiskAndKeepsOrder) {
  start(true, 4);
  ASSERT_TRUE(send(ping(0, "later:200"))); // the rest queue up meanwhile
  for (uint64_t i = 1; i < 100; ++i)
    ASSERT_TRUE(send(ping(i)));
  ASSERT_TRUE(eventually([&] { return log->snapshot().size() == 100; }));
  EXPECT_EQ(log->snapshot(), iota(0, 100));
}

TEST_F(MailboxRouter, FailingDiskRefusesTheSendAndDeliversNothing) {
  auto fs
    = std::make_shared<bsm::test::failing_fs>(rocksdb::FileSystem::Default());
  env = rocksdb::NewCompositeEnv(fs);
  start();
  ASSERT_TRUE(send(ping(1)));
  ASSERT_TRUE(eventually([&] { return log->snapshot().size() == 1; }));
  *fs->full = true;
  auto r = send(ping(2));
  ASSERT_FALSE(r);
  EXPECT_TRUE(bsm::is(r.error(), bsm::errc::unavailable))
    << bsm::render(r.error());
  // The writer answers the sender; the mailbox counts right after.
  EXPECT_TRUE(eventually([&] { return mm->rejected_store.value() == 1u; }));
  // Once the actor system is gone nothing can arrive any more: what the
  // consumer saw by then is all it will ever see.
  stop();
  EXPECT_EQ(log->snapshot(), (std::vector<uint64_t>{1}));
}

TEST_F(MailboxRouter, RefusesBadEnvelopesWithClearErrors) {
  start();
  auto bad_target = ping(1);
  bad_target.mutable_envelope()->set_target("Bad Target");
  auto r = send(bad_target);
  ASSERT_FALSE(r);
  EXPECT_TRUE(bsm::is(r.error(), bsm::errc::invalid_argument));

  auto unknown_type = ping(1);
  unknown_type.mutable_envelope()->set_type_name("bsm.v1.Nope");
  r = send(unknown_type);
  ASSERT_FALSE(r);
  EXPECT_NE(bsm::render(r.error()).find("bsm.v1.Nope"), std::string::npos);

  auto garbage = ping(1);
  garbage.mutable_envelope()->set_payload("\xff\xff\xff");
  r = send(garbage);
  ASSERT_FALSE(r);
  EXPECT_TRUE(bsm::is(r.error(), bsm::errc::invalid_argument));

  auto nobody = ping(1);
  nobody.mutable_envelope()->set_target("nobody");
  r = send(nobody);
  ASSERT_FALSE(r);
  EXPECT_TRUE(bsm::is(r.error(), bsm::errc::not_found));

  auto huge = ping(1);
  PingRequest p;
  p.set_payload(std::string(opts.max_envelope_bytes, 'x'));
  huge.mutable_envelope()->set_payload(p.SerializeAsString());
  r = send(huge);
  ASSERT_FALSE(r);
  EXPECT_TRUE(bsm::is(r.error(), bsm::errc::resource_exhausted));
  EXPECT_EQ(mm->appended.value(), 0u);
}

// -- send_durable (actors/durable_send.hpp) -----------------------------------

/// Passes sends on to the router and counts them: shows which way a
/// send_durable took.
bsm::mailbox_router_actor::behavior_type
counting_router(bsm::mailbox_router_actor::pointer self,
                bsm::mailbox_router_actor router,
                std::shared_ptr<std::atomic<int>> sends) {
  return {
    [self, router, sends](
      bsm::v1::SendRequest& req) -> caf::delegated<bsm::v1::SendResponse> {
      ++*sends;
      return self->delegate(router, std::move(req));
    },
    [self, router](bsm::v1::MailboxDrainRequest& req)
      -> caf::delegated<bsm::v1::MailboxDrainResponse> {
      return self->delegate(router, std::move(req));
    },
    [self, router](bsm::v1::DeadLetterListRequest& req)
      -> caf::delegated<bsm::v1::DeadLetterListResponse> {
      return self->delegate(router, std::move(req));
    },
    [self, router](bsm::v1::DeadLetterGetRequest& req)
      -> caf::delegated<bsm::v1::DeadLetterEntry> {
      return self->delegate(router, std::move(req));
    },
    [self, router](bsm::v1::DeadLetterDeleteRequest& req)
      -> caf::delegated<bsm::v1::DeadLetterDeleteResponse> {
      return self->delegate(router, std::move(req));
    },
    [self, router](bsm::v1::DeadLetterPurgeRequest& req)
      -> caf::delegated<bsm::v1::DeadLetterPurgeResponse> {
      return self->delegate(router, std::move(req));
    },
  };
}

class DurableSend : public MailboxRouter {
protected:
  void start_route() {
    start();
    route.router = sys->spawn(counting_router, router, via_router);
    route.mailboxes = locals;
    route.types = &types;
    route.max_envelope_bytes = opts.max_envelope_bytes;
  }

  /// send_durable from an actor of its own; its answer, or an error after
  /// 10 s.
  /// With `msg`, the overload that makes the payload from it.
  caf::expected<bsm::v1::SendResponse>
  send_durably(bsm::v1::SendRequest req,
               std::shared_ptr<google::protobuf::Message> msg = nullptr) {
    using result = caf::expected<bsm::v1::SendResponse>;
    auto done = std::make_shared<std::promise<result>>();
    auto answer = done->get_future();
    sys->spawn([this, req, msg, done](caf::event_based_actor* self) mutable {
      auto ok = [self, done](bsm::v1::SendResponse& resp) {
        done->set_value(resp);
        self->quit();
      };
      auto failed = [self, done](caf::error& err) {
        done->set_value(err);
        self->quit();
      };
      if (msg)
        bsm::send_durable(self, route, std::move(req), *msg, ok, failed);
      else
        bsm::send_durable(self, route, std::move(req), ok, failed);
    });
    if (answer.wait_for(10s) != std::future_status::ready)
      return bsm::make_error(bsm::errc::unavailable, "no answer in 10 s");
    return answer.get();
  }

  bsm::durable_route route;
  std::shared_ptr<std::atomic<int>> via_router
    = std::make_shared<std::atomic<int>>(0);
};

TEST_F(DurableSend, GoesThroughTheRouterUntilTheMailboxIsListedThenStraight) {
  start_route();
  auto first = send_durably(ping(1));
  ASSERT_TRUE(first) << bsm::render(first.error());
  EXPECT_EQ(via_router->load(), 1);
  ASSERT_NE(locals->find("sink"), nullptr);
  auto second = send_durably(ping(2));
  ASSERT_TRUE(second) << bsm::render(second.error());
  EXPECT_EQ(via_router->load(), 1);
  EXPECT_EQ(second->seq(), first->seq() + 1);
  EXPECT_EQ(second->message_id().size(), 26u);
  ASSERT_TRUE(eventually([&] { return mm->acknowledged.value() == 2; }));
  EXPECT_EQ(log->snapshot(), (std::vector<uint64_t>{1, 2}));
}

TEST_F(DurableSend, AStoppedListedMailboxSendsItThroughTheRouterOnce) {
  start_route();
  ASSERT_TRUE(send_durably(ping(1)));
  auto stale = stop_listed_mailbox();
  ASSERT_NE(stale, nullptr);
  // Listed again as if the send had looked it up just before it stopped.
  locals->publish("sink", stale->address());
  auto resp = send_durably(ping(2));
  ASSERT_TRUE(resp) << bsm::render(resp.error());
  EXPECT_EQ(via_router->load(), 2);
  ASSERT_TRUE(eventually([&] { return log->snapshot().size() == 2; }));
  ASSERT_TRUE(eventually([&] { return pending_on_disk() == 0; }));
  EXPECT_EQ(log->snapshot(), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(log->deliveries_of(2), 1);
}

TEST_F(DurableSend, StraightToTheMailboxTheRoutersChecksHold) {
  start_route();
  ASSERT_TRUE(send_durably(ping(1)));
  auto garbage = ping(2);
  garbage.mutable_envelope()->set_payload("\xff\xff\xff");
  auto r = send_durably(garbage);
  ASSERT_FALSE(r);
  EXPECT_TRUE(bsm::is(r.error(), bsm::errc::invalid_argument));
  auto huge = ping(3);
  PingRequest p;
  p.set_payload(std::string(opts.max_envelope_bytes, 'x'));
  huge.mutable_envelope()->set_payload(p.SerializeAsString());
  r = send_durably(huge);
  ASSERT_FALSE(r);
  EXPECT_TRUE(bsm::is(r.error(), bsm::errc::resource_exhausted));
  EXPECT_EQ(via_router->load(), 1);
  // The sender's answer comes from the store writer's completion; the
  // mailbox counts the append once it learns of it, a moment later.
  EXPECT_TRUE(eventually([&] { return mm->appended.value() == 1u; }))
    << mm->appended.value();
}

TEST_F(DurableSend, StraightToTheMailboxAFullMailboxRefusesWithUnavailable) {
  opts.max_depth = 1;
  start_route();
  ASSERT_TRUE(send_durably(ping(1, "later:2000"))); // in delivery for 2 s
  auto r = send_durably(ping(2));
  ASSERT_FALSE(r);
  EXPECT_TRUE(bsm::is(r.error(), bsm::errc::unavailable));
  EXPECT_EQ(mm->rejected_full.value(), 1u);
  EXPECT_EQ(via_router->load(), 1);
}

TEST_F(DurableSend, AMessageSentAsItselfArrivesAndAnUnknownTypeIsRefused) {
  start_route();
  ASSERT_TRUE(send_durably(ping(1)));
  bsm::v1::SendRequest req;
  req.mutable_envelope()->set_target("sink");
  auto msg = std::make_shared<PingRequest>();
  msg->set_sequence(2);
  msg->set_payload("ok");
  auto resp = send_durably(req, msg);
  ASSERT_TRUE(resp) << bsm::render(resp.error());
  ASSERT_TRUE(eventually([&] { return log->snapshot().size() == 2; }));
  EXPECT_EQ(log->snapshot(), (std::vector<uint64_t>{1, 2}));
  // Not one of the node's message types: refused as the router refuses it.
  auto r = send_durably(req, std::make_shared<google::protobuf::Empty>());
  ASSERT_FALSE(r);
  EXPECT_TRUE(bsm::is(r.error(), bsm::errc::invalid_argument))
    << bsm::render(r.error());
  EXPECT_EQ(via_router->load(), 1);
  EXPECT_EQ(mm->appended.value(), 2u);
}

} // namespace
