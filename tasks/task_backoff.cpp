#include "tasks/task_backoff.hpp"

#include <algorithm>
#include <memory>
#include <random>

namespace bsm::tasks {

std::chrono::milliseconds backoff_delay(const backoff_policy& policy,
                                        uint32_t failed,
                                        const random_source& random) {
  auto cap = std::max(policy.max.count(), int64_t{1});
  auto base = std::max(policy.initial.count(), int64_t{1});
  // Doubling stops at the cap (and long before int64 overflows).
  for (uint32_t i = 1; i < failed && base < cap; ++i)
    base *= 2;
  base = std::min(base, cap);
  auto half = base / 2;
  auto r = std::clamp(random ? random() : 0.5, 0.0, 1.0);
  auto jitter = static_cast<int64_t>(static_cast<double>(base - half) * r);
  return std::chrono::milliseconds{std::min(half + jitter, base)};
}

random_source default_random_source() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine] {
    return std::uniform_real_distribution<double>{0.0, 1.0}(*engine);
  };
}

} // namespace bsm::tasks
