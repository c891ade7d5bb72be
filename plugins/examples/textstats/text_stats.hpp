#pragma once

// What the textstats plugin computes, apart from the plugin glue so that
// it is tested on its own: counts of a UTF-8 text and its CRC-32.

#include <cstdint>
#include <string>
#include <string_view>

namespace textstats {

struct counts {
  /// Unicode code points (UTF-8 lead bytes; a stray continuation byte
  /// counts as none).
  uint64_t characters = 0;
  uint64_t bytes = 0;
  /// Runs of characters between ASCII whitespace.
  uint64_t words = 0;
  /// Newline-separated lines; a text without a final newline has one more
  /// line than newlines, the empty text none.
  uint64_t lines = 0;
};

counts count(std::string_view text);

/// CRC-32 (IEEE 802.3, as zlib and PNG use) of the bytes of `text`.
uint32_t crc32(std::string_view text);

/// `x` as 8 lowercase hexadecimal digits.
std::string hex8(uint32_t x);

} // namespace textstats
