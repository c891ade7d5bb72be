#pragma once

// A map from string keys, often chosen by a client, to values that never
// holds more than a fixed number of entries nor, optionally, more than a
// fixed number of bytes: making room evicts the entry used least recently,
// and each such eviction is counted. Clock-free: what "recently" means is
// the order of calls. Not thread-safe: one owner at a time.

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace bsm {

template <class Value>
class bounded_lru {
public:
  /// What an entry counts against the byte bound besides its key and the
  /// bytes its owner declares for the value: list and map nodes.
  static constexpr size_t entry_overhead = 96;

  /// REQUIRES: max_entries > 0. `max_bytes` 0: no byte bound.
  explicit bounded_lru(size_t max_entries, size_t max_bytes = 0)
    : max_entries_(max_entries), max_bytes_(max_bytes) {}

  bounded_lru(const bounded_lru&) = delete;
  bounded_lru& operator=(const bounded_lru&) = delete;
  bounded_lru(bounded_lru&&) = default;
  bounded_lru& operator=(bounded_lru&&) = default;

  /// The entry for `key`, now the most recently used; null if there is none.
  Value* find(std::string_view key) {
    auto i = index_.find(key);
    if (i == index_.end())
      return nullptr;
    order_.splice(order_.begin(), order_, i->second);
    return &i->second->value;
  }

  /// The entry for `key` without changing the order; null if there is none.
  const Value* peek(std::string_view key) const {
    auto i = index_.find(key);
    return i == index_.end() ? nullptr : &i->second->value;
  }

  /// Sets the entry for `key` to `value` (declared as `value_bytes` for the
  /// byte bound), now the most recently used, then evicts least recently
  /// used entries until the bounds hold again. The new entry itself is
  /// never evicted, even when it alone exceeds the byte bound.
  Value& put(std::string_view key, Value value, size_t value_bytes = 0) {
    if (auto i = index_.find(key); i != index_.end()) {
      auto& e = *i->second;
      bytes_ = bytes_ - e.bytes + cost(key, value_bytes);
      e.bytes = cost(key, value_bytes);
      e.value = std::move(value);
      order_.splice(order_.begin(), order_, i->second);
    } else {
      order_.push_front(
        node{std::string{key}, std::move(value), cost(key, value_bytes)});
      index_.emplace(order_.front().key, order_.begin());
      bytes_ += order_.front().bytes;
    }
    enforce_bounds();
    return order_.front().value;
  }

  /// The entry for `key`, now the most recently used; created as `Value{}`
  /// (no declared bytes) if missing, evicting as `put` does.
  Value& touch(std::string_view key) {
    if (auto* existing = find(key))
      return *existing;
    return put(key, Value{});
  }

  /// Forgets `key` (not counted as an eviction); false if it was not held.
  bool erase(std::string_view key) {
    auto i = index_.find(key);
    if (i == index_.end())
      return false;
    auto pos = i->second;
    index_.erase(i);
    bytes_ -= pos->bytes;
    order_.erase(pos);
    return true;
  }

  /// Forgets every entry whose key starts with `prefix` (not counted as
  /// evictions) and returns how many: a walk over all entries.
  size_t erase_prefix(std::string_view prefix) {
    size_t erased = 0;
    for (auto pos = order_.begin(); pos != order_.end();) {
      if (std::string_view{pos->key}.substr(0, prefix.size()) != prefix) {
        ++pos;
        continue;
      }
      bytes_ -= pos->bytes;
      index_.erase(pos->key);
      pos = order_.erase(pos);
      ++erased;
    }
    return erased;
  }

  /// Erases entries from the least recently used end while `is_idle(value)`
  /// holds, stopping at the first that is not idle: cheap to call on every
  /// use, and it forgets keys that went quiet first. Not counted as
  /// evictions.
  template <class Predicate>
  void erase_idle_oldest(Predicate is_idle) {
    while (!order_.empty() && is_idle(order_.back().value))
      pop_oldest();
  }

  /// Calls `f(key, value)` for every entry, most recently used first,
  /// without changing the order.
  template <class F>
  void for_each(F f) {
    for (auto& x : order_)
      f(std::string_view{x.key}, x.value);
  }

  size_t size() const noexcept {
    return index_.size();
  }
  /// Bytes held as counted for the byte bound (kept even without one).
  size_t bytes() const noexcept {
    return bytes_;
  }
  size_t max_entries() const noexcept {
    return max_entries_;
  }
  /// Entries dropped to keep a bound since construction.
  uint64_t evictions() const noexcept {
    return evictions_;
  }

private:
  struct node {
    std::string key;
    Value value;
    size_t bytes;
  };

  using list_type = std::list<node>;

  static size_t cost(std::string_view key, size_t value_bytes) {
    return key.size() + value_bytes + entry_overhead;
  }

  bool over_bounds() const noexcept {
    return index_.size() > max_entries_
           || (max_bytes_ > 0 && bytes_ > max_bytes_);
  }

  void enforce_bounds() {
    while (index_.size() > 1 && over_bounds()) {
      pop_oldest();
      ++evictions_;
    }
  }

  void pop_oldest() {
    bytes_ -= order_.back().bytes;
    index_.erase(order_.back().key);
    order_.pop_back();
  }

  size_t max_entries_;
  size_t max_bytes_;
  size_t bytes_ = 0;
  uint64_t evictions_ = 0;
  /// Most recently used first. List nodes never move, so the index can
  /// view their keys.
  list_type order_;
  std::unordered_map<std::string_view, typename list_type::iterator> index_;
};

} // namespace bsm
