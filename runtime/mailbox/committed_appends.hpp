#pragma once

// Appends whose group commit finished, on their way from the store writer's
// thread to the mailbox that submitted them. The writer's completions push;
// only the push that finds the list empty tells the mailbox (one message for
// everything that piles up before the mailbox runs), and the mailbox takes
// the whole list at once. No push is missed: a push after a take finds the
// list empty and tells the mailbox again.

#include <cstdint>
#include <mutex>
#include <vector>

#include <caf/error.hpp>

#include "protocols/caf_types.hpp"

namespace bsm::mailbox {

/// One finished append.
struct committed_append {
  uint64_t seq = 0;
  /// Set if the group or this append failed: nothing was written.
  caf::error err;
  /// For a send whose idempotency key was already on disk: the original's
  /// answer (duplicate set); otherwise empty.
  v1::SendResponse duplicate;
};

/// Thread-safe.
class committed_appends {
public:
  /// Adds `x`. Returns true if the owner must be told to `take`.
  bool push(committed_append x);

  /// Adds all of `xs` in order (the appends of one submission). Returns
  /// true if the owner must be told to `take`.
  bool push_all(std::vector<committed_append> xs);

  /// Everything pushed so far, in push order; empties the list.
  std::vector<committed_append> take();

private:
  std::mutex mtx_;
  std::vector<committed_append> appends_;
};

} // namespace bsm::mailbox
