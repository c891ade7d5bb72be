#include "runtime/store/memory_budget.hpp"

#include <algorithm>

namespace bsm {

namespace {

std::string mib(uint64_t bytes) {
  return std::to_string(bytes >> 20) + " MiB";
}

} // namespace

uint64_t store_held(const memory_use& x) {
  return std::max(x.cache_pinned, x.memtables);
}

uint64_t resident_limit(const memory_limits& limits) {
  return limits.budget + limits.budget / 10 + limits.headroom;
}

std::string exhausted(const memory_limits& limits, const memory_use& x) {
  if (auto held = store_held(x); held >= limits.budget)
    return "the store holds " + mib(held)
           + " that cannot be evicted, the whole store.memory_budget of "
           + mib(limits.budget);
  if (auto limit = resident_limit(limits); x.resident > limit)
    return "the process holds " + mib(x.resident)
           + ", more than store.memory_budget + 10% + "
             "store.memory_headroom ("
           + mib(limit) + ")";
  return {};
}

} // namespace bsm
