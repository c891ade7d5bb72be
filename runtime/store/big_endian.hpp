#pragma once

// Big-endian 64-bit integers in keys and values: byte order equals numeric
// order, so RocksDB's key order is sequence order.

#include <cstdint>
#include <string>
#include <string_view>

namespace bsm {

inline void append_big_endian(std::string& out, uint64_t x) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((x >> shift) & 0xFF));
}

/// REQUIRES: bytes.size() == 8.
inline uint64_t read_big_endian(std::string_view bytes) {
  uint64_t result = 0;
  for (char c : bytes)
    result = (result << 8) | static_cast<uint8_t>(c);
  return result;
}

} // namespace bsm
