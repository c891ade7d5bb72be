#include "tests/unit/actors/deterministic_mailbox.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

// The test engine's definitions that the fixture uses; gtest has the main.
#define CAF_TEST_NO_MAIN
#include <caf/test/unit_test_impl.hpp>

namespace bsm::test {

deterministic_mailbox::deterministic_mailbox() {
  auto s = store::open(dir_.path(), {});
  if (!s)
    throw std::runtime_error(render(s.error()));
  db = std::move(*s);
  writer = std::make_unique<store_writer>(*db);
  opts.redelivery_backoff_initial = std::chrono::milliseconds{100};
  opts.redelivery_backoff_max = std::chrono::milliseconds{1000};
  opts.max_deliveries = 3;
  // On the deterministic scheduler, not detached: its reads run when the
  // test lets them.
  reader = sys.spawn(mailbox_reader, db.get());
}

deterministic_mailbox::~deterministic_mailbox() {
  stop(reader);
}

void deterministic_mailbox::leave_on_disk(const std::string& target,
                                          uint64_t from, uint64_t n) {
  rocksdb::WriteBatch batch;
  for (auto seq = from; seq < from + n; ++seq) {
    v1::PingRequest ping;
    ping.set_sequence(seq);
    v1::Envelope e;
    e.set_id("id-" + std::to_string(seq));
    e.set_target(target);
    e.set_type_name("bsm.v1.PingRequest");
    e.set_payload(ping.SerializeAsString());
    auto st
      = mailbox::add_append(*db, batch, target, seq, e.SerializeAsString());
    if (!st.ok())
      throw std::runtime_error(st.ToString());
  }
  auto st = db->db().Write(db->write_options(), &batch);
  if (!st.ok())
    throw std::runtime_error(st.ToString());
}

void deterministic_mailbox::settle() {
  // One message at a time, each after a barrier write: the writer thread
  // only enqueues to an idle actor, so it never touches the scheduler's
  // queue while this thread runs it.
  for (;;) {
    wait_for_writer();
    if (!sched.try_run_once())
      return;
  }
}

void deterministic_mailbox::wait_for_writer() {
  // Every write submitted so far, and its completion, is done once this
  // one's completion ran: the writer runs them in order on one thread.
  std::promise<void> done;
  auto barrier = done.get_future();
  auto err
    = writer->submit([](rocksdb::WriteBatch&) { return rocksdb::Status::OK(); },
                     [&done](const caf::error&) { done.set_value(); });
  if (err)
    throw std::runtime_error(render(err));
  barrier.wait();
}

void deterministic_mailbox::pass(std::chrono::milliseconds d) {
  advance_time(d);
  settle();
}

mailbox_env deterministic_mailbox::make_env() {
  mailbox_env env;
  env.db = db.get();
  env.writer = writer.get();
  env.types = &types;
  env.names = names;
  env.opts = opts;
  env.log = std::make_shared<spdlog::logger>(
    "test", std::make_shared<spdlog::sinks::null_sink_mt>());
  env.metrics = &metrics;
  return env;
}

} // namespace bsm::test
