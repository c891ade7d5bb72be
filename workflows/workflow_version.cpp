#include "workflows/workflow_version.hpp"

#include <array>
#include <cstdlib>

#include <openssl/evp.h>

namespace bsm::workflows {

namespace {

constexpr size_t version_digits = 16;

std::string lower_hex(const unsigned char* data, size_t size) {
  constexpr char digits[] = "0123456789abcdef";
  std::string result;
  result.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    result += digits[data[i] >> 4];
    result += digits[data[i] & 0x0f];
  }
  return result;
}

} // namespace

std::string canonical_json(const workflow_definition& def) {
  return to_json(def).dump();
}

std::string definition_digest(const workflow_definition& def) {
  auto text = canonical_json(def);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  // SHA-256 of a string in memory cannot fail but by a broken build.
  if (EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(),
                 nullptr)
      != 1)
    std::abort();
  return lower_hex(digest.data(), size);
}

std::string definition_version(const workflow_definition& def) {
  return definition_digest(def).substr(0, version_digits);
}

} // namespace bsm::workflows
