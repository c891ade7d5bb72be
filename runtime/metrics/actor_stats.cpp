#include "runtime/metrics/actor_stats.hpp"

#include <map>

namespace bsm::metrics {

namespace {

std::vector<double> bounds_in_seconds() {
  std::vector<double> result;
  for (auto ns : actor_stats::bucket_bounds_ns)
    result.push_back(static_cast<double>(ns) / 1e9);
  return result;
}

} // namespace

actor_stats::actor_stats(std::string actor_name)
  : actor_name_(std::move(actor_name)) {}

void actor_stats::retire() noexcept {
  mailbox_depth_.store(0, std::memory_order_relaxed);
  alive_.store(false, std::memory_order_release);
}

actor_stats_collector::actor_stats_collector(registry& reg)
  : processed_(reg.counter_family("bsm_actor_messages_processed_total",
                                  "Messages processed, by actor type.",
                                  {"actor"})),
    processing_(reg.histogram_family(
      "bsm_actor_processing_seconds",
      "Handler time of sampled messages (1 in 16), by actor type.", {"actor"},
      bounds_in_seconds())),
    mailbox_depth_(reg.gauge_family(
      "bsm_actor_mailbox_depth",
      "Messages waiting when the actor last started a run, by actor type.",
      {"actor"})) {
  reg.add_collector([this] { collect(); });
}

std::shared_ptr<actor_stats>
actor_stats_collector::attach(const std::string& actor_name) {
  auto result = std::make_shared<actor_stats>(actor_name);
  std::lock_guard<std::mutex> guard{mtx_};
  stats_.push_back(result);
  names_.insert(actor_name);
  return result;
}

void actor_stats_collector::collect() {
  std::lock_guard<std::mutex> guard{mtx_};
  std::map<std::string, double> depth;
  for (const auto& name : names_)
    depth[name] = 0;
  std::vector<std::shared_ptr<actor_stats>> still_alive;
  for (auto& stats : stats_) {
    // Read `alive` first: a retired actor writes nothing after retiring, so
    // publishing it now publishes its final totals and it can go. One that
    // retires during this pass is published again on the next one.
    auto was_alive = stats->alive();
    publish(*stats);
    if (was_alive) {
      depth[stats->actor_name()] += static_cast<double>(stats->mailbox_depth());
      still_alive.push_back(std::move(stats));
    }
  }
  stats_ = std::move(still_alive);
  for (const auto& [name, value] : depth)
    mailbox_depth_.with({name}).set(value);
}

void actor_stats_collector::publish(actor_stats& stats) {
  const label_values labels{stats.actor_name()};
  auto processed = stats.processed();
  processed_.with(labels).inc(processed - stats.published_processed_);
  stats.published_processed_ = processed;
  std::array<uint64_t, actor_stats::bucket_count> delta{};
  for (size_t i = 0; i < delta.size(); ++i) {
    auto now = stats.bucket(i);
    delta[i] = now - stats.published_buckets_[i];
    stats.published_buckets_[i] = now;
  }
  auto busy = stats.busy_ns();
  auto busy_delta = static_cast<double>(busy - stats.published_busy_ns_) / 1e9;
  stats.published_busy_ns_ = busy;
  processing_.with(labels).merge(delta.data(), delta.size(), busy_delta);
}

} // namespace bsm::metrics
