// The counters a node keeps (budget_book), which budgets apply to a call
// and what it costs (budget_rules), and which node keeps a key's counter
// (budget_owner).

#include <memory>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "runtime/budgets/budget_book.hpp"
#include "runtime/budgets/budget_owner.hpp"
#include "runtime/budgets/budget_rules.hpp"
#include "runtime/cluster/directory.hpp"
#include "runtime/error.hpp"
#include "runtime/naming/name_registry.hpp"
#include "runtime/retry_after.hpp"

namespace {

using namespace bsm::budgets;
using namespace std::chrono_literals;

constexpr int64_t day_start = 1'796'515'200'000;

budget_spec spec(std::string name, budget_scope scope, std::string match,
                 budget_limits limits) {
  return {std::move(name), scope, std::move(match), limits};
}

budgets_options two_budgets() {
  budgets_options opts;
  opts.limits.push_back(
    spec("legal-rpm", budget_scope::agent, "legal", {2, 0, 0, 0, 0}));
  budget_limits cost;
  cost.cost_per_day_micros = 1'000'000;
  opts.limits.push_back(spec("keys", budget_scope::principal, "*", cost));
  opts.prices["gpt-4o-mini"] = {150'000, 600'000};
  opts.prices["*"] = {1'000'000, 2'000'000};
  return opts;
}

bsm::v1::BudgetAcquireRequest acquire(const std::string& budget,
                                      const std::string& key,
                                      const std::string& id,
                                      uint64_t requests = 1) {
  bsm::v1::BudgetAcquireRequest req;
  req.set_budget(budget);
  req.set_key(key);
  req.set_reservation_id(id);
  req.set_requests(requests);
  return req;
}

TEST(BudgetRules, PicksTheBudgetsThatMatchInConfigOrder) {
  auto opts = two_budgets();
  auto keys = applicable_budgets(opts, {"legal", "alice", "gpt-4o-mini"});
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].budget, "legal-rpm");
  EXPECT_EQ(keys[0].key, "legal");
  EXPECT_EQ(keys[1].budget, "keys");
  EXPECT_EQ(keys[1].key, "alice");
  keys = applicable_budgets(opts, {"travel", "", "local"});
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].key, no_principal);
}

TEST(BudgetRules, PricesPerMillionTokensRoundedUp) {
  auto opts = two_budgets();
  // 1000 input tokens at 0.15 and 500 output at 0.60 per million.
  EXPECT_EQ(cost_micros(opts, "gpt-4o-mini", 1'000, 500), 150u + 300u);
  EXPECT_EQ(cost_micros(opts, "gpt-4o-mini", 1, 0), 1u);
  EXPECT_EQ(cost_micros(opts, "other", 1'000'000, 1'000'000), 3'000'000u);
  opts.prices.erase("*");
  EXPECT_EQ(cost_micros(opts, "other", 1'000'000, 1'000'000), 0u);
  // No overflow for huge counts.
  EXPECT_EQ(cost_micros(opts, "gpt-4o-mini", 2'000'000'000'000ULL, 0),
            300'000'000'000ULL);
}

TEST(BudgetRules, EstimatesWithTheOutputLimitOrTheDefault) {
  auto opts = two_budgets();
  opts.estimate_output_tokens = 100;
  auto x = estimate_call(opts, "gpt-4o-mini", 1'000, 0);
  EXPECT_EQ(x.requests, 1u);
  EXPECT_EQ(x.tokens, 1'100u);
  EXPECT_EQ(x.cost_micros, cost_micros(opts, "gpt-4o-mini", 1'000, 100));
  EXPECT_EQ(estimate_call(opts, "gpt-4o-mini", 1'000, 50).tokens, 1'050u);
  auto used = reported_usage(opts, "gpt-4o-mini", 10, 20);
  EXPECT_EQ(used.tokens, 30u);
  EXPECT_EQ(estimate_tokens(400), 101u);
}

TEST(BudgetBook, CountsEachKeyApart) {
  budget_book book{two_budgets()};
  EXPECT_TRUE(
    book.acquire(acquire("keys", "alice", "1"), day_start)->granted());
  EXPECT_TRUE(book.acquire(acquire("keys", "bob", "2"), day_start)->granted());
  EXPECT_EQ(book.keys(), 2u);
}

TEST(BudgetBook, RefusesWithTheBudgetAndRetryAfter) {
  budget_book book{two_budgets()};
  for (auto id : {"1", "2"})
    ASSERT_TRUE(
      book.acquire(acquire("legal-rpm", "legal", id), day_start)->granted());
  auto resp = book.acquire(acquire("legal-rpm", "legal", "3"), day_start + 500);
  ASSERT_TRUE(resp);
  EXPECT_FALSE(resp->granted());
  EXPECT_EQ(resp->budget(), "legal-rpm");
  EXPECT_EQ(resp->retry_after_ms(), 59'500);
  auto events = book.take_events();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().budget, "legal-rpm");
  EXPECT_EQ(events.back().event.level, budget_level::spent);
}

TEST(BudgetBook, RefusesRequestsItCannotCount) {
  budget_book book{two_budgets()};
  auto unknown = book.acquire(acquire("nope", "x", "1"), day_start);
  ASSERT_FALSE(unknown);
  EXPECT_TRUE(bsm::is(unknown.error(), bsm::errc::invalid_argument));
  EXPECT_FALSE(book.acquire(acquire("keys", "", "1"), day_start));
  EXPECT_FALSE(book.acquire(acquire("keys", "alice", ""), day_start));
}

TEST(BudgetBook, SettlesAndListsUseAndRemaining) {
  budget_book book{two_budgets()};
  auto req = acquire("keys", "alice", "r1");
  req.set_cost_micros(600'000);
  ASSERT_TRUE(book.acquire(req, day_start)->granted());
  bsm::v1::BudgetSettleRequest settle;
  settle.set_budget("keys");
  settle.set_key("alice");
  settle.set_reservation_id("r1");
  settle.set_cost_micros(250'000);
  auto first = book.settle(settle, day_start + 1);
  ASSERT_TRUE(first);
  EXPECT_TRUE(*first);
  auto again = book.settle(settle, day_start + 2);
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again) << "settled already";
  auto list = book.list(day_start + 3);
  ASSERT_EQ(list.budgets_size(), 1);
  const auto& use = list.budgets(0);
  EXPECT_EQ(use.name(), "keys");
  EXPECT_EQ(use.scope(), "principal");
  EXPECT_EQ(use.key(), "alice");
  EXPECT_EQ(use.limit_kind(), "cost_per_day");
  EXPECT_DOUBLE_EQ(use.limit(), 1.0);
  EXPECT_DOUBLE_EQ(use.used(), 0.25);
  EXPECT_DOUBLE_EQ(use.remaining(), 0.75);
  EXPECT_EQ(use.resets_at_unix_ms(), day_start + 86'400'000);
}

TEST(BudgetBook, KeepsAtMostMaxKeysForgettingIdleOnesFirst) {
  auto opts = two_budgets();
  opts.max_keys = 3;
  budget_book book{opts};
  ASSERT_TRUE(book.acquire(acquire("keys", "busy", "b"), day_start)->granted());
  for (int i = 0; i < 20; ++i) {
    auto id = std::to_string(i);
    ASSERT_TRUE(book.acquire(acquire("keys", "k" + id, id), day_start));
    EXPECT_LE(book.keys(), 3u);
  }
  EXPECT_GT(book.evictions(), 0u);
}

TEST(RetryError, CarriesItsWaitAndRendersItsMessage) {
  auto err = bsm::make_retry_error(bsm::errc::resource_exhausted,
                                   "budget 'x' is spent", 1'500ms);
  EXPECT_EQ(bsm::retry_after_of(err), std::chrono::milliseconds{1'500});
  EXPECT_EQ(bsm::render(err), "resource_exhausted: budget 'x' is spent");
  EXPECT_FALSE(
    bsm::retry_after_of(bsm::make_error(bsm::errc::unavailable, "x")));
  EXPECT_EQ(bsm::retry_after_seconds(1'500ms), 2);
  EXPECT_EQ(bsm::retry_after_seconds(0ms), 1);
  EXPECT_EQ(bsm::retry_after_seconds(3'000ms), 3);
}

bsm::cluster::member_info member(const std::string& name,
                                 bsm::v1::MemberState state) {
  bsm::cluster::member_info m;
  m.record.set_name(name);
  m.record.set_incarnation(1);
  m.state = state;
  return m;
}

TEST(BudgetOwner, EveryNodeChoosesTheSameLiveOwner) {
  auto names = std::make_shared<bsm::name_registry>();
  std::map<std::string, std::unique_ptr<bsm::cluster::directory>> dirs;
  std::vector<std::string> nodes{"a", "b", "c"};
  for (const auto& self : nodes) {
    auto dir = std::make_unique<bsm::cluster::directory>(self, names);
    std::vector<bsm::cluster::member_info> others;
    for (const auto& n : nodes)
      if (n != self)
        others.push_back(member(n, bsm::v1::MEMBER_STATE_UP));
    dir->set_members(others);
    dir->set_join(bsm::cluster::join_state::joined);
    dirs[self] = std::move(dir);
  }
  std::set<std::string> owners;
  for (int i = 0; i < 30; ++i) {
    auto key = "k" + std::to_string(i);
    auto first = budget_owner(*dirs["a"], "b1", key);
    ASSERT_TRUE(first);
    owners.insert(first->node);
    for (const auto& n : nodes) {
      auto other = budget_owner(*dirs[n], "b1", key);
      ASSERT_TRUE(other);
      EXPECT_EQ(other->node, first->node);
      EXPECT_EQ(other->local, first->node == n);
    }
  }
  EXPECT_EQ(owners.size(), 3u) << "keys spread over the members";
}

TEST(BudgetOwner, ADownOwnerHandsItsKeysToTheNextNode) {
  auto names = std::make_shared<bsm::name_registry>();
  bsm::cluster::directory dir{"a", names};
  dir.set_members({member("b", bsm::v1::MEMBER_STATE_UP),
                   member("c", bsm::v1::MEMBER_STATE_UP)});
  dir.set_join(bsm::cluster::join_state::joined);
  std::string key;
  for (int i = 0; !key.size(); ++i)
    if (budget_owner(dir, "b1", "k" + std::to_string(i))->node == "b")
      key = "k" + std::to_string(i);
  dir.set_members({member("b", bsm::v1::MEMBER_STATE_SUSPECT),
                   member("c", bsm::v1::MEMBER_STATE_UP)});
  EXPECT_EQ(budget_owner(dir, "b1", key)->node, "b") << "suspect stays owner";
  dir.set_members({member("b", bsm::v1::MEMBER_STATE_DOWN),
                   member("c", bsm::v1::MEMBER_STATE_UP)});
  EXPECT_NE(budget_owner(dir, "b1", key)->node, "b");
}

TEST(BudgetOwner, IsUnknownWhileJoining) {
  auto names = std::make_shared<bsm::name_registry>();
  bsm::cluster::directory dir{"a", names};
  dir.set_join(bsm::cluster::join_state::joining);
  auto owner = budget_owner(dir, "b1", "k");
  ASSERT_FALSE(owner);
  EXPECT_TRUE(bsm::is(owner.error(), bsm::errc::unavailable));
  dir.set_join(bsm::cluster::join_state::single);
  EXPECT_TRUE(budget_owner(dir, "b1", "k")->local);
}

} // namespace
