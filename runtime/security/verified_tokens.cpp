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

} // namespace bsm::security
