#pragma once

// A map from client-chosen keys (addresses, user names) to small states
// that never holds more than a fixed number of entries: making room for a
// new key evicts the key used least recently. The limiters keep their
// per-key state here, so no client can make them grow by making up keys.
// Not thread-safe: one owner at a time.

#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

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
  explicit lru_map(size_t capacity) : capacity_(capacity) {}

  /// The entry for `key`, now the most recently used; null if there is none.
  Value* find(std::string_view key) {
    auto i = index_.find(cut(key));
    if (i == index_.end())
      return nullptr;
    order_.splice(order_.begin(), order_, i->second);
    return &i->second->value;
  }

  /// The entry for `key`, now the most recently used; created as `Value{}`
  /// if missing, after evicting the least recently used entry when full.
  Value& touch(std::string_view key) {
    if (auto* existing = find(key))
      return *existing;
    if (index_.size() >= capacity_)
      pop_oldest();
    order_.push_front(entry{std::string{cut(key)}, Value{}});
    index_.emplace(order_.front().key, order_.begin());
    return order_.front().value;
  }

  void erase(std::string_view key) {
    auto i = index_.find(cut(key));
    if (i == index_.end())
      return;
    auto pos = i->second;
    index_.erase(i);
    order_.erase(pos);
  }

  /// Erases entries from the least recently used end while `is_idle(value)`
  /// holds, stopping at the first that is not idle: cheap to call on every
  /// use, and it forgets keys that went quiet first.
  template <class Predicate>
  void erase_idle_oldest(Predicate is_idle) {
    while (!order_.empty() && is_idle(order_.back().value))
      pop_oldest();
  }

  size_t size() const noexcept {
    return index_.size();
  }

private:
  struct entry {
    std::string key;
    Value value;
  };

  using list_type = std::list<entry>;

  static std::string_view cut(std::string_view key) {
    return key.substr(0, max_key_bytes);
  }

  void pop_oldest() {
    index_.erase(order_.back().key);
    order_.pop_back();
  }

  size_t capacity_;
  /// Most recently used first. List nodes never move, so the index can
  /// view their keys.
  list_type order_;
  std::unordered_map<std::string_view, typename list_type::iterator> index_;
};

} // namespace bsm::security
