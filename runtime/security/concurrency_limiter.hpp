#pragma once

// At most N things at once per key (per principal: chats in flight, open
// event streams). A slot is held by a shared handle and given back when
// the last copy goes, so it can ride along with whatever it guards (an
// HTTP exchange). Keys without a slot are forgotten, so memory is bounded
// by the slots in use. Thread-safe.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace bsm::security {

class concurrency_limiter
  : public std::enable_shared_from_this<concurrency_limiter> {
public:
  /// 0 means unlimited.
  static std::shared_ptr<concurrency_limiter> make(uint32_t per_key);

  /// A held slot, or null if `key` holds `per_key` slots already (always
  /// a slot when unlimited).
  std::shared_ptr<void> try_acquire(const std::string& key);

  /// Slots `key` holds now.
  uint32_t in_use(const std::string& key) const;

  uint32_t per_key() const noexcept {
    return per_key_;
  }

private:
  struct slot;

  explicit concurrency_limiter(uint32_t per_key) : per_key_(per_key) {}

  void release(const std::string& key);

  uint32_t per_key_;
  mutable std::mutex mtx_;
  std::unordered_map<std::string, uint32_t> counts_;
};

} // namespace bsm::security
