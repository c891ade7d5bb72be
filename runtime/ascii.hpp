#pragma once

// ASCII case folding and trimming for protocol text (header names and
// values, media types, transfer codings) and for matching words. Only ASCII
// bytes are looked at: the result does not depend on the C locale, and
// UTF-8 bytes pass through untouched.

#include <string>
#include <string_view>

namespace bsm {

/// `c` with 'A'..'Z' mapped to 'a'..'z'; any other byte unchanged.
constexpr char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// `text` with 'A'..'Z' mapped to 'a'..'z'; any other byte unchanged.
inline std::string ascii_lower(std::string_view text) {
  std::string result{text};
  for (auto& c : result)
    c = ascii_lower(c);
  return result;
}

/// The value of hex digit `c` (either case), or -1.
constexpr int ascii_hex_value(char c) noexcept {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/// `text` without leading and trailing spaces, tabs, CRs and LFs.
constexpr std::string_view ascii_trim(std::string_view text) noexcept {
  constexpr std::string_view space = " \t\r\n";
  auto first = text.find_first_not_of(space);
  if (first == std::string_view::npos)
    return {};
  auto last = text.find_last_not_of(space);
  return text.substr(first, last - first + 1);
}

} // namespace bsm
