#pragma once

// A small Prometheus metrics registry (prometheus-cpp is not packaged for
// Debian 12). Modules register families of counters, gauges and histograms
// once, keep references to the series they update, and the HTTP bridge serves
// `registry::to_text()` at /metrics. Registration takes a mutex; updating a
// series (inc/set/add/observe/merge) is lock-free.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace bsm::metrics {

/// Label values, in the order of the family's label names.
using label_values = std::vector<std::string>;

/// The Content-Type of the text exposition format 0.0.4.
inline constexpr const char* text_content_type
  = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds start, start*factor, ... (count bounds).
/// REQUIRES: start > 0, factor > 1, count > 0 (else throws
/// std::invalid_argument, as when a bound overflows to infinity).
std::vector<double> exponential_buckets(double start, double factor,
                                        size_t count);

/// A monotonically increasing integer count. Thread-safe and lock-free.
class counter {
public:
  /// Adds `n` (relaxed atomic).
  void inc(uint64_t n = 1) noexcept;

  uint64_t value() const noexcept;

private:
  std::atomic<uint64_t> value_{0};
};

/// A value that goes up and down. Thread-safe and lock-free.
class gauge {
public:
  void set(double x) noexcept;

  /// Adds `x`, which may be negative (CAS loop).
  void add(double x) noexcept;

  double value() const noexcept;

private:
  std::atomic<double> value_{0.0};
};

/// Counts observations into buckets with fixed upper bounds and sums them.
/// Thread-safe; observe() and merge() are lock-free. A reader running
/// concurrently with writers may see the sum and the buckets of slightly
/// different moments, as with every Prometheus client.
class histogram {
public:
  /// REQUIRES: `upper_bounds` finite and strictly increasing (else throws
  /// std::invalid_argument); +Inf is implicit and must not be listed.
  explicit histogram(std::vector<double> upper_bounds);

  /// As above, sharing the bounds with other series of the same family.
  explicit histogram(std::shared_ptr<const std::vector<double>> upper_bounds);

  histogram(const histogram&) = delete;
  histogram& operator=(const histogram&) = delete;

  void observe(double x) noexcept;

  /// Adds pre-aggregated observations: counts[i] observations fell into
  /// bucket i (non-cumulative; n == upper_bounds().size() + 1, the last being
  /// +Inf), with total `sum`. Lets a hot path aggregate locally and publish
  /// once per batch. REQUIRES: n == upper_bounds().size() + 1 (checked by
  /// assert; in release builds only the first min(n, buckets) are added).
  void merge(const uint64_t* counts, size_t n, double sum) noexcept;

  const std::vector<double>& upper_bounds() const noexcept;

  /// Total number of observations (the sum over all buckets).
  uint64_t count() const noexcept;

  double sum() const noexcept;

  /// Index of the bucket x falls into (first bound >= x;
  /// upper_bounds().size() for +Inf and NaN).
  size_t bucket_index(double x) const noexcept;

  /// Number of observations in bucket `i` (non-cumulative).
  /// REQUIRES: i <= upper_bounds().size().
  uint64_t bucket_count(size_t i) const noexcept;

private:
  void add_to_sum(double x) noexcept;

  std::shared_ptr<const std::vector<double>> bounds_;
  /// Non-cumulative, one per bound plus +Inf. The total count is derived
  /// from these, so a scrape always sees count == the +Inf bucket.
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<double> sum_{0.0};
};

class registry;

namespace detail {

/// What a family holds, as written in its `# TYPE` line.
enum class metric_kind { counter, gauge, histogram };

/// The type-independent part of a family; lets the registry keep families
/// of all types in one sorted map.
class family_base {
public:
  family_base(const family_base&) = delete;
  family_base& operator=(const family_base&) = delete;
  virtual ~family_base();

  const std::string& name() const noexcept {
    return name_;
  }

  const std::string& help() const noexcept {
    return help_;
  }

  const std::vector<std::string>& label_names() const noexcept {
    return label_names_;
  }

  virtual metric_kind kind() const noexcept = 0;

  /// Appends HELP, TYPE and every series, sorted by label values.
  /// Thread-safe.
  virtual void append_text(std::string& out) const = 0;

protected:
  family_base(std::string name, std::string help,
              std::vector<std::string> label_names);

  /// Throws std::invalid_argument unless `values` fits the label names.
  void check_arity(const label_values& values) const;

  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  mutable std::mutex mtx_;
};

} // namespace detail

/// All series of one metric name, one per combination of label values.
/// Created only by `registry`; lives as long as the registry.
template <class Metric>
class family final : public detail::family_base {
public:
  /// Returns the series for these label values, creating it on first use.
  /// Thread-safe (takes the family's mutex: keep the reference for hot
  /// paths); the reference stays valid as long as the registry lives.
  /// REQUIRES: values.size() == number of label names (else throws
  /// std::invalid_argument: a programming error).
  Metric& with(const label_values& values);

  /// The only series of a family without labels. Throws
  /// std::invalid_argument if the family has label names.
  Metric& with();

  detail::metric_kind kind() const noexcept override;

  void append_text(std::string& out) const override;

  /// The bucket bounds of a histogram family; empty for other types.
  const std::vector<double>& upper_bounds() const noexcept;

private:
  friend class registry;

  family(std::string name, std::string help,
         std::vector<std::string> label_names,
         std::shared_ptr<const std::vector<double>> bounds);

  /// std::map keeps series sorted for the text output and never moves a
  /// node, so references handed out by with() stay valid.
  std::map<label_values, Metric> series_;
  /// Shared by all series of a histogram family; null otherwise.
  std::shared_ptr<const std::vector<double>> bounds_;
};

extern template class family<counter>;
extern template class family<gauge>;
extern template class family<histogram>;

/// Owns all metric families of a process (or test).
/// Thread-safety: every member function may be called from any thread.
/// Not copyable or movable: families hand out references into it.
class registry {
public:
  registry();
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;
  ~registry();

  /// Registers (or finds) a counter family. Thread-safe. Registering the same
  /// name again with the same type, help and label names returns the
  /// existing family. Throws std::invalid_argument (a programming error) on
  /// any other use of an existing name, an invalid metric name, a name not
  /// ending in `_total`, empty help, or invalid label names.
  ///
  /// Metric names match [a-zA-Z_:][a-zA-Z0-9_:]*; label names match
  /// [a-zA-Z_][a-zA-Z0-9_]*, must not start with `__` or repeat, and `le`
  /// and `quantile` are reserved (histograms and summaries). Names that
  /// `promtool check metrics` rejects are rejected here too: only counters
  /// may end in `_total`, and only histograms may end in `_bucket`, `_sum`
  /// or `_count`.
  family<counter>& counter_family(const std::string& name,
                                  const std::string& help,
                                  std::vector<std::string> label_names = {});

  /// Registers (or finds) a gauge family. Same rules as counter_family,
  /// except that the name must not end in `_total`.
  family<gauge>& gauge_family(const std::string& name, const std::string& help,
                              std::vector<std::string> label_names = {});

  /// Registers (or finds) a histogram family. Same rules as gauge_family;
  /// re-registration must also repeat the same `upper_bounds`, which must be
  /// finite and strictly increasing (+Inf is implicit).
  family<histogram>& histogram_family(const std::string& name,
                                      const std::string& help,
                                      std::vector<std::string> label_names,
                                      std::vector<double> upper_bounds);

  /// Runs `f` before every scrape (for values sampled at scrape time, e.g.
  /// uptime). Thread-safe. `f` runs on the scraping thread without any
  /// registry lock held (so it may register families or update series) and
  /// may run concurrently with itself if two scrapes overlap. An exception
  /// from `f` propagates out of to_text().
  void add_collector(std::function<void()> f);

  /// Runs the collectors, then writes every family in the Prometheus text
  /// exposition format 0.0.4, families sorted by name, series by label
  /// values. Thread-safe.
  std::string to_text() const;

private:
  template <class Metric>
  family<Metric>& get_or_add(detail::metric_kind kind, const std::string& name,
                             const std::string& help,
                             std::vector<std::string> label_names,
                             std::shared_ptr<const std::vector<double>> bounds);

  mutable std::mutex mtx_;
  std::map<std::string, std::unique_ptr<detail::family_base>> families_;
  std::vector<std::function<void()>> collectors_;
};

} // namespace bsm::metrics
