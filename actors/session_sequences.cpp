#include "actors/session_sequences.hpp"

#include <algorithm>

namespace bsm {

session_sequence_metrics
session_sequence_metrics::make(metrics::registry& reg) {
  return session_sequence_metrics{
    &reg
       .gauge_family("bsm_memory_sequence_cache_sessions",
                     "Sessions whose last turn number the memory actor "
                     "holds.")
       .with(),
    &reg
       .counter_family("bsm_memory_sequence_cache_evictions_total",
                       "Sessions whose last turn number was forgotten to "
                       "keep memory.sequence_cache_sessions; read back from "
                       "the store on their next turn.")
       .with(),
    &reg
       .gauge_family("bsm_memory_sequence_cache_pending_sessions",
                     "Sessions with a turn handed to a mailbox and not yet "
                     "seen in the store.")
       .with(),
    &reg
       .counter_family("bsm_memory_sequence_cache_pending_evictions_total",
                       "Pending session turns forgotten to keep the bound.")
       .with(),
  };
}

session_sequences::session_sequences(size_t max_sessions,
                                     session_sequence_metrics metrics)
  : last_(max_sessions), pending_(std::max(max_sessions, min_pending)),
    metrics_(metrics) {
  publish();
}

std::optional<uint64_t> session_sequences::last(std::string_view session) {
  if (auto* x = last_.find(session))
    return *x;
  return std::nullopt;
}

uint64_t session_sequences::reloaded(std::string_view session,
                                     uint64_t stored) {
  auto result = std::max(stored, pending(session).value_or(0));
  last_.put(session, result);
  publish();
  return result;
}

void session_sequences::assigned(std::string_view session, uint64_t seq) {
  last_.put(session, seq);
  publish();
}

void session_sequences::handed_out(std::string_view session, uint64_t seq) {
  last_.put(session, seq);
  pending_.put(session, seq);
  publish();
}

std::optional<uint64_t>
session_sequences::pending(std::string_view session) const {
  if (const auto* x = pending_.peek(session))
    return *x;
  return std::nullopt;
}

void session_sequences::seen(std::string_view session) {
  if (pending_.erase(session))
    publish();
}

void session_sequences::forget(std::string_view session) {
  if (last_.erase(session))
    publish();
}

void session_sequences::forget_prefix(std::string_view prefix) {
  if (last_.erase_prefix(prefix) + pending_.erase_prefix(prefix) > 0)
    publish();
}

void session_sequences::publish() {
  if (metrics_.sessions)
    metrics_.sessions->set(static_cast<double>(last_.size()));
  if (metrics_.pending)
    metrics_.pending->set(static_cast<double>(pending_.size()));
  if (metrics_.evictions) {
    metrics_.evictions->inc(last_.evictions() - published_evictions_);
    published_evictions_ = last_.evictions();
  }
  if (metrics_.pending_evictions) {
    metrics_.pending_evictions->inc(pending_.evictions()
                                    - published_pending_evictions_);
    published_pending_evictions_ = pending_.evictions();
  }
}

} // namespace bsm
