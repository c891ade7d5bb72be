#include "runtime/security/password_hash.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <optional>
#include <vector>

#include "runtime/error.hpp"
#include "runtime/security/base64url.hpp"
#include "runtime/security/random_bytes.hpp"

namespace bsm::security {

namespace {

using limits = password_hash_limits;

constexpr size_t new_salt_size = 16;
constexpr size_t new_hash_size = 32;
/// Longer than any string within the limits: refused before parsing.
constexpr size_t max_phc_size = 256;

constexpr std::string_view scrypt_id = "scrypt";
constexpr std::string_view pbkdf2_id = "pbkdf2-sha256";

caf::error malformed(const char* what) {
  return make_error(errc::invalid_argument,
                    std::string{"password hash "} + what);
}

const unsigned char* bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

caf::error check_bound(uint64_t value, uint64_t max, const char* name) {
  if (value < 1 || value > max)
    return make_error(errc::invalid_argument,
                      std::string{"password hash parameter "} + name
                        + " is outside 1.." + std::to_string(max));
  return {};
}

caf::expected<std::string> derive(std::string_view password,
                                  std::string_view salt,
                                  const password_hash_params& params,
                                  size_t size) {
  std::string out(size, '\0');
  auto* target = reinterpret_cast<unsigned char*>(out.data());
  int ok = 0;
  if (params.kdf == password_kdf::scrypt) {
    uint64_t n = uint64_t{1} << params.scrypt_ln;
    uint64_t r = params.scrypt_r;
    uint64_t p = params.scrypt_p;
    // What OpenSSL allocates for these parameters: V plus B.
    uint64_t memory = 128 * r * (n + 2 + p);
    ok = EVP_PBE_scrypt(password.data(), password.size(), bytes(salt),
                        salt.size(), n, r, p, memory, target, size);
  } else {
    ok = PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                           bytes(salt), static_cast<int>(salt.size()),
                           static_cast<int>(params.pbkdf2_iterations),
                           EVP_sha256(), static_cast<int>(size), target);
  }
  if (ok != 1)
    return make_error(errc::internal, "cannot derive the password hash");
  return out;
}

std::string format_params(const password_hash_params& params) {
  if (params.kdf == password_kdf::scrypt)
    return "$" + std::string{scrypt_id}
           + "$ln=" + std::to_string(params.scrypt_ln)
           + ",r=" + std::to_string(params.scrypt_r)
           + ",p=" + std::to_string(params.scrypt_p);
  return "$" + std::string{pbkdf2_id}
         + "$i=" + std::to_string(params.pbkdf2_iterations);
}

/// A decimal without sign or leading zero, at most 9 digits.
std::optional<uint32_t> parse_decimal(std::string_view text) {
  if (text.empty() || text.size() > 9 || (text[0] == '0' && text.size() > 1))
    return std::nullopt;
  uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return std::nullopt;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  return value;
}

/// Reads "name=value" at the front of `text` and drops it and `separator`.
std::optional<uint32_t> take_param(std::string_view& text,
                                   std::string_view name, bool last) {
  if (text.substr(0, name.size() + 1) != std::string{name} + "=")
    return std::nullopt;
  text.remove_prefix(name.size() + 1);
  auto end = last ? text.size() : text.find(',');
  if (end == std::string_view::npos || (last && end == 0))
    return std::nullopt;
  auto value = parse_decimal(text.substr(0, end));
  text.remove_prefix(last ? end : end + 1);
  return value;
}

caf::expected<password_hash_params> parse_params(std::string_view id,
                                                 std::string_view text) {
  password_hash_params params;
  if (id == scrypt_id) {
    auto ln = take_param(text, "ln", false);
    auto r = take_param(text, "r", false);
    auto p = take_param(text, "p", true);
    if (!ln || !r || !p)
      return malformed("has scrypt parameters other than ln=,r=,p=");
    params.scrypt_ln = *ln;
    params.scrypt_r = *r;
    params.scrypt_p = *p;
  } else if (id == pbkdf2_id) {
    params.kdf = password_kdf::pbkdf2_sha256;
    auto i = take_param(text, "i", true);
    if (!i)
      return malformed("has pbkdf2-sha256 parameters other than i=");
    params.pbkdf2_iterations = *i;
  } else {
    return malformed("names a function other than scrypt or pbkdf2-sha256");
  }
  if (auto err = validate(params))
    return err;
  return params;
}

struct stored_hash {
  password_hash_params params;
  std::string salt;
  std::string hash;
};

std::vector<std::string_view> split_fields(std::string_view phc) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (fields.size() < 6) {
    auto end = phc.find('$', start);
    fields.push_back(phc.substr(start, end - start));
    if (end == std::string_view::npos)
      break;
    start = end + 1;
  }
  return fields;
}

caf::expected<stored_hash> parse_phc(std::string_view phc) {
  if (phc.size() > max_phc_size)
    return malformed("is too long");
  // "", id, params, salt, hash.
  auto fields = split_fields(phc);
  if (fields.size() != 5 || !fields[0].empty())
    return malformed("is not $id$params$salt$hash");
  auto params = parse_params(fields[1], fields[2]);
  if (!params)
    return params.error();
  auto salt = base64_unpadded_decode(fields[3]);
  auto hash = base64_unpadded_decode(fields[4]);
  if (!salt || !hash)
    return malformed("has a salt or hash that is not unpadded base64");
  if (salt->size() < limits::min_salt_size
      || salt->size() > limits::max_salt_size)
    return malformed("has a salt of another length than 8..64 bytes");
  if (hash->size() < limits::min_hash_size
      || hash->size() > limits::max_hash_size)
    return malformed("has a hash of another length than 16..64 bytes");
  return stored_hash{*params, std::move(*salt), std::move(*hash)};
}

} // namespace

caf::error validate(const password_hash_params& params) {
  if (params.kdf == password_kdf::pbkdf2_sha256)
    return check_bound(params.pbkdf2_iterations, limits::max_pbkdf2_iterations,
                       "i");
  if (auto err = check_bound(params.scrypt_ln, limits::max_scrypt_ln, "ln"))
    return err;
  if (auto err = check_bound(params.scrypt_r, limits::max_scrypt_r, "r"))
    return err;
  return check_bound(params.scrypt_p, limits::max_scrypt_p, "p");
}

caf::expected<std::string> hash_password(std::string_view password,
                                         const password_hash_params& params) {
  if (auto err = validate(params))
    return err;
  auto salt = random_bytes(new_salt_size);
  if (!salt)
    return salt.error();
  auto hash = derive(password, *salt, params, new_hash_size);
  if (!hash)
    return hash.error();
  return format_params(params) + "$" + base64_unpadded_encode(*salt) + "$"
         + base64_unpadded_encode(*hash);
}

caf::expected<bool> verify_password(std::string_view password,
                                    std::string_view phc) {
  auto stored = parse_phc(phc);
  if (!stored)
    return stored.error();
  auto hash
    = derive(password, stored->salt, stored->params, stored->hash.size());
  if (!hash)
    return hash.error();
  return CRYPTO_memcmp(hash->data(), stored->hash.data(), hash->size()) == 0;
}

} // namespace bsm::security
