// Requests timed by the actor's own timer (actors/timed_request.hpp): a
// target that never answers fails the request once, after its deadline,
// and a late answer is ignored; an answer in time is no error; many
// requests share one timer.

#include "actors/timed_request.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "runtime/error.hpp"
#include "runtime/system_config.hpp"
#include "tests/common/poll.hpp"

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

/// What the requester saw.
struct tally {
  std::atomic<int> answers{0};
  std::atomic<int> errors{0};
  std::atomic<int> timeouts{0};
  /// A timeout that came before its deadline.
  std::atomic<int> early{0};
  /// Timers armed right after the last batch of requests went out.
  std::atomic<size_t> armed{0};
  /// Requests pending when asked with "pending".
  std::atomic<size_t> pending{0};
};

struct requester_state {
  bsm::request_deadlines deadlines;
};

using requester_pointer = caf::stateful_actor<requester_state>*;

/// Sends `count` int requests to `target`, each timed out after
/// `timeout_ms`, and counts what comes back in `t`.
caf::behavior requester(requester_pointer self, std::shared_ptr<tally> t) {
  return {
    [self, t](int count, caf::actor target, int timeout_ms) {
      auto timeout = std::chrono::milliseconds{timeout_ms};
      for (int i = 0; i < count; ++i) {
        auto sent = steady::now();
        bsm::timed_request(self, self->state.deadlines, target, timeout, i)
          .then([t](int) { ++t->answers; },
                [t, sent, timeout](caf::error& err) {
                  ++t->errors;
                  if (err == caf::sec::request_timeout)
                    ++t->timeouts;
                  if (steady::now() - sent < timeout)
                    ++t->early;
                });
      }
      t->armed = self->state.deadlines.pending().armed();
    },
    [self, t](const std::string& what) {
      if (what == "pending")
        t->pending = self->state.deadlines.pending().size();
      return what;
    },
    [self](bsm::atom::deadline) { self->state.deadlines.on_timer(self); },
  };
}

caf::behavior echo() {
  return {
    [](int x) { return x; },
  };
}

struct holder_state {
  std::vector<caf::response_promise> held;
};

/// Keeps every request unanswered until told "release".
caf::behavior holder(caf::stateful_actor<holder_state>* self) {
  return {
    [self](int) -> caf::result<int> {
      self->state.held.push_back(self->make_response_promise());
      return caf::delegated<int>{};
    },
    [self](const std::string& what) {
      for (auto& rp : self->state.held)
        rp.deliver(0);
      self->state.held.clear();
      return what;
    },
  };
}

class TimedRequest : public ::testing::Test {
protected:
  // Waits until `who` has handled everything sent to it before.
  void sync(const caf::actor& who, const std::string& what = "sync") {
    caf::scoped_actor self{sys};
    self->request(who, 30s, what)
      .receive([](const std::string&) {},
               [](caf::error& err) { FAIL() << bsm::render(err); });
  }

  bsm::system_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<tally> t = std::make_shared<tally>();
};

TEST_F(TimedRequest, ATargetThatNeverAnswersFailsOnceAfterTheDeadline) {
  auto target = sys.spawn(holder);
  auto req = sys.spawn(requester, t);
  caf::anon_send(req, 1, target, 50);
  ASSERT_TRUE(bsm::test::poll_until([&] { return t->errors.load() == 1; }));
  EXPECT_EQ(t->timeouts.load(), 1);
  EXPECT_EQ(t->early.load(), 0);
  // The answer comes late: it reaches the requester before the "pending"
  // query and finds no handler.
  sync(target, "release");
  sync(req, "pending");
  EXPECT_EQ(t->answers.load(), 0);
  EXPECT_EQ(t->errors.load(), 1);
  EXPECT_EQ(t->pending.load(), 0u);
  caf::anon_send_exit(req, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(target, caf::exit_reason::user_shutdown);
}

TEST_F(TimedRequest, AnAnswerInTimeIsNoErrorAndLeavesNothingPending) {
  auto target = sys.spawn(echo);
  auto req = sys.spawn(requester, t);
  caf::anon_send(req, 100, target, 60'000);
  ASSERT_TRUE(bsm::test::poll_until([&] { return t->answers.load() == 100; }));
  sync(req, "pending");
  EXPECT_EQ(t->errors.load(), 0);
  EXPECT_EQ(t->pending.load(), 0u);
  caf::anon_send_exit(req, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(target, caf::exit_reason::user_shutdown);
}

TEST_F(TimedRequest, ManyRequestsShareOneTimerAndEachFailsOnce) {
  auto target = sys.spawn(holder);
  auto req = sys.spawn(requester, t);
  caf::anon_send(req, 1000, target, 100);
  ASSERT_TRUE(bsm::test::poll_until([&] { return t->errors.load() >= 1000; }));
  EXPECT_EQ(t->armed.load(), 1u);
  EXPECT_EQ(t->timeouts.load(), 1000);
  EXPECT_EQ(t->early.load(), 0);
  sync(target, "release");
  sync(req, "pending");
  EXPECT_EQ(t->errors.load(), 1000);
  EXPECT_EQ(t->answers.load(), 0);
  EXPECT_EQ(t->pending.load(), 0u);
  caf::anon_send_exit(req, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(target, caf::exit_reason::user_shutdown);
}

TEST_F(TimedRequest, ATargetThatIsGoneFailsTheRequestAtOnce) {
  auto target = sys.spawn(echo);
  {
    caf::scoped_actor self{sys};
    self->monitor(target);
    self->send_exit(target, caf::exit_reason::user_shutdown);
    self->receive([](const caf::down_msg&) {});
  }
  auto req = sys.spawn(requester, t);
  caf::anon_send(req, 1, target, 60'000);
  ASSERT_TRUE(bsm::test::poll_until([&] { return t->errors.load() == 1; }));
  EXPECT_EQ(t->timeouts.load(), 0);
  sync(req, "pending");
  EXPECT_EQ(t->pending.load(), 0u);
  caf::anon_send_exit(req, caf::exit_reason::user_shutdown);
}

} // namespace
