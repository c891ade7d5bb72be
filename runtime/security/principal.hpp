#pragma once

// Who a request or a message acts for: a name, how it proved it, its roles
// and the permissions those roles grant (resolved once, where the caller
// was authenticated).

#include <string>
#include <vector>

#include "runtime/security/permission.hpp"

namespace bsm::security {

/// How a principal authenticated.
namespace principal_kind {
/// A loopback client of a node without credentials (protected mode).
inline constexpr const char* local = "local";
/// A JWT bearer token.
inline constexpr const char* token = "token";
/// An API key.
inline constexpr const char* api_key = "api_key";
/// A verified TLS client certificate (security.client_certificates).
inline constexpr const char* certificate = "certificate";
} // namespace principal_kind

struct principal {
  std::string name;
  std::string kind;
  std::vector<std::string> roles;
  permission_set permissions;
};

/// The key of a principal in per-principal limits ("token:alice").
inline std::string limit_key(const principal& x) {
  return x.kind + ":" + x.name;
}

/// The built-in local admin of protected mode: every permission.
principal local_admin();

} // namespace bsm::security
