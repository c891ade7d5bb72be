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
  ~TimedRequest() override {
    for (auto& a : spawned)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }

  template <class... Ts>
  caf::actor spawn(Ts&&... xs) {
    return spawned.emplace_back(sys.spawn(std::forward<Ts>(xs)...));
  }

  // Waits until `who` has handled everything sent to it before.
  void sync(const caf::actor& who, const std::string& what = "sync") {
    caf::scoped_actor self{sys};
    self->request(who, 30s, what)
      .receive([](const std::string&) {},
               [](caf::error& err) { FAIL() << bsm::render(err); });
  }

  // Sends `count` requests that nobody answers in time: each fails once
  // with request_timeout, not before its deadline, and the answers that
  // come afterwards (before the "pending" query) find no handler.
  void expect_each_to_time_out_once(int count, int timeout_ms) {
    auto target = spawn(holder);
    auto req = spawn(requester, t);
    caf::anon_send(req, count, target, timeout_ms);
    ASSERT_TRUE(
      bsm::test::poll_until([&] { return t->errors.load() >= count; }));
    EXPECT_EQ(t->timeouts.load(), count);
    EXPECT_EQ(t->early.load(), 0);
    sync(target, "release");
    sync(req, "pending");
    EXPECT_EQ(t->errors.load(), count);
    EXPECT_EQ(t->answers.load(), 0);
    EXPECT_EQ(t->pending.load(), 0u);
  }

  bsm::system_config cfg;
  caf::actor_system sys{cfg};
  std::vector<caf::actor> spawned;
  std::shared_ptr<tally> t = std::make_shared<tally>();
};

TEST_F(TimedRequest, ATargetThatNeverAnswersFailsOnceAfterTheDeadline) {
  expect_each_to_time_out_once(1, 50);
}

TEST_F(TimedRequest, ManyRequestsShareOneTimerAndEachFailsOnce) {
  expect_each_to_time_out_once(1000, 100);
  EXPECT_EQ(t->armed.load(), 1u);
}

TEST_F(TimedRequest, AnAnswerInTimeIsNoErrorAndLeavesNothingPending) {
  auto target = spawn(echo);
  auto req = spawn(requester, t);
  caf::anon_send(req, 100, target, 60'000);
  ASSERT_TRUE(bsm::test::poll_until([&] { return t->answers.load() == 100; }));
  sync(req, "pending");
  EXPECT_EQ(t->errors.load(), 0);
  EXPECT_EQ(t->pending.load(), 0u);
}

TEST_F(TimedRequest, ATargetThatIsGoneFailsTheRequestAtOnce) {
  auto target = spawn(echo);
  {
    caf::scoped_actor self{sys};
    self->monitor(target);
    self->send_exit(target, caf::exit_reason::user_shutdown);
    self->receive([](const caf::down_msg&) {});
  }
  auto req = spawn(requester, t);
  caf::anon_send(req, 1, target, 60'000);
  ASSERT_TRUE(bsm::test::poll_until([&] { return t->errors.load() == 1; }));
  EXPECT_EQ(t->timeouts.load(), 0);
  sync(req, "pending");
  EXPECT_EQ(t->pending.load(), 0u);
}

} // namespace
