#include "runtime/budgets/budget_rules.hpp"

namespace bsm::budgets {

namespace {

const std::string& scope_value(budget_scope scope, const call_subject& call) {
  switch (scope) {
    case budget_scope::agent: return call.agent;
    case budget_scope::principal: return call.principal;
    case budget_scope::model: return call.model;
  }
  return call.agent;
}

// tokens * price per million, rounded up, without overflow for any
// count and price the config allows.
uint64_t priced(uint64_t tokens, uint64_t micros_per_million) {
  auto whole = tokens / 1'000'000 * micros_per_million;
  auto rest = tokens % 1'000'000 * micros_per_million;
  return whole + rest / 1'000'000 + (rest % 1'000'000 != 0 ? 1 : 0);
}

} // namespace

std::vector<budget_key> applicable_budgets(const budgets_options& opts,
                                           const call_subject& call) {
  std::vector<budget_key> result;
  for (const auto& spec : opts.limits) {
    auto value = scope_value(spec.scope, call);
    if (spec.scope == budget_scope::principal && value.empty())
      value = no_principal;
    if (spec.match != "*" && spec.match != value)
      continue;
    result.push_back({spec.name, std::move(value)});
  }
  return result;
}

uint64_t cost_micros(const budgets_options& opts, const std::string& model,
                     uint64_t input_tokens, uint64_t output_tokens) {
  auto i = opts.prices.find(model);
  if (i == opts.prices.end())
    i = opts.prices.find("*");
  if (i == opts.prices.end())
    return 0;
  return priced(input_tokens, i->second.input_micros)
         + priced(output_tokens, i->second.output_micros);
}

budget_amount estimate_call(const budgets_options& opts,
                            const std::string& model, uint64_t prompt_tokens,
                            uint64_t max_output_tokens) {
  auto output
    = max_output_tokens != 0 ? max_output_tokens : opts.estimate_output_tokens;
  return {1, prompt_tokens + output,
          cost_micros(opts, model, prompt_tokens, output)};
}

budget_amount reported_usage(const budgets_options& opts,
                             const std::string& model, uint64_t prompt_tokens,
                             uint64_t completion_tokens) {
  return {1, prompt_tokens + completion_tokens,
          cost_micros(opts, model, prompt_tokens, completion_tokens)};
}

uint64_t estimate_tokens(uint64_t chars) {
  return chars / 4 + 1;
}

} // namespace bsm::budgets
