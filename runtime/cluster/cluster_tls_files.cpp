#include "runtime/cluster/cluster_tls_files.hpp"

#include <memory>
#include <vector>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

namespace bsm::cluster {

namespace {

template <class T, void (*Free)(T*)>
struct openssl_deleter {
  void operator()(T* x) const {
    Free(x);
  }
};

using bio_ptr = std::unique_ptr<BIO, openssl_deleter<BIO, BIO_free_all>>;
using x509_ptr = std::unique_ptr<X509, openssl_deleter<X509, X509_free>>;
using pkey_ptr
  = std::unique_ptr<EVP_PKEY, openssl_deleter<EVP_PKEY, EVP_PKEY_free>>;
using store_ptr
  = std::unique_ptr<X509_STORE, openssl_deleter<X509_STORE, X509_STORE_free>>;
using store_ctx_ptr
  = std::unique_ptr<X509_STORE_CTX,
                    openssl_deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;

// Refuses to ask for a passphrase (OpenSSL would prompt on the terminal).
int no_passphrase(char*, int, int, void*) {
  return 0;
}

std::string quote(const std::string& path) {
  return "'" + path + "'";
}

// Every certificate in a PEM file; empty if it cannot be read.
std::vector<x509_ptr> read_certificates(const std::string& path) {
  std::vector<x509_ptr> result;
  bio_ptr in{BIO_new_file(path.c_str(), "r")};
  if (!in)
    return result;
  while (auto* cert
         = PEM_read_bio_X509(in.get(), nullptr, no_passphrase, nullptr))
    result.emplace_back(cert);
  // The loop ends on an error that is no error: leave none behind.
  ERR_clear_error();
  return result;
}

pkey_ptr read_key(const std::string& path) {
  bio_ptr in{BIO_new_file(path.c_str(), "r")};
  if (!in)
    return nullptr;
  pkey_ptr result{
    PEM_read_bio_PrivateKey(in.get(), nullptr, no_passphrase, nullptr)};
  ERR_clear_error();
  return result;
}

bool chains_to(X509* leaf, const std::vector<x509_ptr>& chain,
               const std::vector<x509_ptr>& cas) {
  store_ptr store{X509_STORE_new()};
  for (const auto& ca : cas)
    X509_STORE_add_cert(store.get(), ca.get());
  std::unique_ptr<STACK_OF(X509), void (*)(STACK_OF(X509)*)> intermediates{
    sk_X509_new_null(), [](STACK_OF(X509) * s) {
      sk_X509_free(s);
    }};
  for (size_t i = 1; i < chain.size(); ++i)
    sk_X509_push(intermediates.get(), chain[i].get());
  store_ctx_ptr ctx{X509_STORE_CTX_new()};
  if (!store || !ctx
      || X509_STORE_CTX_init(ctx.get(), store.get(), leaf, intermediates.get())
           != 1)
    return false;
  return X509_verify_cert(ctx.get()) == 1;
}

} // namespace

config::maybe_problem check_tls_files(const std::string& certificate,
                                      const std::string& key,
                                      const std::string& ca) {
  const std::pair<const char*, const std::string*> keys[]
    = {{"cluster.tls_certificate", &certificate},
       {"cluster.tls_key", &key},
       {"cluster.tls_ca", &ca}};
  size_t set = 0;
  for (const auto& [name, value] : keys)
    set += value->empty() ? 0 : 1;
  if (set == 0)
    return std::nullopt;
  for (const auto& [name, value] : keys)
    if (value->empty())
      return config::check(name, "empty, but mutual TLS needs all three of "
                                 "cluster.tls_certificate, cluster.tls_key and "
                                 "cluster.tls_ca (or none)");
  auto chain = read_certificates(certificate);
  if (chain.empty())
    return config::check("cluster.tls_certificate",
                         "no PEM certificate can be read from "
                           + quote(certificate));
  auto private_key = read_key(key);
  if (!private_key)
    return config::check("cluster.tls_key",
                         "no unencrypted PEM private key can be read from "
                           + quote(key));
  if (X509_check_private_key(chain.front().get(), private_key.get()) != 1)
    return config::check("cluster.tls_key",
                         quote(key)
                           + " does not match the certificate in "
                             "cluster.tls_certificate");
  auto cas = read_certificates(ca);
  if (cas.empty())
    return config::check("cluster.tls_ca", "no PEM certificate can be read "
                                           "from "
                                             + quote(ca));
  if (!chains_to(chain.front().get(), chain, cas))
    return config::check("cluster.tls_certificate",
                         quote(certificate)
                           + " is not signed by the CA in cluster.tls_ca");
  return std::nullopt;
}

} // namespace bsm::cluster
