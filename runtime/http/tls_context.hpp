#pragma once

// The HTTP bridge's TLS server context (OpenSSL 3 through Asio): the
// certificate chain and key from PEM files, TLS 1.2 at least, and with a
// client CA, a client certificate that CA signed is required (mutual TLS).
// Built once at start and again on each reload; a session keeps the
// context it was accepted with.

#include <filesystem>
#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

namespace bsm::http {

/// The PEM files of the bridge's TLS (keys http.tls_certificate,
/// http.tls_key, http.tls_client_ca).
struct tls_files {
  /// The server's certificate chain, leaf first.
  std::filesystem::path certificate;
  /// The private key of the leaf certificate (not encrypted).
  std::filesystem::path key;
  /// CA certificates a client certificate must chain to; empty: clients
  /// are not asked for one.
  std::filesystem::path client_ca;

  bool enabled() const noexcept {
    return !certificate.empty();
  }
};

using tls_context_ptr = std::shared_ptr<boost::asio::ssl::context>;

/// A context, or the config key whose file is at fault and why. The
/// message names the file and OpenSSL's reason, never the key's bytes.
struct tls_load {
  tls_context_ptr context;
  std::string failed_key;
  std::string message;

  explicit operator bool() const noexcept {
    return context != nullptr;
  }
};

/// Builds a server context from `files` (REQUIRES: files.enabled()).
/// Fails for a file that cannot be read, a certificate or key that is not
/// PEM, a key that does not match the certificate, or a client CA file
/// without a certificate in it.
[[nodiscard]] tls_load make_server_tls_context(const tls_files& files);

} // namespace bsm::http
