#pragma once

// Per-actor message statistics (messages processed, processing time,
// mailbox depth). Each actor writes its own `actor_stats` from whichever
// thread runs it, with plain loads and stores and no contended atomics.
// Every message is counted; processing time is sampled (one message in
// `sample_every`), since a clock read (about 30 ns on kvm-clock) costs as
// much as CAF's dispatch of a small message. A collector folds the
// per-actor values into the metrics registry at scrape time.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "runtime/metrics/registry.hpp"

namespace bsm::metrics {

/// Statistics of one actor incarnation. Single writer (the actor), any
/// number of readers: readers may see values a moment old, never torn ones.
class actor_stats {
public:
  /// Upper bounds of the processing-time buckets, in nanoseconds.
  static constexpr std::array<uint64_t, 8> bucket_bounds_ns{
    1'000,      10'000,      100'000,       1'000'000,
    10'000'000, 100'000'000, 1'000'000'000, 10'000'000'000};
  static constexpr size_t bucket_count = bucket_bounds_ns.size() + 1;

  /// One message in this many is timed (the first one always).
  static constexpr uint32_t sample_every = 16;

  explicit actor_stats(std::string actor_name);

  /// Counts one processed message that was not timed.
  /// REQUIRES: called only by the thread currently running the actor.
  void count() noexcept {
    bump(processed_, 1);
  }

  /// Counts one processed message that was timed at `ns` nanoseconds.
  /// REQUIRES: called only by the thread currently running the actor.
  void record(uint64_t ns) noexcept {
    bump(processed_, 1);
    bump(busy_ns_, ns);
    size_t i = 0;
    while (i < bucket_bounds_ns.size() && ns > bucket_bounds_ns[i])
      ++i;
    bump(buckets_[i], 1);
  }

  /// REQUIRES: called only by the thread currently running the actor.
  void set_mailbox_depth(uint64_t n) noexcept {
    mailbox_depth_.store(n, std::memory_order_relaxed);
  }

  /// Marks the incarnation as gone; its totals remain until collected.
  void retire() noexcept;

  const std::string& actor_name() const noexcept {
    return actor_name_;
  }

  uint64_t processed() const noexcept {
    return processed_.load(std::memory_order_relaxed);
  }

  uint64_t busy_ns() const noexcept {
    return busy_ns_.load(std::memory_order_relaxed);
  }

  uint64_t bucket(size_t i) const noexcept {
    return buckets_[i].load(std::memory_order_relaxed);
  }

  uint64_t mailbox_depth() const noexcept {
    return mailbox_depth_.load(std::memory_order_relaxed);
  }

  bool alive() const noexcept {
    return alive_.load(std::memory_order_acquire);
  }

private:
  friend class actor_stats_collector;

  // Single writer: a load and a store instead of a locked read-modify-write.
  static void bump(std::atomic<uint64_t>& x, uint64_t n) noexcept {
    x.store(x.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  std::string actor_name_;
  std::atomic<uint64_t> processed_{0};
  std::atomic<uint64_t> busy_ns_{0};
  std::array<std::atomic<uint64_t>, bucket_count> buckets_{};
  std::atomic<uint64_t> mailbox_depth_{0};
  std::atomic<bool> alive_{true};
  // What the collector has published so far (guarded by its mutex).
  uint64_t published_processed_ = 0;
  uint64_t published_busy_ns_ = 0;
  std::array<uint64_t, bucket_count> published_buckets_{};
};

/// Owns the actor families of a registry and publishes every live actor's
/// statistics into them before each scrape:
///   bsm_actor_messages_processed_total{actor}
///   bsm_actor_processing_seconds{actor}   (histogram of sampled messages)
///   bsm_actor_mailbox_depth{actor}        (sum over live incarnations)
/// The `actor` label is the actor's type name (low cardinality).
/// Thread-safe.
class actor_stats_collector {
public:
  /// REQUIRES: `reg` outlives this object.
  explicit actor_stats_collector(registry& reg);

  /// Starts statistics for a new actor incarnation named `actor_name`.
  std::shared_ptr<actor_stats> attach(const std::string& actor_name);

  /// Publishes all pending statistics into the registry.
  void collect();

private:
  void publish(actor_stats& stats);

  std::mutex mtx_;
  std::vector<std::shared_ptr<actor_stats>> stats_;
  std::set<std::string> names_;
  family<counter>& processed_;
  family<histogram>& processing_;
  family<gauge>& mailbox_depth_;
};

} // namespace bsm::metrics
