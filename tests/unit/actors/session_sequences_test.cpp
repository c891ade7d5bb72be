#include "actors/session_sequences.hpp"

#include <gtest/gtest.h>

namespace bsm {
namespace {

TEST(SessionSequences, ForgetsTheLeastRecentlyUsedSessionAtTheBound) {
  metrics::registry reg;
  auto m = session_sequence_metrics::make(reg);
  session_sequences seqs{2, m};
  seqs.assigned("a", 1);
  seqs.assigned("b", 5);
  ASSERT_EQ(seqs.last("a"), 1u); // "b" is now the oldest
  seqs.assigned("c", 2);
  EXPECT_EQ(seqs.sessions(), 2u);
  EXPECT_EQ(seqs.evictions(), 1u);
  EXPECT_FALSE(seqs.last("b"));
  EXPECT_EQ(seqs.last("a"), 1u);
  EXPECT_EQ(m.sessions->value(), 2.0);
  EXPECT_EQ(m.evictions->value(), 1u);
}

TEST(SessionSequences, AMissIsReloadedFromTheStoreValue) {
  session_sequences seqs{1};
  seqs.assigned("a", 7);
  seqs.assigned("b", 1);
  EXPECT_FALSE(seqs.last("a"));
  EXPECT_EQ(seqs.reloaded("a", 7), 7u);
  EXPECT_EQ(seqs.last("a"), 7u);
}

TEST(SessionSequences, AReloadNeverFallsBelowAPendingTurn) {
  metrics::registry reg;
  auto m = session_sequence_metrics::make(reg);
  session_sequences seqs{1, m};
  seqs.assigned("a", 3);
  seqs.handed_out("a", 5); // 4 and 5 wait in a mailbox
  EXPECT_EQ(m.pending->value(), 1.0);
  seqs.assigned("b", 1); // forgets a's last number
  EXPECT_FALSE(seqs.last("a"));
  EXPECT_EQ(seqs.pending("a"), 5u);
  // The store still ends at 3: the next turn is 6, not 4.
  EXPECT_EQ(seqs.reloaded("a", 3), 5u);
  seqs.seen("a");
  EXPECT_FALSE(seqs.pending("a"));
  EXPECT_EQ(m.pending->value(), 0.0);
  seqs.assigned("b", 2);
  EXPECT_EQ(seqs.reloaded("a", 5), 5u);
}

TEST(SessionSequences, PendingTurnsAreBoundedButNeverBelowTheFloor) {
  session_sequences seqs{1};
  for (size_t i = 0; i < session_sequences::min_pending + 10; ++i)
    seqs.handed_out("s" + std::to_string(i), 1);
  EXPECT_EQ(seqs.pending_sessions(), session_sequences::min_pending);
  EXPECT_EQ(seqs.pending_evictions(), 10u);
  EXPECT_FALSE(seqs.pending("s0"));
  EXPECT_EQ(seqs.pending("s10"), 1u);
  EXPECT_EQ(seqs.sessions(), 1u);
}

} // namespace
} // namespace bsm
