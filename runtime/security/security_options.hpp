#pragma once

// Options of the security hub (section `security:`). The initialisers are
// the defaults; keys and checks are in security_options.cpp. Reload: none;
// a change needs a restart.
//
// Secure by default, after Redis' protected mode: with no credentials
// configured, loopback clients are served as the local admin and everyone
// else gets 401; once any credential exists, every route but the open ones
// needs one. `enabled: true` asks for credentials from loopback too.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "runtime/config/config_section.hpp"

namespace bsm {

/// A user the config file seeds (security.users): created or updated in
/// the store at every start; users made over the API are kept.
struct seeded_user {
  std::string name;
  /// A PHC string (`$scrypt$...` or `$pbkdf2-sha256$...`), never a
  /// password: make one with python3's hashlib, or create the user over
  /// the API and copy nothing.
  std::string password_hash;
  std::vector<std::string> roles;
};

/// An API key the config file seeds (security.api_keys): created or
/// updated in the store at every start, like seeded users. The file holds
/// the key's SHA-256, never the key.
struct seeded_api_key {
  /// The key's id: the 12 characters between "bsm_" and the next "_"
  /// (not secret; it finds the record).
  std::string id;
  /// What the key is for; also the principal it acts for, so it follows
  /// the rule of user names ([A-Za-z0-9._@-]{1,64}).
  std::string name;
  /// Lowercase hex SHA-256 of the whole key ("bsm_<id>_<secret>"), as
  /// `printf %s "$KEY" | sha256sum` prints it.
  std::string sha256;
  std::vector<std::string> roles;
  /// Seconds since the Unix epoch; 0: never expires.
  int64_t expires_at = 0;
};

struct security_options {
  /// Ask every client for credentials, loopback ones too (no local admin).
  /// Needs a credential source configured.
  bool enabled = false;
  /// Serve and accept cluster peers beyond loopback without credentials.
  bool allow_insecure = false;
  /// JWT bearer tokens: the algorithms accepted are those with a key here.
  /// HS256: a file holding the shared key (at least 32 bytes).
  std::filesystem::path jwt_hs256_key_file;
  /// RS256 and ES256: PEM files with the issuer's public key.
  std::filesystem::path jwt_rs256_public_key_file;
  std::filesystem::path jwt_es256_public_key_file;
  /// The `iss` a token must carry; empty: any.
  std::string jwt_issuer;
  /// `aud` must name one of these; empty: any.
  std::vector<std::string> jwt_audiences;
  /// Clock skew allowed on exp, nbf and iat.
  std::chrono::milliseconds jwt_leeway{30'000};
  /// Lifetime of the access tokens POST /v1/auth/token issues.
  std::chrono::milliseconds token_lifetime{15 * 60'000};
  /// Roles and the permissions they grant (runtime/security/permission.hpp),
  /// on top of the built-in roles (role_table.hpp); a role named here
  /// replaces the built-in one of that name.
  std::map<std::string, std::vector<std::string>> roles;
  /// Users seeded into the store at start (file only).
  std::vector<seeded_user> users;
  /// API keys seeded into the store at start (file only).
  std::vector<seeded_api_key> api_keys;
  /// Client certificates as principals (with http.tls_client_ca): the
  /// subject CN of a verified client certificate -> its roles. A verified
  /// certificate whose CN is not here authenticates with no roles (403).
  std::map<std::string, std::vector<std::string>> client_certificates;
  /// GET /metrics without credentials (for a Prometheus on a trusted
  /// network); otherwise it needs metrics:read.
  bool metrics_open = false;
  /// GET /openapi.json without credentials (the API's shape is no secret:
  /// it is the project's documentation); otherwise it needs openapi:read.
  /// Default: true. Hot-reloadable: no.
  bool openapi_open = true;
  /// Per principal: chats in flight (POST /v1/agents/{name}/chat and
  /// /v1/chat/completions) and open event streams; more are 429. 0: no
  /// limit.
  uint32_t max_concurrent_chats = 32;
  uint32_t max_open_streams = 16;
  /// Token buckets: requests per second and burst per client address
  /// (before authentication) and per principal and route group; over them
  /// a 429 with Retry-After. Rate 0: no limit (the default; a node behind
  /// a gateway that limits already needs none).
  uint32_t rate_per_address = 0;
  uint32_t burst_per_address = 0;
  uint32_t rate_per_principal = 0;
  uint32_t burst_per_principal = 0;
};

/// True if some credential source is configured (JWT keys, seeded users
/// or API keys, client certificates).
bool has_configured_credentials(const security_options& x);

const config::section<security_options>& security_section();

} // namespace bsm
