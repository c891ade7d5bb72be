#include "runtime/budgets/budget_options.hpp"

#include <array>
#include <limits>
#include <set>
#include <utility>

#include "runtime/config/config_fields.hpp"
#include "runtime/error.hpp"

namespace bsm::budgets {

namespace {

using namespace std::chrono_literals;
using detail::located_error;
using detail::quote;
using detail::yaml_field;

// A trillion units: far beyond any budget, far below 2^64 millionths.
constexpr uint64_t max_units = 1'000'000'000'000ULL;
constexpr int64_t max_count = int64_t{1} << 50;

constexpr std::array<std::pair<std::string_view, budget_scope>, 3> scopes{{
  {"agent", budget_scope::agent},
  {"principal", budget_scope::principal},
  {"model", budget_scope::model},
}};

constexpr std::string_view limit_keys
  = "(known keys: name, scope, match, requests_per_minute, requests_per_day, "
    "tokens_per_minute, tokens_per_day, cost_per_day)";

std::string name_problem(const std::string& x) {
  if (x.empty() || x.size() > 64)
    return "must have 1..64 characters";
  for (char c : x)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
          || c == '-'))
      return "may hold only a-z, 0-9, '_' and '-'";
  return {};
}

// One count limit of an entry, or nothing if `key` is not one.
uint64_t* count_limit(budget_limits& x, const std::string& key) {
  if (key == "requests_per_minute")
    return &x.requests_per_minute;
  if (key == "requests_per_day")
    return &x.requests_per_day;
  if (key == "tokens_per_minute")
    return &x.tokens_per_minute;
  if (key == "tokens_per_day")
    return &x.tokens_per_day;
  return nullptr;
}

caf::error read_limit_key(const yaml_field& in, const std::string& key,
                          budget_spec& out) {
  if (key == "name") {
    if (auto err = in.text(out.name))
      return err;
    auto problem = name_problem(out.name);
    return problem.empty() ? caf::error{} : in.fail(problem);
  }
  if (key == "scope")
    return in.one_of(out.scope, scopes);
  if (key == "match") {
    if (auto err = in.text(out.match))
      return err;
    return out.match.empty() ? in.fail("must not be empty (\"*\": every one)")
                             : caf::error{};
  }
  if (auto* limit = count_limit(out.limits, key))
    return in.integer(*limit, 0, max_count);
  if (key == "cost_per_day")
    return in.parsed(out.limits.cost_per_day_micros, parse_micros);
  return located_error(in.where(), "unknown key " + quote(in.key()) + " "
                                     + std::string{limit_keys});
}

caf::error read_limits(const yaml_field& in, budgets_options& out) {
  std::vector<budget_spec> specs;
  auto read_entry = [&specs](const yaml_field& entry) -> caf::error {
    auto& spec = specs.emplace_back();
    std::set<std::string> given;
    auto err = entry.entries([&](const yaml_field& x, const std::string& key) {
      given.insert(key);
      return read_limit_key(x, key, spec);
    });
    if (err)
      return err;
    for (const auto* required : {"name", "scope"})
      if (given.count(required) == 0)
        return entry.fail("missing key " + quote(required));
    return caf::error{};
  };
  if (auto err = in.elements(read_entry))
    return err;
  out.limits = std::move(specs);
  return {};
}

caf::error read_price(const yaml_field& in, model_price& out) {
  return in.entries([&out](const yaml_field& x, const std::string& key) {
    if (key == "input")
      return x.parsed(out.input_micros, parse_micros);
    if (key == "output")
      return x.parsed(out.output_micros, parse_micros);
    return located_error(x.where(), "unknown key " + quote(x.key())
                                      + " (known keys: input, output)");
  });
}

caf::error read_prices(const yaml_field& in, budgets_options& out) {
  std::map<std::string, model_price> prices;
  auto err
    = in.entries([&prices](const yaml_field& x, const std::string& model) {
        return read_price(x, prices[model]);
      });
  if (!err)
    out.prices = std::move(prices);
  return err;
}

config::maybe_problem check_budgets(const budgets_options& x) {
  std::set<std::string> names;
  for (size_t i = 0; i < x.limits.size(); ++i) {
    const auto& spec = x.limits[i];
    auto key = "budgets.limits[" + std::to_string(i) + "]";
    if (auto p = config::check(key + ".name", name_problem(spec.name)))
      return p;
    if (!names.insert(spec.name).second)
      return config::problem{
        key + ".name", "duplicate budget name " + quote(spec.name), {}};
    if (spec.match.empty())
      return config::problem{key + ".match", "must not be empty", {}};
    if (unlimited(spec.limits))
      return config::problem{
        key, "sets no limit " + std::string{limit_keys}, {}};
  }
  for (const auto& [model, price] : x.prices)
    if (model.empty())
      return config::problem{"budgets.prices", "a model name is empty", {}};
  return std::nullopt;
}

std::string render_limits(const budgets_options& x) {
  auto name = [](const budget_spec& spec) {
    return spec.name;
  };
  return "[" + detail::join(x.limits, ", ", name) + "]";
}

std::string render_prices(const budgets_options& x) {
  auto model = [](const auto& entry) {
    return entry.first;
  };
  return "[" + detail::join(x.prices, ", ", model) + "]";
}

} // namespace

const char* to_string(budget_scope x) {
  for (const auto& [name, value] : scopes)
    if (value == x)
      return name.data();
  return "unknown";
}

std::string parse_micros(std::string_view text, uint64_t& out) {
  const std::string bad
    = "expected a decimal amount such as 2.50, got " + quote(text);
  auto dot = text.find('.');
  auto whole = text.substr(0, dot);
  auto fraction
    = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  if (whole.empty() || (dot != std::string_view::npos && fraction.empty()))
    return bad;
  if (fraction.size() > 6)
    return "has more than 6 decimals: " + quote(text);
  uint64_t units = 0;
  for (char c : whole) {
    if (c < '0' || c > '9')
      return bad;
    units = units * 10 + static_cast<uint64_t>(c - '0');
    if (units > max_units)
      return "is above the maximum of " + std::to_string(max_units);
  }
  uint64_t micros = 0;
  for (size_t i = 0; i < 6; ++i) {
    char c = i < fraction.size() ? fraction[i] : '0';
    if (c < '0' || c > '9')
      return bad;
    micros = micros * 10 + static_cast<uint64_t>(c - '0');
  }
  out = units * 1'000'000 + micros;
  return {};
}

std::string render_micros(uint64_t micros) {
  auto text = std::to_string(micros / 1'000'000);
  auto rest = micros % 1'000'000;
  if (rest == 0)
    return text;
  auto digits = std::to_string(rest);
  digits.insert(0, 6 - digits.size(), '0');
  while (digits.back() == '0')
    digits.pop_back();
  return text + "." + digits;
}

const config::section<budgets_options>& budgets_section() {
  static const config::section<budgets_options> result{
    "budgets",
    {{"limits", read_limits, render_limits, {}, true, true},
     {"prices", read_prices, render_prices, {}, false, true},
     config::duration("reservation_timeout",
                      &budgets_options::reservation_timeout, 1s),
     config::duration("owner_timeout", &budgets_options::owner_timeout, 10ms),
     config::integer("max_keys", &budgets_options::max_keys, 1, max_count),
     config::integer("max_reservations", &budgets_options::max_reservations, 1,
                     max_count),
     config::integer("estimate_output_tokens",
                     &budgets_options::estimate_output_tokens, 0, max_count)},
    check_budgets};
  return result;
}

} // namespace bsm::budgets
