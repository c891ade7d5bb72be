#include "runtime/metrics/registry.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include "runtime/metrics/text_format.hpp"

namespace bsm::metrics {

namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::invalid_argument("bsm::metrics: " + what);
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size()
         && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_name_start(char c, bool allow_colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'
         || (allow_colon && c == ':');
}

bool is_name_char(char c, bool allow_colon) {
  return is_name_start(c, allow_colon) || (c >= '0' && c <= '9');
}

/// [a-zA-Z_:][a-zA-Z0-9_:]* for metrics, [a-zA-Z_][a-zA-Z0-9_]* for labels.
bool is_valid_name(std::string_view s, bool allow_colon) {
  if (s.empty() || !is_name_start(s.front(), allow_colon))
    return false;
  return std::all_of(s.begin() + 1, s.end(),
                     [=](char c) { return is_name_char(c, allow_colon); });
}

const char* type_name(detail::metric_kind kind) {
  switch (kind) {
    case detail::metric_kind::counter: return "counter";
    case detail::metric_kind::gauge: return "gauge";
    case detail::metric_kind::histogram: return "histogram";
  }
  return "untyped";
}

/// Enforces the suffixes that promtool's linter expects per type; they also
/// keep a gauge from colliding with a histogram's `_sum` or `_count` lines.
void check_metric_name(detail::metric_kind kind, const std::string& name) {
  if (!is_valid_name(name, true))
    fail("invalid metric name \"" + name + "\"");
  auto is_counter = kind == detail::metric_kind::counter;
  if (is_counter != ends_with(name, "_total"))
    fail(is_counter ? "counter name \"" + name + "\" must end in _total"
                    : "only counter names may end in _total: \"" + name + "\"");
  if (kind == detail::metric_kind::gauge)
    for (auto suffix : {"_bucket", "_sum", "_count"})
      if (ends_with(name, suffix))
        fail("gauge name \"" + name + "\" ends in reserved " + suffix);
}

void check_help(const std::string& name, const std::string& help) {
  if (help.find_first_not_of(" \t") == std::string::npos)
    fail("metric \"" + name + "\" needs a help text");
}

void check_label_names(const std::string& name,
                       const std::vector<std::string>& label_names) {
  for (size_t i = 0; i < label_names.size(); ++i) {
    const auto& label = label_names[i];
    if (!is_valid_name(label, false) || label.compare(0, 2, "__") == 0)
      fail("invalid label name \"" + label + "\" for \"" + name + "\"");
    // `le` and `quantile` carry histogram buckets and summary quantiles.
    if (label == "le" || label == "quantile")
      fail("reserved label name \"" + label + "\" for \"" + name + "\"");
    if (std::find(label_names.begin(), label_names.begin() + i, label)
        != label_names.begin() + i)
      fail("duplicate label name \"" + label + "\" for \"" + name + "\"");
  }
}

void check_bounds(const std::vector<double>& bounds) {
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]))
      fail("histogram bounds must be finite (+Inf is implicit)");
    if (i > 0 && !(bounds[i - 1] < bounds[i]))
      fail("histogram bounds must be strictly increasing");
  }
}

} // namespace

// -- free functions -----------------------------------------------------------

std::vector<double> exponential_buckets(double start, double factor,
                                        size_t count) {
  if (!(start > 0) || !(factor > 1) || count == 0)
    fail("exponential_buckets requires start > 0, factor > 1, count > 0");
  std::vector<double> result;
  result.reserve(count);
  // pow instead of repeated multiplication: errors do not accumulate, so
  // e.g. start 0.001, factor 3 gives le="0.027", not "0.027000000000000003".
  for (size_t i = 0; i < count; ++i)
    result.push_back(start * std::pow(factor, static_cast<double>(i)));
  check_bounds(result);
  return result;
}

// -- counter ------------------------------------------------------------------

void counter::inc(uint64_t n) noexcept {
  value_.fetch_add(n, std::memory_order_relaxed);
}

uint64_t counter::value() const noexcept {
  return value_.load(std::memory_order_relaxed);
}

// -- gauge --------------------------------------------------------------------

void gauge::set(double x) noexcept {
  value_.store(x, std::memory_order_relaxed);
}

void gauge::add(double x) noexcept {
  // std::atomic<double>::fetch_add is C++20; a CAS loop is the C++17 way.
  auto cur = value_.load(std::memory_order_relaxed);
  while (!value_.compare_exchange_weak(cur, cur + x, std::memory_order_relaxed))
    ; // cur now holds the fresh value: retry
}

double gauge::value() const noexcept {
  return value_.load(std::memory_order_relaxed);
}

// -- histogram ----------------------------------------------------------------

histogram::histogram(std::vector<double> upper_bounds)
  : histogram(
    std::make_shared<const std::vector<double>>(std::move(upper_bounds))) {
  // nop
}

histogram::histogram(std::shared_ptr<const std::vector<double>> upper_bounds)
  : bounds_(std::move(upper_bounds)) {
  if (!bounds_)
    fail("histogram bounds must not be null");
  check_bounds(*bounds_);
  // The trailing () value-initializes: all buckets start at zero.
  buckets_.reset(new std::atomic<uint64_t>[bounds_->size() + 1]());
}

void histogram::observe(double x) noexcept {
  buckets_[bucket_index(x)].fetch_add(1, std::memory_order_relaxed);
  add_to_sum(x);
}

void histogram::merge(const uint64_t* counts, size_t n, double sum) noexcept {
  auto buckets = bounds_->size() + 1;
  assert(n == buckets);
  n = std::min(n, buckets);
  for (size_t i = 0; i < n; ++i)
    if (counts[i] != 0)
      buckets_[i].fetch_add(counts[i], std::memory_order_relaxed);
  add_to_sum(sum);
}

const std::vector<double>& histogram::upper_bounds() const noexcept {
  return *bounds_;
}

uint64_t histogram::count() const noexcept {
  uint64_t result = 0;
  for (size_t i = 0; i <= bounds_->size(); ++i)
    result += bucket_count(i);
  return result;
}

double histogram::sum() const noexcept {
  return sum_.load(std::memory_order_relaxed);
}

size_t histogram::bucket_index(double x) const noexcept {
  // lower_bound would put NaN into bucket 0, since no bound compares < NaN.
  if (std::isnan(x))
    return bounds_->size();
  auto i = std::lower_bound(bounds_->begin(), bounds_->end(), x);
  return static_cast<size_t>(i - bounds_->begin());
}

uint64_t histogram::bucket_count(size_t i) const noexcept {
  return buckets_[i].load(std::memory_order_relaxed);
}

void histogram::add_to_sum(double x) noexcept {
  auto cur = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(cur, cur + x, std::memory_order_relaxed))
    ; // cur now holds the fresh value: retry
}

// -- family -------------------------------------------------------------------

namespace detail {

family_base::family_base(std::string name, std::string help,
                         std::vector<std::string> label_names)
  : name_(std::move(name)), help_(std::move(help)),
    label_names_(std::move(label_names)) {
  // nop
}

family_base::~family_base() {
  // nop
}

void family_base::check_arity(const label_values& values) const {
  if (values.size() != label_names_.size())
    fail("metric \"" + name_ + "\" has " + std::to_string(label_names_.size())
         + " label names but got " + std::to_string(values.size()) + " values");
}

} // namespace detail

template <class Metric>
family<Metric>::family(std::string name, std::string help,
                       std::vector<std::string> label_names,
                       std::shared_ptr<const std::vector<double>> bounds)
  : family_base(std::move(name), std::move(help), std::move(label_names)),
    bounds_(std::move(bounds)) {
  // nop
}

template <class Metric>
Metric& family<Metric>::with(const label_values& values) {
  check_arity(values);
  std::lock_guard<std::mutex> guard{mtx_};
  if constexpr (std::is_same_v<Metric, histogram>)
    return series_.try_emplace(values, bounds_).first->second;
  else
    return series_.try_emplace(values).first->second;
}

template <class Metric>
Metric& family<Metric>::with() {
  return with(label_values{});
}

template <class Metric>
detail::metric_kind family<Metric>::kind() const noexcept {
  if constexpr (std::is_same_v<Metric, counter>)
    return detail::metric_kind::counter;
  else if constexpr (std::is_same_v<Metric, gauge>)
    return detail::metric_kind::gauge;
  else
    return detail::metric_kind::histogram;
}

template <class Metric>
void family<Metric>::append_text(std::string& out) const {
  std::lock_guard<std::mutex> guard{mtx_};
  text::append_header(out, name_, help_, type_name(kind()));
  for (const auto& [values, metric] : series_)
    text::append_series(out, name_, label_names_, values, metric);
}

template <class Metric>
const std::vector<double>& family<Metric>::upper_bounds() const noexcept {
  static const std::vector<double> none;
  return bounds_ ? *bounds_ : none;
}

template class family<counter>;
template class family<gauge>;
template class family<histogram>;

// -- registry -----------------------------------------------------------------

registry::registry() {
  // nop
}

registry::~registry() {
  // nop
}

template <class Metric>
family<Metric>&
registry::get_or_add(detail::metric_kind kind, const std::string& name,
                     const std::string& help,
                     std::vector<std::string> label_names,
                     std::shared_ptr<const std::vector<double>> bounds) {
  check_metric_name(kind, name);
  check_help(name, help);
  check_label_names(name, label_names);
  std::lock_guard<std::mutex> guard{mtx_};
  if (auto i = families_.find(name); i != families_.end()) {
    auto& existing = *i->second;
    if (existing.kind() != kind || existing.help() != help
        || existing.label_names() != label_names)
      fail("metric \"" + name + "\" registered again with another type, "
           + "help or label names");
    // The kind matches, so this is the family<Metric> created below.
    auto& result = static_cast<family<Metric>&>(existing);
    if (bounds && result.upper_bounds() != *bounds)
      fail("histogram \"" + name + "\" registered again with other bounds");
    return result;
  }
  std::unique_ptr<family<Metric>> ptr{
    new family<Metric>(name, help, std::move(label_names), std::move(bounds))};
  auto& result = *ptr;
  families_.emplace(name, std::move(ptr));
  return result;
}

family<counter>&
registry::counter_family(const std::string& name, const std::string& help,
                         std::vector<std::string> label_names) {
  return get_or_add<counter>(detail::metric_kind::counter, name, help,
                             std::move(label_names), nullptr);
}

family<gauge>& registry::gauge_family(const std::string& name,
                                      const std::string& help,
                                      std::vector<std::string> label_names) {
  return get_or_add<gauge>(detail::metric_kind::gauge, name, help,
                           std::move(label_names), nullptr);
}

family<histogram>&
registry::histogram_family(const std::string& name, const std::string& help,
                           std::vector<std::string> label_names,
                           std::vector<double> upper_bounds) {
  check_bounds(upper_bounds);
  auto bounds
    = std::make_shared<const std::vector<double>>(std::move(upper_bounds));
  return get_or_add<histogram>(detail::metric_kind::histogram, name, help,
                               std::move(label_names), std::move(bounds));
}

void registry::add_collector(std::function<void()> f) {
  std::lock_guard<std::mutex> guard{mtx_};
  collectors_.push_back(std::move(f));
}

std::string registry::to_text() const {
  // Run collectors without holding the lock: they may register families.
  std::vector<std::function<void()>> collectors;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    collectors = collectors_;
  }
  for (const auto& f : collectors)
    f();
  // Families are never removed, so the pointers outlive the lock; each
  // family locks itself while writing.
  std::vector<const detail::family_base*> families;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    families.reserve(families_.size());
    for (const auto& kvp : families_)
      families.push_back(kvp.second.get());
  }
  std::string result;
  for (const auto* f : families)
    f->append_text(result);
  return result;
}

} // namespace bsm::metrics
