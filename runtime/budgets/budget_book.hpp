#pragma once

// The counters a node keeps: one budget_counter per budget key it owns
// (budget_owner.hpp), created on first use with the limits of the node's
// own `budgets:` config, and the requests of the budget actor
// (BudgetAcquire, BudgetSettle, BudgetList) decided over them. Pure state
// with the clock as a parameter (Unix ms); not thread-safe.
//
// Memory: at most max_keys counters; a new key beyond them forgets the
// least recently used counter (that key then starts empty: eviction fails
// open for it, as token_bucket's does). Idle counters (nothing counted in
// any current window, nothing reserved) are forgotten first.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "bsm/v1/budgets.pb.h"
#include "runtime/budgets/budget_counter.hpp"
#include "runtime/budgets/budget_options.hpp"
#include "runtime/containers/bounded_lru.hpp"

namespace bsm::budgets {

/// A level one key's window reached (for budget.<name>.warning / .spent).
struct book_event {
  std::string budget;
  std::string key;
  level_event event;
};

class budget_book {
public:
  /// REQUIRES: `opts` passed the section's checks.
  explicit budget_book(budgets_options opts);

  /// Reserves the request's amounts on its key. Errors: invalid_argument
  /// for an empty key or reservation id, or a budget this node's config
  /// does not have.
  caf::expected<v1::BudgetAcquireResponse>
  acquire(const v1::BudgetAcquireRequest& req, int64_t now_ms);

  /// Settles a reservation; false if it was not held (see
  /// budget_counter::settle). Errors: as acquire.
  caf::expected<bool> settle(const v1::BudgetSettleRequest& req,
                             int64_t now_ms);

  /// Every limit of every counter kept here.
  v1::BudgetListResponse list(int64_t now_ms);

  /// The levels reached since the last call.
  std::vector<book_event> take_events();

  size_t keys() const noexcept {
    return counters_.size();
  }
  uint64_t evictions() const noexcept {
    return counters_.evictions();
  }

private:
  struct entry {
    std::string budget;
    std::string key;
    budget_counter counter;
  };

  /// The spec named `budget`, or an error.
  caf::expected<const budget_spec*> spec_of(const std::string& budget,
                                            const std::string& key,
                                            const std::string& id) const;
  entry& counter_of(const budget_spec& spec, const std::string& key,
                    int64_t now_ms);
  void collect(entry& e);

  budgets_options opts_;
  bounded_lru<entry> counters_;
  std::vector<book_event> events_;
};

} // namespace bsm::budgets
