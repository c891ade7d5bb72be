#include "runtime/security/api_key.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <cstdlib>

#include "runtime/error.hpp"
#include "runtime/security/base64url.hpp"
#include "runtime/security/random_bytes.hpp"

namespace bsm::security {

namespace {

constexpr std::string_view prefix = "bsm_";
constexpr size_t id_size = 12;
constexpr size_t secret_bytes = 32;
/// base64url of 32 bytes without padding.
constexpr size_t secret_text_size = 43;
static_assert(api_key_size == prefix.size() + id_size + 1 + secret_text_size);

constexpr std::string_view id_alphabet
  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

bool is_id_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
         || (c >= '0' && c <= '9');
}

/// 12 uniform characters of the id alphabet: a byte counts only below the
/// largest multiple of 62, so no character is likelier than another.
caf::expected<std::string> generate_id() {
  constexpr unsigned usable = 256 / id_alphabet.size() * id_alphabet.size();
  std::string id;
  while (id.size() < id_size) {
    auto batch = random_bytes(2 * id_size);
    if (!batch)
      return batch.error();
    for (unsigned char byte : *batch)
      if (byte < usable && id.size() < id_size)
        id.push_back(id_alphabet[byte % id_alphabet.size()]);
  }
  return id;
}

caf::error not_a_key(const char* what) {
  return make_error(errc::invalid_argument, std::string{"API key "} + what);
}

} // namespace

caf::expected<api_key> generate_api_key() {
  auto id = generate_id();
  if (!id)
    return id.error();
  auto secret = random_bytes(secret_bytes);
  if (!secret)
    return secret.error();
  auto text = std::string{prefix} + *id + "_" + base64url_encode(*secret);
  return api_key{std::move(*id), std::move(text)};
}

caf::expected<std::string> parse_api_key(std::string_view text) {
  if (text.size() != api_key_size)
    return not_a_key("has the wrong length");
  if (text.substr(0, prefix.size()) != prefix)
    return not_a_key("does not start with bsm_");
  auto id = text.substr(prefix.size(), id_size);
  for (char c : id)
    if (!is_id_char(c))
      return not_a_key("has an id outside [A-Za-z0-9]");
  if (text[prefix.size() + id_size] != '_')
    return not_a_key("has no _ after its id");
  // Strict base64url of exactly 32 bytes: one spelling per key.
  auto secret = base64url_decode(text.substr(prefix.size() + id_size + 1));
  if (!secret || secret->size() != secret_bytes)
    return not_a_key("has a secret that is not 32 bytes of base64url");
  return std::string{id};
}

std::string api_key_digest(std::string_view secret) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  // SHA-256 of a short input in memory cannot fail but by a broken build.
  if (EVP_Digest(secret.data(), secret.size(), digest.data(), &size,
                 EVP_sha256(), nullptr)
      != 1)
    std::abort();
  return lower_hex(
    std::string_view{reinterpret_cast<const char*>(digest.data()), size});
}

bool api_key_matches(std::string_view secret, std::string_view digest) {
  auto computed = api_key_digest(secret);
  return digest.size() == computed.size()
         && CRYPTO_memcmp(computed.data(), digest.data(), computed.size()) == 0;
}

} // namespace bsm::security
