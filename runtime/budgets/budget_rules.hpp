#pragma once

// Which budgets a model call must fit, and what it takes from them: the
// call's budget keys (a budget and the value of its scope), its estimate
// before the call and its cost from the per-model prices. Pure functions
// of the `budgets:` options.

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/budgets/budget_options.hpp"

namespace bsm::budgets {

/// Who makes a model call and with which model.
struct call_subject {
  std::string agent;
  /// The caller's principal name (ChatRequest.caller); empty: none.
  std::string principal;
  /// The model's name as its settings give it ("gpt-4o-mini", "local").
  std::string model;
};

/// One counter: a budget and the value of its scope.
struct budget_key {
  std::string budget;
  std::string key;
};

/// The principal's key for a call without a caller.
inline constexpr const char* no_principal = "(none)";

/// The budgets that apply to `call`, in config order.
std::vector<budget_key> applicable_budgets(const budgets_options& opts,
                                           const call_subject& call);

/// The cost of `input_tokens` and `output_tokens` of `model` in
/// millionths, rounded up; 0 for a model without a price.
uint64_t cost_micros(const budgets_options& opts, const std::string& model,
                     uint64_t input_tokens, uint64_t output_tokens);

/// What a call is reserved at: one request, its prompt's estimated tokens
/// plus its output limit (`max_output_tokens`, or the options' estimate
/// when 0), and their cost.
budget_amount estimate_call(const budgets_options& opts,
                            const std::string& model, uint64_t prompt_tokens,
                            uint64_t max_output_tokens);

/// What a call took as its provider reported it.
budget_amount reported_usage(const budgets_options& opts,
                             const std::string& model, uint64_t prompt_tokens,
                             uint64_t completion_tokens);

/// A rough token count of `chars` characters of text (about four each).
uint64_t estimate_tokens(uint64_t chars);

} // namespace bsm::budgets
