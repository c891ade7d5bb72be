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

using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;
using ecdsa_sig_ptr = std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)>;

const unsigned char* bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

caf::error invalid(const char* what) {
  return make_error(errc::invalid_argument, what);
}

/// Refuses every passphrase prompt: without it OpenSSL would ask on the
/// terminal for an encrypted key and block the caller.
int no_passphrase(char*, int, int, void*) {
  return -1;
}

template <class Read>
caf::expected<std::shared_ptr<evp_pkey_st>>
read_pem(std::string_view pem, Read read, const char* not_pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio{
    BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free};
  if (!bio)
    return make_error(errc::internal, "cannot allocate a BIO");
  auto* key = read(bio.get(), nullptr, no_passphrase, nullptr);
  if (key == nullptr)
    return invalid(not_pem);
  return std::shared_ptr<evp_pkey_st>{key, &EVP_PKEY_free};
}

caf::expected<std::shared_ptr<evp_pkey_st>>
checked_rsa(caf::expected<std::shared_ptr<evp_pkey_st>> key) {
  if (!key)
    return key;
  if (EVP_PKEY_is_a(key->get(), "RSA") != 1)
    return invalid("RS256 key is not an RSA key");
  if (EVP_PKEY_get_bits(key->get()) < min_rsa_bits)
    return invalid("RS256 key is shorter than 2048 bits");
  return key;
}

caf::expected<std::shared_ptr<evp_pkey_st>>
checked_p256(caf::expected<std::shared_ptr<evp_pkey_st>> key) {
  if (!key)
    return key;
  if (EVP_PKEY_is_a(key->get(), "EC") != 1)
    return invalid("ES256 key is not an EC key");
  std::array<char, 64> group{};
  size_t length = 0;
  if (EVP_PKEY_get_group_name(key->get(), group.data(), group.size(), &length)
        != 1
      || std::string_view{group.data(), length} != "prime256v1")
    return invalid("ES256 key is not on P-256");
  return key;
}

caf::expected<public_key> read_public_pem(std::string_view pem) {
  return read_pem(pem, PEM_read_bio_PUBKEY,
                  "public key is not a PEM public key");
}

caf::expected<private_key> read_private_pem(std::string_view pem) {
  return read_pem(pem, PEM_read_bio_PrivateKey,
                  "private key is not an unencrypted PEM private key");
}

bool digest_verify(const public_key& key, std::string_view input,
                   const unsigned char* signature, size_t signature_size) {
  md_ctx_ptr ctx{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
  if (!ctx
      || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                              key.get())
           != 1)
    return false;
  return EVP_DigestVerify(ctx.get(), signature, signature_size, bytes(input),
                          input.size())
         == 1;
}

caf::expected<std::string> digest_sign(const private_key& key,
                                       std::string_view input) {
  md_ctx_ptr ctx{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
  size_t size = 0;
  if (!ctx
      || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                            key.get())
           != 1
      || EVP_DigestSign(ctx.get(), nullptr, &size, bytes(input), input.size())
           != 1)
    return make_error(errc::internal, "cannot sign the token");
  std::string out(size, '\0');
  auto* target = reinterpret_cast<unsigned char*>(out.data());
  if (EVP_DigestSign(ctx.get(), target, &size, bytes(input), input.size()) != 1)
    return make_error(errc::internal, "cannot sign the token");
  out.resize(size);
  return out;
}

/// Converts the JWS form r||s into the DER ECDSA-Sig-Value OpenSSL checks.
std::string raw_to_der(std::string_view signature) {
  ecdsa_sig_ptr sig{ECDSA_SIG_new(), &ECDSA_SIG_free};
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

/// Converts OpenSSL's DER signature into r||s, each padded to 32 bytes.
caf::expected<std::string> der_to_raw(const std::string& der) {
  const auto* cursor = bytes(der);
  ecdsa_sig_ptr sig{
    d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size())),
    &ECDSA_SIG_free};
  std::string out(2 * es256_half, '\0');
  auto* target = reinterpret_cast<unsigned char*>(out.data());
  if (!sig || BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), target, es256_half) < 0
      || BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), target + es256_half,
                      es256_half)
           < 0)
    return make_error(errc::internal, "cannot convert the ES256 signature");
  return out;
}

} // namespace

caf::expected<public_key> load_rs256_key(std::string_view pem) {
  return checked_rsa(read_public_pem(pem));
}

caf::expected<public_key> load_es256_key(std::string_view pem) {
  return checked_p256(read_public_pem(pem));
}

caf::expected<private_key> load_rs256_private_key(std::string_view pem) {
  return checked_rsa(read_private_pem(pem));
}

caf::expected<private_key> load_es256_private_key(std::string_view pem) {
  return checked_p256(read_private_pem(pem));
}

bool hs256_matches(std::string_view key, std::string_view input,
                   std::string_view signature) {
  auto mac = hs256_sign(key, input);
  return mac && signature.size() == mac->size()
         && CRYPTO_memcmp(mac->data(), signature.data(), mac->size()) == 0;
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

caf::expected<std::string> hs256_sign(std::string_view key,
                                      std::string_view input) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), bytes(input),
           input.size(), mac.data(), &size)
      == nullptr)
    return make_error(errc::internal, "cannot compute HMAC-SHA256");
  return std::string(reinterpret_cast<char*>(mac.data()), size);
}

caf::expected<std::string> rs256_sign(const private_key& key,
                                      std::string_view input) {
  return digest_sign(key, input);
}

caf::expected<std::string> es256_sign(const private_key& key,
                                      std::string_view input) {
  auto der = es256_sign_der(key, input);
  if (!der)
    return der;
  return der_to_raw(*der);
}

caf::expected<std::string> es256_sign_der(const private_key& key,
                                          std::string_view input) {
  return digest_sign(key, input);
}

} // namespace bsm::security
