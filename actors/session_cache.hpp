#pragma once

// The newest turns of recently used sessions, so that the history read of an
// active session's chat turn does not touch the store. Bounded three ways:
// sessions (least recently used first out), turns per session (oldest
// first out) and bytes over all. Not thread-safe: the memory actor owns it.
// Not a bounded_lru: an entry grows and sheds turns in place, and its bytes
// change with every append, which a map of whole values does not track.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bsm/v1/memory.pb.h"
#include "runtime/metrics/registry.hpp"

namespace bsm {

/// The cache's series (bsm_memory_session_cache_*), shared by the memory
/// actors of a node; null members of a default-built one are not updated.
struct session_cache_metrics {
  metrics::gauge* sessions = nullptr;
  metrics::gauge* bytes = nullptr;
  metrics::counter* hits = nullptr;
  metrics::counter* misses = nullptr;
  metrics::counter* evictions = nullptr;

  /// Registers the families in `reg`.
  static session_cache_metrics make(metrics::registry& reg);
};

struct session_cache_limits {
  /// Sessions held; 0 turns the cache off.
  size_t sessions = 0;
  /// Newest turns held per session.
  size_t turns = 0;
  /// Bytes held over all sessions (as counted by session_cache::cost).
  size_t bytes = 0;
};

class session_cache {
public:
  explicit session_cache(session_cache_limits limits = {},
                         session_cache_metrics metrics = {});

  /// The newest `limit` turns of `session` (oldest first, `more` set if
  /// older ones exist) if the cache holds enough of them to know; counts a
  /// hit or a miss.
  std::optional<v1::SessionReadResponse> newest(const std::string& session,
                                                size_t limit);

  /// Holds what the store answered for the newest turns of `session`:
  /// `turns` oldest first, `more` if older ones exist. Replaces what was
  /// held.
  void fill(const std::string& session, std::vector<v1::SessionTurn> turns,
            bool more);

  /// `turns` were stored right after the newest turn of `session`: held
  /// if the session is.
  void appended(const std::string& session,
                const std::vector<v1::SessionTurn>& turns);

  /// Forgets `session` (not counted as an eviction).
  void invalidate(const std::string& session);

  /// Forgets every session whose key starts with `prefix` (not counted
  /// as evictions): a walk over all sessions held.
  void invalidate_prefix(std::string_view prefix);

  /// False when a bound is 0: nothing is ever held.
  bool enabled() const noexcept {
    return limits_.sessions > 0 && limits_.turns > 0 && limits_.bytes > 0;
  }

  size_t sessions() const noexcept {
    return index_.size();
  }
  size_t bytes() const noexcept {
    return bytes_;
  }

  /// What a turn counts against the byte bound: its text and an estimate
  /// of the bookkeeping around it.
  static size_t cost(const v1::SessionTurn& turn);

private:
  struct entry {
    std::string session;
    std::deque<v1::SessionTurn> turns;
    /// No older turns exist in the store than those held.
    bool complete = false;
    size_t bytes = 0;
  };
  using lru_list = std::list<entry>;

  void push_back(entry& e, v1::SessionTurn turn);
  void erase(lru_list::iterator it);
  /// Drops least recently used sessions until every bound holds.
  void enforce_bounds();
  void publish() const;

  session_cache_limits limits_;
  session_cache_metrics metrics_;
  /// Most recently used first.
  lru_list lru_;
  std::unordered_map<std::string, lru_list::iterator> index_;
  size_t bytes_ = 0;
};

} // namespace bsm
