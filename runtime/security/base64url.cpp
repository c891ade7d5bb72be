#include "runtime/security/base64url.hpp"

#include <array>
#include <cstdint>

namespace bsm::security {

namespace {

constexpr std::string_view url_alphabet
  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::string_view standard_alphabet
  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr int8_t invalid = -1;

using reverse_table = std::array<int8_t, 256>;

constexpr reverse_table make_reverse_table(std::string_view alphabet) {
  reverse_table table{};
  for (auto& entry : table)
    entry = invalid;
  for (size_t i = 0; i < alphabet.size(); ++i)
    table[static_cast<uint8_t>(alphabet[i])] = static_cast<int8_t>(i);
  return table;
}

constexpr auto url_reverse = make_reverse_table(url_alphabet);
constexpr auto standard_reverse = make_reverse_table(standard_alphabet);

std::string encode(std::string_view bytes, std::string_view alphabet) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  uint32_t bits = 0;
  int pending = 0;
  for (unsigned char byte : bytes) {
    bits = (bits << 8) | byte;
    pending += 8;
    while (pending >= 6) {
      pending -= 6;
      out.push_back(alphabet[(bits >> pending) & 0x3F]);
    }
  }
  if (pending > 0)
    out.push_back(alphabet[(bits << (6 - pending)) & 0x3F]);
  return out;
}

std::optional<std::string> decode(std::string_view text,
                                  const reverse_table& reverse) {
  // One leftover character carries only 6 bits: no whole byte.
  if (text.size() % 4 == 1)
    return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t bits = 0;
  int pending = 0;
  for (char c : text) {
    auto value = reverse[static_cast<uint8_t>(c)];
    if (value == invalid)
      return std::nullopt;
    bits = (bits << 6) | static_cast<uint32_t>(value);
    pending += 6;
    if (pending >= 8) {
      pending -= 8;
      out.push_back(static_cast<char>((bits >> pending) & 0xFF));
    }
  }
  // The bits below the last whole byte must be zero, else two texts
  // would decode to the same bytes.
  if ((bits & ((1u << pending) - 1)) != 0)
    return std::nullopt;
  return out;
}

} // namespace

std::string base64url_encode(std::string_view bytes) {
  return encode(bytes, url_alphabet);
}

std::optional<std::string> base64url_decode(std::string_view text) {
  return decode(text, url_reverse);
}

std::string base64_unpadded_encode(std::string_view bytes) {
  return encode(bytes, standard_alphabet);
}

std::optional<std::string> base64_unpadded_decode(std::string_view text) {
  return decode(text, standard_reverse);
}

} // namespace bsm::security
