#pragma once

// A map from client-chosen keys (addresses, user names) to small states
// that never holds more than a fixed number of entries (a bounded_lru whose
// keys are cut to a fixed length). The limiters keep their per-key state
// here, so no client can make them grow by making up keys. Not
// thread-safe: one owner at a time.

#include <cstddef>
#include <string_view>

#include "runtime/containers/bounded_lru.hpp"

namespace bsm::security {

template <class Value>
class lru_map {
public:
  /// Longest key kept, in bytes. A longer key is cut to this length, so an
  /// entry's size is bounded too. Keys cut to the same prefix share one
  /// entry, which only makes a limiter stricter for them; the names we
  /// accept (user names, addresses) are far shorter.
  static constexpr size_t max_key_bytes = 256;

  /// REQUIRES: capacity > 0.
  explicit lru_map(size_t capacity) : entries_(capacity) {}

  /// The entry for `key`, now the most recently used; null if there is none.
  Value* find(std::string_view key) {
    return entries_.find(cut(key));
  }

  /// The entry for `key`, now the most recently used; created as `Value{}`
  /// if missing, after evicting the least recently used entry when full.
  Value& touch(std::string_view key) {
    return entries_.touch(cut(key));
  }

  void erase(std::string_view key) {
    entries_.erase(cut(key));
  }

  /// Erases entries from the least recently used end while `is_idle(value)`
  /// holds (see bounded_lru::erase_idle_oldest).
  template <class Predicate>
  void erase_idle_oldest(Predicate is_idle) {
    entries_.erase_idle_oldest(is_idle);
  }

  size_t size() const noexcept {
    return entries_.size();
  }

  /// Entries dropped to make room for new keys.
  uint64_t evictions() const noexcept {
    return entries_.evictions();
  }

private:
  static std::string_view cut(std::string_view key) {
    return key.substr(0, max_key_bytes);
  }

  bounded_lru<Value> entries_;
};

} // namespace bsm::security
