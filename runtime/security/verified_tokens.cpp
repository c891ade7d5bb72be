#include "runtime/security/verified_tokens.hpp"

namespace bsm::security {

std::optional<verified_tokens::entry>
verified_tokens::find(std::string_view token) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = index_.find(token);
  if (i == index_.end())
    return std::nullopt;
  order_.splice(order_.begin(), order_, i->second);
  return i->second->value;
}

void verified_tokens::put(std::string_view token, entry x) {
  if (token.size() > max_token_bytes)
    return;
  std::lock_guard<std::mutex> guard{mtx_};
  if (auto i = index_.find(token); i != index_.end()) {
    i->second->value = std::move(x);
    order_.splice(order_.begin(), order_, i->second);
    return;
  }
  if (index_.size() >= capacity_) {
    index_.erase(order_.back().token);
    order_.pop_back();
  }
  order_.push_front(node{std::string{token}, std::move(x)});
  index_.emplace(order_.front().token, order_.begin());
}

void verified_tokens::erase(std::string_view token) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = index_.find(token);
  if (i == index_.end())
    return;
  auto pos = i->second;
  index_.erase(i);
  order_.erase(pos);
}

size_t verified_tokens::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return index_.size();
}

} // namespace bsm::security
