#include "runtime/security/concurrency_limiter.hpp"

namespace bsm::security {

// Gives its slot back when the last handle goes; keeps the limiter alive.
struct concurrency_limiter::slot {
  std::shared_ptr<concurrency_limiter> owner;
  std::string key;

  ~slot() {
    owner->release(key);
  }
};

std::shared_ptr<concurrency_limiter>
concurrency_limiter::make(uint32_t per_key) {
  return std::shared_ptr<concurrency_limiter>{new concurrency_limiter{per_key}};
}

std::shared_ptr<void> concurrency_limiter::try_acquire(const std::string& key) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto& count = counts_[key];
    if (per_key_ != 0 && count >= per_key_) {
      if (count == 0)
        counts_.erase(key);
      return nullptr;
    }
    ++count;
  }
  // Built in place: a temporary slot would give the count back at once.
  return std::shared_ptr<slot>(new slot{shared_from_this(), key});
}

uint32_t concurrency_limiter::in_use(const std::string& key) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = counts_.find(key);
  return i == counts_.end() ? 0 : i->second;
}

void concurrency_limiter::release(const std::string& key) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = counts_.find(key);
  if (i != counts_.end() && --i->second == 0)
    counts_.erase(i);
}

} // namespace bsm::security
