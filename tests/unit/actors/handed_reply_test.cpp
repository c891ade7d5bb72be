// An answer handed from an actor to another thread: the requester gets it
// (value or error) though the actor has moved on, and a message that was
// sent rather than requested is answered as CAF would.

#include "actors/handed_reply.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "runtime/error.hpp"
#include "runtime/system_config.hpp"

namespace {

using namespace std::chrono_literals;

/// Hands each request's answer to a new thread, which answers `x * 2`, or
/// `unavailable` for negative numbers, whether or not the handler has
/// returned by then. Counts
/// the answers handed over with somebody to receive them in `handed`.
caf::behavior doubler(caf::event_based_actor* self,
                      std::shared_ptr<std::atomic<int>> handed) {
  return {
    [self, handed](int x) -> caf::result<int> {
      auto rp = self->make_response_promise<int>();
      auto reply = std::make_shared<bsm::handed_reply>(self->ctrl(), rp);
      if (reply->pending())
        ++*handed;
      std::thread{[reply, x] {
        if (x < 0)
          reply->deliver(bsm::make_error(bsm::errc::unavailable, "no"));
        else
          reply->deliver(x * 2);
      }}.detach();
      return caf::delegated<int>{};
    },
  };
}

class HandedReply : public ::testing::Test {
protected:
  bsm::system_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<std::atomic<int>> handed
    = std::make_shared<std::atomic<int>>(0);
};

TEST_F(HandedReply, TheRequesterGetsTheValueFromTheOtherThread) {
  auto server = sys.spawn(doubler, handed);
  caf::scoped_actor self{sys};
  for (int i = 0; i < 50; ++i) {
    int got = -1;
    self->request(server, 10s, i)
      .receive([&](int x) { got = x; },
               [&](caf::error& err) { FAIL() << bsm::render(err); });
    EXPECT_EQ(got, 2 * i);
  }
  EXPECT_EQ(handed->load(), 50);
  self->send_exit(server, caf::exit_reason::user_shutdown);
}

TEST_F(HandedReply, TheRequesterGetsTheError) {
  auto server = sys.spawn(doubler, handed);
  caf::scoped_actor self{sys};
  caf::error got;
  self->request(server, 10s, -1)
    .receive([&](int) { FAIL() << "a value"; },
             [&](caf::error& err) { got = std::move(err); });
  EXPECT_TRUE(bsm::is(got, bsm::errc::unavailable)) << bsm::render(got);
  self->send_exit(server, caf::exit_reason::user_shutdown);
}

// As CAF answers a sent (not requested) message: with a plain message back.
TEST_F(HandedReply, ASentMessageIsAnsweredWithAMessage) {
  auto server = sys.spawn(doubler, handed);
  caf::scoped_actor self{sys};
  self->send(server, 21);
  int got = -1;
  self->receive([&](int x) { got = x; },
                caf::after(10s) >> [] { FAIL() << "no answer"; });
  EXPECT_EQ(got, 42);
  self->send_exit(server, caf::exit_reason::user_shutdown);
}

} // namespace
