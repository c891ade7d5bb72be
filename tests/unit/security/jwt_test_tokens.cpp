#include "tests/unit/security/jwt_test_tokens.hpp"

#include <stdexcept>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "runtime/error.hpp"
#include "runtime/security/base64url.hpp"

namespace bsm::security::test {

namespace {

public_key generate(EVP_PKEY* key) {
  if (key == nullptr)
    throw std::runtime_error("key generation failed");
  return public_key{key, &EVP_PKEY_free};
}

template <class Write>
std::string pem_of(Write write) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio{BIO_new(BIO_s_mem()),
                                                &BIO_free};
  if (!bio || write(bio.get()) != 1)
    throw std::runtime_error("PEM export failed");
  char* data = nullptr;
  auto size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

std::string public_pem(const public_key& key) {
  return pem_of([&](BIO* bio) { return PEM_write_bio_PUBKEY(bio, key.get()); });
}

std::string private_pem(const private_key& key) {
  return pem_of([&](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0,
                                    nullptr, nullptr);
  });
}

std::string value_of(caf::expected<std::string> signature) {
  if (!signature)
    throw std::runtime_error(render(signature.error()));
  return std::move(*signature);
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

std::string signer::rsa_private_pem() const {
  return private_pem(rsa_);
}

std::string signer::ec_private_pem() const {
  return private_pem(ec_);
}

std::string signer::signing_key(jwt_algorithm alg,
                                std::string_view hmac_key) const {
  switch (alg) {
    case jwt_algorithm::hs256: return std::string{hmac_key};
    case jwt_algorithm::rs256: return rsa_private_pem();
    case jwt_algorithm::es256: return ec_private_pem();
  }
  return {};
}

std::string signer::verifying_key(jwt_algorithm alg,
                                  std::string_view hmac_key) const {
  switch (alg) {
    case jwt_algorithm::hs256: return std::string{hmac_key};
    case jwt_algorithm::rs256: return rsa_public_pem();
    case jwt_algorithm::es256: return ec_public_pem();
  }
  return {};
}

std::string signer::sign(jwt_algorithm alg, std::string_view input,
                         std::string_view hmac_key) const {
  switch (alg) {
    case jwt_algorithm::hs256: return value_of(hs256_sign(hmac_key, input));
    case jwt_algorithm::rs256: return value_of(rs256_sign(rsa_, input));
    case jwt_algorithm::es256: return value_of(es256_sign(ec_, input));
  }
  return {};
}

std::string signer::es256_der(std::string_view input) const {
  return value_of(es256_sign_der(ec_, input));
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
