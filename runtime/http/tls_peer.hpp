#pragma once

// Who a TLS client proved to be: the subject CN of the certificate the
// handshake verified against http.tls_client_ca. Read once per connection,
// on its I/O thread, right after the handshake; requests carry the result
// (exchange::client_certificate_name), so no request parses X509.

#include <string>

#include <openssl/ssl.h>

namespace bsm::http {

/// The subject CN of the peer's certificate on `ssl` after a successful
/// handshake, if the context asked for one (a client CA is set), the
/// chain verified, and the subject has exactly one CN that is a name
/// (security::is_certificate_name). Otherwise empty.
[[nodiscard]] std::string verified_peer_name(const SSL* ssl);

} // namespace bsm::http
