#include "runtime/http/tls_context.hpp"

#include <fstream>

#include <openssl/ssl.h>

namespace bsm::http {

namespace ssl = boost::asio::ssl;

namespace {

tls_load failure(std::string key, const std::filesystem::path& file,
                 const std::string& what) {
  return {nullptr, std::move(key), "'" + file.string() + "' " + what};
}

bool readable(const std::filesystem::path& file) {
  std::ifstream in{file};
  return in.good() && std::filesystem::is_regular_file(file);
}

} // namespace

tls_load make_server_tls_context(const tls_files& files) {
  for (auto [key, file] :
       {std::pair{"http.tls_certificate", &files.certificate},
        std::pair{"http.tls_key", &files.key},
        std::pair{"http.tls_client_ca", &files.client_ca}})
    if (!file->empty() && !readable(*file))
      return failure(key, *file, "cannot be read");
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_options(ssl::context::default_workarounds
                   | ssl::context::no_compression);
  // An encrypted key must fail, not prompt on the terminal.
  ctx->set_password_callback(
    [](size_t, ssl::context::password_purpose) { return std::string{}; });
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(files.certificate.string(), ec);
  if (ec)
    return failure("http.tls_certificate", files.certificate,
                   "is not a PEM certificate chain: " + ec.message());
  ctx->use_private_key_file(files.key.string(), ssl::context::pem, ec);
  if (ec)
    return failure("http.tls_key", files.key,
                   "is not a usable PEM private key for http.tls_certificate: "
                     + ec.message());
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1)
    return failure("http.tls_key", files.key,
                   "does not match http.tls_certificate");
  if (!files.client_ca.empty()) {
    ctx->load_verify_file(files.client_ca.string(), ec);
    auto* names = SSL_load_client_CA_file(files.client_ca.c_str());
    if (ec || names == nullptr)
      return failure("http.tls_client_ca", files.client_ca,
                     "holds no PEM CA certificate"
                       + (ec ? ": " + ec.message() : std::string{}));
    // Tells clients which CA to present a certificate from.
    SSL_CTX_set_client_CA_list(ctx->native_handle(), names);
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  return {std::move(ctx), {}, {}};
}

} // namespace bsm::http
