#include "runtime/http/idempotency_claims.hpp"

#include <algorithm>

#include <openssl/sha.h>

namespace bsm::http {

namespace {

std::string key_of(const std::string& scope) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(scope.data()), scope.size(),
         digest);
  return std::string{reinterpret_cast<const char*>(digest), sizeof(digest)};
}

} // namespace

idempotency_claims::idempotency_claims(idempotency_claims_options opts,
                                       uint64_t first_id)
  : opts_(opts), next_id_(first_id) {}

uint64_t idempotency_claims::next_id() {
  if (next_id_ == 0)
    ++next_id_;
  return next_id_++;
}

void idempotency_claims::drop_expired(time_point now) {
  while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) {
    by_key_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
}

idempotency_claims::result
idempotency_claims::claim(const std::string& scope,
                          std::chrono::milliseconds lease, time_point now) {
  drop_expired(now);
  auto key = key_of(scope);
  if (by_key_.count(key) > 0)
    return {outcome::in_flight, 0};
  if (by_key_.size() >= opts_.max_claims)
    return {outcome::full, 0};
  lease = std::clamp(lease, std::chrono::milliseconds{0}, opts_.max_lease);
  entry e{next_id(), now + lease};
  by_expiry_.emplace(e.expires, key);
  by_key_.emplace(std::move(key), e);
  return {outcome::claimed, e.id};
}

bool idempotency_claims::release(const std::string& scope, uint64_t id) {
  auto i = by_key_.find(key_of(scope));
  if (i == by_key_.end() || i->second.id != id)
    return false;
  by_expiry_.erase({i->second.expires, i->first});
  by_key_.erase(i);
  return true;
}

} // namespace bsm::http
