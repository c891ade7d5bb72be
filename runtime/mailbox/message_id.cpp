#include "runtime/mailbox/message_id.hpp"

#include <random>

#include "runtime/clock.hpp"

namespace bsm {

std::string new_message_id() {
  static constexpr char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  auto time = static_cast<uint64_t>(unix_now_ms());
  auto hi = rng() & 0xFFFF; // 16 random bits
  auto lo = rng();          // 64 random bits
  std::string result(26, '0');
  // 10 characters of time (50 bits, the top 2 are zero).
  for (int i = 9; i >= 0; --i, time >>= 5)
    result[static_cast<size_t>(i)] = alphabet[time & 31];
  // 16 characters of randomness (80 bits).
  for (int i = 25; i >= 10; --i) {
    result[static_cast<size_t>(i)] = alphabet[lo & 31];
    lo = (lo >> 5) | ((hi & 31) << 59);
    hi >>= 5;
  }
  return result;
}

} // namespace bsm
