#include "runtime/security/jwt_signature.hpp"

#include <array>
#include <string>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "runtime/error.hpp"

namespace bsm::security {

namespace {

constexpr int min_rsa_bits = 2048;
constexpr size_t es256_half = 32;

const unsigned char* bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

caf::expected<public_key> read_pem(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio{
    BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free};
  if (!bio)
    return make_error(errc::internal, "cannot allocate a BIO");
  auto* key = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr)
    return make_error(errc::invalid_argument,
                      "public key is not a PEM public key");
  return public_key{key, &EVP_PKEY_free};
}

bool digest_verify(const public_key& key, std::string_view input,
                   const unsigned char* signature, size_t signature_size) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(),
                                                              &EVP_MD_CTX_free};
  if (!ctx
      || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                              key.get())
           != 1)
    return false;
  return EVP_DigestVerify(ctx.get(), signature, signature_size, bytes(input),
                          input.size())
         == 1;
}

/// Converts the JWS form r||s into the DER ECDSA-Sig-Value OpenSSL checks.
std::string raw_to_der(std::string_view signature) {
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig{ECDSA_SIG_new(),
                                                            &ECDSA_SIG_free};
  auto* r = BN_bin2bn(bytes(signature), es256_half, nullptr);
  auto* s = BN_bin2bn(bytes(signature) + es256_half, es256_half, nullptr);
  if (!sig || r == nullptr || s == nullptr
      || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return {};
  }
  unsigned char* der = nullptr;
  auto size = i2d_ECDSA_SIG(sig.get(), &der);
  if (size <= 0)
    return {};
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(size));
  OPENSSL_free(der);
  return out;
}

} // namespace

caf::expected<public_key> load_rs256_key(std::string_view pem) {
  auto key = read_pem(pem);
  if (!key)
    return key;
  if (EVP_PKEY_is_a(key->get(), "RSA") != 1)
    return make_error(errc::invalid_argument, "RS256 key is not an RSA key");
  if (EVP_PKEY_get_bits(key->get()) < min_rsa_bits)
    return make_error(errc::invalid_argument,
                      "RS256 key is shorter than 2048 bits");
  return key;
}

caf::expected<public_key> load_es256_key(std::string_view pem) {
  auto key = read_pem(pem);
  if (!key)
    return key;
  if (EVP_PKEY_is_a(key->get(), "EC") != 1)
    return make_error(errc::invalid_argument, "ES256 key is not an EC key");
  std::array<char, 64> group{};
  size_t length = 0;
  if (EVP_PKEY_get_group_name(key->get(), group.data(), group.size(), &length)
        != 1
      || std::string_view{group.data(), length} != "prime256v1")
    return make_error(errc::invalid_argument, "ES256 key is not on P-256");
  return key;
}

bool hs256_matches(std::string_view key, std::string_view input,
                   std::string_view signature) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), bytes(input),
           input.size(), mac.data(), &size)
      == nullptr)
    return false;
  return signature.size() == size
         && CRYPTO_memcmp(mac.data(), signature.data(), size) == 0;
}

bool rs256_matches(const public_key& key, std::string_view input,
                   std::string_view signature) {
  return digest_verify(key, input, bytes(signature), signature.size());
}

bool es256_matches(const public_key& key, std::string_view input,
                   std::string_view signature) {
  if (signature.size() != 2 * es256_half)
    return false;
  auto der = raw_to_der(signature);
  return !der.empty() && digest_verify(key, input, bytes(der), der.size());
}

} // namespace bsm::security
