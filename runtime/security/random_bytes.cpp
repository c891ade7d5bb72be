#include "runtime/security/random_bytes.hpp"

#include <climits>

#include <openssl/rand.h>

#include "runtime/error.hpp"

namespace bsm::security {

caf::expected<std::string> random_bytes(size_t count) {
  if (count > INT_MAX)
    return make_error(errc::invalid_argument, "too many random bytes asked");
  std::string out(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()),
                 static_cast<int>(count))
      != 1)
    return make_error(errc::internal, "the random generator failed");
  return out;
}

std::string lower_hex(std::string_view bytes) {
  constexpr std::string_view digits = "0123456789abcdef";
  std::string out;
  out.reserve(2 * bytes.size());
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 0x0F]);
  }
  return out;
}

} // namespace bsm::security
