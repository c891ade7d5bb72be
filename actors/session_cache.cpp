#include "actors/session_cache.hpp"

#include <utility>

namespace bsm {

namespace {

// Estimated bookkeeping per held turn and per held session (list and map
// nodes, deque slots, protobuf headers): the byte bound should not be
// beaten by many tiny turns.
constexpr size_t turn_overhead = 96;
constexpr size_t session_overhead = 256;

} // namespace

session_cache_metrics session_cache_metrics::make(metrics::registry& reg) {
  return session_cache_metrics{
    &reg
       .gauge_family("bsm_memory_session_cache_sessions",
                     "Sessions whose newest turns the memory actor holds.")
       .with(),
    &reg
       .gauge_family("bsm_memory_session_cache_bytes",
                     "Bytes the session cache holds (turn text and an "
                     "estimate of its bookkeeping).")
       .with(),
    &reg
       .counter_family("bsm_memory_session_cache_hits_total",
                       "Session history reads answered from the cache.")
       .with(),
    &reg
       .counter_family("bsm_memory_session_cache_misses_total",
                       "Session history reads of the newest turns that went "
                       "to the store.")
       .with(),
    &reg
       .counter_family("bsm_memory_session_cache_evictions_total",
                       "Sessions dropped from the cache to keep its bounds.")
       .with(),
  };
}

session_cache::session_cache(session_cache_limits limits,
                             session_cache_metrics metrics)
  : limits_(limits), metrics_(metrics) {
  publish();
}

size_t session_cache::cost(const v1::SessionTurn& turn) {
  return turn.role().size() + turn.content().size() + turn_overhead;
}

std::optional<v1::SessionReadResponse>
session_cache::newest(const std::string& session, size_t limit) {
  auto i = index_.find(session);
  if (i == index_.end()
      || (!i->second->complete && i->second->turns.size() < limit)) {
    if (metrics_.misses)
      metrics_.misses->inc();
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, i->second);
  const auto& turns = i->second->turns;
  auto count = std::min(limit, turns.size());
  v1::SessionReadResponse result;
  for (auto t = turns.end() - static_cast<std::ptrdiff_t>(count);
       t != turns.end(); ++t)
    *result.add_turns() = *t;
  result.set_more(count < turns.size() || !i->second->complete);
  if (metrics_.hits)
    metrics_.hits->inc();
  return result;
}

void session_cache::fill(const std::string& session,
                         std::vector<v1::SessionTurn> turns, bool more) {
  invalidate(session);
  if (!enabled())
    return;
  lru_.push_front(entry{session, {}, !more, session_overhead + session.size()});
  index_.emplace(session, lru_.begin());
  bytes_ += lru_.front().bytes;
  for (auto& t : turns)
    push_back(lru_.front(), std::move(t));
  enforce_bounds();
  publish();
}

void session_cache::appended(const std::string& session,
                             const std::vector<v1::SessionTurn>& turns) {
  auto i = index_.find(session);
  if (i == index_.end())
    return;
  lru_.splice(lru_.begin(), lru_, i->second);
  for (const auto& t : turns)
    push_back(lru_.front(), t);
  enforce_bounds();
  publish();
}

void session_cache::invalidate(const std::string& session) {
  if (auto i = index_.find(session); i != index_.end()) {
    erase(i->second);
    publish();
  }
}

void session_cache::invalidate_prefix(std::string_view prefix) {
  bool changed = false;
  for (auto it = lru_.begin(); it != lru_.end();) {
    auto next = std::next(it);
    if (std::string_view{it->session}.substr(0, prefix.size()) == prefix) {
      erase(it);
      changed = true;
    }
    it = next;
  }
  if (changed)
    publish();
}

void session_cache::push_back(entry& e, v1::SessionTurn turn) {
  auto added = cost(turn);
  e.turns.push_back(std::move(turn));
  e.bytes += added;
  bytes_ += added;
  while (e.turns.size() > limits_.turns) {
    auto dropped = cost(e.turns.front());
    e.turns.pop_front();
    e.bytes -= dropped;
    bytes_ -= dropped;
    e.complete = false;
  }
}

void session_cache::erase(lru_list::iterator it) {
  bytes_ -= it->bytes;
  index_.erase(it->session);
  lru_.erase(it);
}

void session_cache::enforce_bounds() {
  while (!lru_.empty()
         && (index_.size() > limits_.sessions || bytes_ > limits_.bytes)) {
    erase(std::prev(lru_.end()));
    if (metrics_.evictions)
      metrics_.evictions->inc();
  }
}

void session_cache::publish() const {
  if (metrics_.sessions)
    metrics_.sessions->set(static_cast<double>(index_.size()));
  if (metrics_.bytes)
    metrics_.bytes->set(static_cast<double>(bytes_));
}

} // namespace bsm
