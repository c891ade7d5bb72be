#include "runtime/http/tls_peer.hpp"

#include <openssl/x509.h>

#include "runtime/security/certificate_principals.hpp"

namespace bsm::http {

namespace {

// The one CN of `subject`; empty if it has none or several (which one
// names the client would be a guess).
std::string single_common_name(const X509_NAME* subject) {
  auto index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0
      || X509_NAME_get_index_by_NID(subject, NID_commonName, index) >= 0)
    return {};
  const auto* entry = X509_NAME_get_entry(subject, index);
  unsigned char* utf8 = nullptr;
  auto size = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
  if (size < 0)
    return {};
  std::string result{reinterpret_cast<const char*>(utf8),
                     static_cast<size_t>(size)};
  OPENSSL_free(utf8);
  return result;
}

} // namespace

std::string verified_peer_name(const SSL* ssl) {
  // Without SSL_VERIFY_PEER the verify result says X509_V_OK for a
  // certificate nobody checked.
  if ((SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) == 0
      || SSL_get_verify_result(ssl) != X509_V_OK)
    return {};
  const auto* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr)
    return {};
  auto cn = single_common_name(X509_get_subject_name(cert));
  return security::is_certificate_name(cn) ? cn : std::string{};
}

} // namespace bsm::http
