#pragma once

// ASCII case folding for protocol text (header names, media types, transfer
// codings) and for matching words. Only 'A'..'Z' change: the result does not
// depend on the C locale, and UTF-8 bytes pass through untouched.

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

} // namespace bsm
