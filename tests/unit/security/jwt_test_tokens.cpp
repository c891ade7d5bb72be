#include "tests/unit/security/jwt_test_tokens.hpp"

#include <array>
#include <stdexcept>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "runtime/security/base64url.hpp"

namespace bsm::security::test {

namespace {

const unsigned char* bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

public_key generate(EVP_PKEY* key) {
  if (key == nullptr)
    throw std::runtime_error("key generation failed");
  return public_key{key, &EVP_PKEY_free};
}

std::string public_pem(const public_key& key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio{BIO_new(BIO_s_mem()),
                                                &BIO_free};
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key.get()) != 1)
    throw std::runtime_error("PEM export failed");
  char* data = nullptr;
  auto size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

std::string digest_sign(const public_key& key, std::string_view input) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(),
                                                              &EVP_MD_CTX_free};
  size_t size = 0;
  if (!ctx
      || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                            key.get())
           != 1
      || EVP_DigestSign(ctx.get(), nullptr, &size, bytes(input), input.size())
           != 1)
    throw std::runtime_error("signing failed");
  std::string out(size, '\0');
  auto* target = reinterpret_cast<unsigned char*>(out.data());
  if (EVP_DigestSign(ctx.get(), target, &size, bytes(input), input.size()) != 1)
    throw std::runtime_error("signing failed");
  out.resize(size);
  return out;
}

std::string der_to_raw(const std::string& der) {
  const auto* cursor = bytes(der);
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig{
    d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size())),
    &ECDSA_SIG_free};
  if (!sig)
    throw std::runtime_error("bad DER signature");
  std::string out(64, '\0');
  auto* target = reinterpret_cast<unsigned char*>(out.data());
  BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), target, 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), target + 32, 32);
  return out;
}

} // namespace

signer::signer()
  : rsa_(generate(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}))),
    ec_(generate(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"))) {}

std::string signer::rsa_public_pem() const {
  return public_pem(rsa_);
}

std::string signer::ec_public_pem() const {
  return public_pem(ec_);
}

std::string signer::sign(jwt_algorithm alg, std::string_view input,
                         std::string_view hmac_key) const {
  switch (alg) {
    case jwt_algorithm::hs256: {
      std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
      unsigned int size = 0;
      HMAC(EVP_sha256(), hmac_key.data(), static_cast<int>(hmac_key.size()),
           bytes(input), input.size(), mac.data(), &size);
      return std::string(reinterpret_cast<char*>(mac.data()), size);
    }
    case jwt_algorithm::rs256: return digest_sign(rsa_, input);
    case jwt_algorithm::es256: return der_to_raw(digest_sign(ec_, input));
  }
  return {};
}

std::string signer::es256_der(std::string_view input) const {
  return digest_sign(ec_, input);
}

std::string signer::token(jwt_algorithm alg, const nlohmann::json& header,
                          const nlohmann::json& payload,
                          std::string_view hmac_key) const {
  auto input
    = base64url_encode(header.dump()) + "." + base64url_encode(payload.dump());
  return input + "." + base64url_encode(sign(alg, input, hmac_key));
}

std::string join(std::string_view header, std::string_view payload,
                 std::string_view signature) {
  std::string out{header};
  out.append(".").append(payload).append(".").append(signature);
  return out;
}

} // namespace bsm::security::test
