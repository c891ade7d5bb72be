#include "runtime/security/verified_tokens.hpp"

namespace bsm::security {

std::optional<verified_tokens::entry>
verified_tokens::find(std::string_view token) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (auto* hit = entries_.find(token))
    return *hit;
  return std::nullopt;
}

void verified_tokens::put(std::string_view token, entry x) {
  if (token.size() > max_token_bytes)
    return;
  std::lock_guard<std::mutex> guard{mtx_};
  entries_.put(token, std::move(x));
}

void verified_tokens::erase(std::string_view token) {
  std::lock_guard<std::mutex> guard{mtx_};
  entries_.erase(token);
}

size_t verified_tokens::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return entries_.size();
}

uint64_t verified_tokens::evictions() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return entries_.evictions();
}

verified_tokens_series::verified_tokens_series(metrics::registry& reg)
  : size_(reg
            .gauge_family("bsm_auth_verified_tokens",
                          "Bearer tokens held as verified (at most 1,024).")
            .with()),
    evictions_(reg
                 .counter_family("bsm_auth_verified_tokens_evictions_total",
                                 "Verified bearer tokens forgotten to make "
                                 "room; verified again when next seen.")
                 .with()) {}

void verified_tokens_series::publish(
  std::shared_ptr<const verified_tokens> cache) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (!cache)
    return;
  if (cache != last_) {
    last_ = std::move(cache);
    counted_ = 0;
  }
  auto evicted = last_->evictions();
  size_.set(static_cast<double>(last_->size()));
  evictions_.inc(evicted - counted_);
  counted_ = evicted;
}

} // namespace bsm::security
