#pragma once

// Client certificates as principals. With http.tls_client_ca the TLS
// handshake has verified the client's certificate; its subject CN names
// the caller, and security.client_certificates maps that CN to roles
// (after Kubernetes, where a client certificate's CN is the user name and
// RBAC then decides). A verified certificate whose CN is not mapped still
// authenticates, with no roles, so every route but the open ones is a 403
// naming the permission: the caller proved who it is, it just may not do
// anything.

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/security/principal.hpp"
#include "runtime/security/role_table.hpp"

namespace bsm::security {

/// Longest CN RFC 5280 allows (ub-common-name).
inline constexpr size_t max_certificate_name_size = 64;

/// True for a CN used as a name: 1..64 bytes of printable ASCII (space
/// included). The TLS layer takes no other CN, the config maps no other.
[[nodiscard]] bool is_certificate_name(std::string_view cn);

/// The principal name of a certificate with CN `cn`: "cert:<cn>".
[[nodiscard]] std::string certificate_principal_name(std::string_view cn);

class certificate_principals {
public:
  /// No mapping: certificates name nobody.
  certificate_principals() = default;

  /// `roles_by_cn` as in security.client_certificates; the permissions
  /// come from `roles` (resolved here once, not per request).
  certificate_principals(
    const std::map<std::string, std::vector<std::string>>& roles_by_cn,
    const role_table& roles);

  /// True if client certificates name principals (a mapping is
  /// configured); otherwise a certificate only passes the handshake.
  bool enabled() const noexcept {
    return enabled_;
  }

  /// The principal for a verified certificate with CN `cn`: kind
  /// "certificate", name "cert:<cn>", the mapped roles, or none for a CN
  /// the mapping does not name. REQUIRES: enabled(), is_certificate_name.
  [[nodiscard]] std::shared_ptr<const principal> of(std::string_view cn) const;

private:
  bool enabled_ = false;
  std::unordered_map<std::string, std::shared_ptr<const principal>> mapped_;
};

} // namespace bsm::security
