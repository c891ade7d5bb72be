#include "text_stats.hpp"

#include <array>

namespace textstats {

namespace {

bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v'
         || c == '\f';
}

// The reflected polynomial 0xEDB88320, one entry per byte value.
std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k)
      c = (c & 1u) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}

} // namespace

counts count(std::string_view text) {
  counts result;
  result.bytes = text.size();
  bool in_word = false;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if ((c & 0xC0u) != 0x80u)
      ++result.characters;
    if (c == '\n')
      ++result.lines;
    if (is_space(c)) {
      in_word = false;
    } else if (!in_word) {
      in_word = true;
      ++result.words;
    }
  }
  if (!text.empty() && text.back() != '\n')
    ++result.lines;
  return result;
}

uint32_t crc32(std::string_view text) {
  static const auto table = make_crc_table();
  uint32_t c = 0xFFFFFFFFu;
  for (char ch : text)
    c = table[(c ^ static_cast<unsigned char>(ch)) & 0xFFu] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::string hex8(uint32_t x) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string result(8, '0');
  for (int i = 7; i >= 0; --i, x >>= 4)
    result[static_cast<size_t>(i)] = digits[x & 0xFu];
  return result;
}

} // namespace textstats
