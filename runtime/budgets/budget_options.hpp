#pragma once

// Model budgets (section `budgets:`): limits on the model calls of agent
// turns per agent, per principal (the caller's name that turns carry) and
// per model, counted cluster-wide (runtime/budgets/budget_owner.hpp), and
// the per-model prices that cost budgets count with. The initialisers are
// the defaults; keys and rules are in budget_options.cpp. Reload: a
// restart. Every node of a cluster must have the same budgets: a counter's
// owner applies its own config's limits.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/budgets/budget_counter.hpp"
#include "runtime/config/config_section.hpp"

namespace bsm::budgets {

/// What a budget counts by: each agent, each principal or each model has
/// its own counter.
enum class budget_scope : uint8_t { agent, principal, model };

const char* to_string(budget_scope x);

/// One budget.
struct budget_spec {
  /// [a-z0-9_-], 1..64 characters; unique. Names the budget in errors,
  /// GET /v1/budgets and the events budget.<name>.warning and .spent.
  std::string name;
  budget_scope scope = budget_scope::agent;
  /// The one agent, principal or model it applies to; "*": every one, each
  /// with its own counter. Default: "*".
  std::string match = "*";
  /// At least one limit must be set.
  budget_limits limits;
};

/// A model's price in millionths of a currency unit per million tokens
/// (config: decimal units, `input: 0.15` is 150000).
struct model_price {
  uint64_t input_micros = 0;
  uint64_t output_micros = 0;
};

struct budgets_options {
  /// The budgets; a model call must fit every one that applies. Checked in
  /// this order: a call refused by one still counts one request in those
  /// before it. Only in the file (not `--set`).
  std::vector<budget_spec> limits;
  /// Prices by model name ("gpt-4o-mini"); "*" prices every model not
  /// listed. A model without a price costs nothing. Only in the file.
  std::map<std::string, model_price> prices;
  /// A reservation that was not settled this long after the call was
  /// admitted expires (its estimate stays counted). Default: 10 min.
  std::chrono::milliseconds reservation_timeout = std::chrono::minutes{10};
  /// Time to ask a counter's owner, on this node or another. Default: 2 s.
  std::chrono::milliseconds owner_timeout = std::chrono::seconds{2};
  /// Counters a node keeps (budget keys it owns); beyond them the least
  /// recently used one is forgotten. Default: 100'000.
  uint64_t max_keys = 100'000;
  /// Reservations in flight per counter. Default: 10'000.
  uint64_t max_reservations = 10'000;
  /// Completion tokens a call is estimated at when neither the client nor
  /// the agent sets max_tokens. Default: 1024.
  uint64_t estimate_output_tokens = 1024;
};

/// The `budgets:` section.
const config::section<budgets_options>& budgets_section();

/// Parses a decimal amount of currency units ("2.50") into millionths.
/// Returns the problem or an empty string.
std::string parse_micros(std::string_view text, uint64_t& out);

/// Millionths rendered as decimal units ("2.5").
std::string render_micros(uint64_t micros);

} // namespace bsm::budgets
