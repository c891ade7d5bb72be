// The list of local targets' mailboxes the HTTP bridge reads: publish,
// lookup, replacement by a newer mailbox, and that a stopped mailbox is
// never handed out.

#include "runtime/mailbox/local_mailboxes.hpp"

#include <gtest/gtest.h>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "runtime/system_config.hpp"
#include "tests/common/poll.hpp"

namespace {

caf::behavior idle(caf::event_based_actor*) {
  return {[](int x) {
    return x;
  }};
}

class LocalMailboxes : public ::testing::Test {
protected:
  bsm::system_config cfg;
  caf::actor_system sys{cfg};
  bsm::local_mailboxes boxes;
};

TEST_F(LocalMailboxes, FindsWhatWasPublishedAndNothingElse) {
  auto a = sys.spawn(idle);
  boxes.publish("agents/a", a.address());
  EXPECT_EQ(boxes.find("agents/a"), caf::actor_cast<caf::strong_actor_ptr>(a));
  EXPECT_EQ(boxes.find("agents/b"), nullptr);
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

TEST_F(LocalMailboxes, WithdrawRemovesOnlyTheMailboxItNames) {
  auto old_box = sys.spawn(idle);
  auto new_box = sys.spawn(idle);
  boxes.publish("t", old_box.address());
  boxes.publish("t", new_box.address());
  // The old mailbox's exit must not remove its successor.
  boxes.withdraw("t", old_box.address());
  EXPECT_EQ(boxes.find("t"), caf::actor_cast<caf::strong_actor_ptr>(new_box));
  boxes.withdraw("t", new_box.address());
  EXPECT_EQ(boxes.find("t"), nullptr);
  EXPECT_EQ(boxes.size(), 0u);
  caf::anon_send_exit(old_box, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(new_box, caf::exit_reason::user_shutdown);
}

TEST_F(LocalMailboxes, ALeftoverEntryOfAFinishedMailboxFindsNothing) {
  caf::actor_addr addr;
  {
    auto a = sys.spawn(idle);
    addr = a.address();
    boxes.publish("t", addr);
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }
  // The listing is weak: once the system lets go of the finished actor,
  // nothing is found.
  EXPECT_TRUE(
    bsm::test::poll_until([&] { return boxes.find("t") == nullptr; }));
}

} // namespace
