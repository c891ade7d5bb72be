#pragma once

// Who is calling: turns the credentials of a request into a principal.
// One decision for the HTTP bridge (and, later, other ports), made from
// the security options, the clock a parameter.
//
// Protected mode (no credential configured or stored, security.enabled
// false): a loopback client is the local admin, anyone else is refused
// with a message that says how to configure access. Otherwise every
// caller needs a credential: `Authorization: Bearer <JWT or API key>`, or
// a verified client certificate when security.client_certificates is set
// (certificate_principals.hpp). A token's `roles` claim names its roles;
// an API key (`bsm_...`) has the roles of its record. A header wins over
// the certificate: it is the more specific of the two. The security hub makes a
// new authenticator whenever the stored credentials change (credentials
// snapshot below).

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <caf/expected.hpp>

#include "runtime/security/certificate_principals.hpp"
#include "runtime/security/credential_records.hpp"
#include "runtime/security/jwt_verifier.hpp"
#include "runtime/security/principal.hpp"
#include "runtime/security/role_table.hpp"
#include "runtime/security/security_options.hpp"
#include "runtime/security/verified_tokens.hpp"

namespace bsm::security {

/// Who connected, as the transport saw it (never from headers such as
/// X-Forwarded-For).
struct client_facts {
  /// 127.0.0.1 or ::1 (also as ::ffff:127.0.0.1); not 127.0.0.2.
  bool loopback = false;
  /// The subject CN of the client certificate the TLS handshake verified;
  /// empty: none (plain TCP, no client CA, or a CN that is no name).
  std::string_view certificate_name;
};

/// What the store holds that the authenticator needs, kept in memory so
/// that a request never waits for the disk.
struct credential_snapshot {
  /// API keys by id (revoked ones dropped).
  std::unordered_map<std::string, api_key_record> api_keys;
  /// Whether any user exists (ends protected mode).
  bool has_users = false;
  /// The node's own HS256 key for the tokens it issues (kid `node_kid`);
  /// empty: none.
  std::string issuing_key;
};

class authenticator {
public:
  /// The kid of the tokens the node issues itself.
  static constexpr const char* node_kid = "bsm-node";

  /// Reads the key files of `opts` (blocking: at start-up or off the
  /// scheduler threads). Errors: invalid_argument naming the key (a
  /// missing or unreadable file, a short HMAC key, a key that does not
  /// load, a bad role grant).
  [[nodiscard]] static caf::expected<authenticator>
  make(const security_options& opts, credential_snapshot stored = {});

  /// The HS256 key in `file` (security.jwt_hs256_key_file), as the
  /// verifier reads it. Blocking. Errors: invalid_argument naming the key.
  [[nodiscard]] static caf::expected<std::string>
  read_key(const std::filesystem::path& file);

  /// True when loopback clients are served without credentials.
  bool protected_mode() const noexcept {
    return protected_mode_;
  }

  /// The principal for the `Authorization` header value (empty if the
  /// request has none) at `now_unix`. Errors: unauthenticated, with a
  /// message that says which check failed.
  [[nodiscard]] caf::expected<std::shared_ptr<const principal>>
  authenticate(std::string_view authorization, const client_facts& client,
               int64_t now_unix) const;

  const role_table& roles() const noexcept {
    return roles_;
  }

  /// The cache of verified bearer tokens (for its metrics).
  std::shared_ptr<const verified_tokens> verified() const noexcept {
    return verified_;
  }

private:
  authenticator(role_table roles, std::optional<jwt_verifier> verifier,
                credential_snapshot stored, certificate_principals certificates,
                bool protected_mode);

  caf::expected<std::shared_ptr<const principal>>
  from_token(std::string_view token, int64_t now_unix) const;

  caf::expected<std::shared_ptr<const principal>>
  from_api_key(std::string_view key, int64_t now_unix) const;

  role_table roles_;
  std::shared_ptr<const principal> local_admin_;
  std::optional<jwt_verifier> verifier_;
  /// Shared by copies: a cache, not part of the decision.
  std::shared_ptr<verified_tokens> verified_;
  credential_snapshot stored_;
  certificate_principals certificates_;
  bool protected_mode_;
};

/// The authenticator in force, replaced as a whole when credentials change
/// (readers on any thread get a consistent one). Empty until the security
/// hub first publishes what the store holds; the front refuses with 503
/// meanwhile, so stored keys are never missed and a node whose only
/// credentials are stored never serves in protected mode.
class authenticator_slot {
public:
  std::shared_ptr<const authenticator> get() const {
    return std::atomic_load(&current_);
  }

  void set(std::shared_ptr<const authenticator> x) {
    std::atomic_store(&current_, std::move(x));
    std::lock_guard<std::mutex> guard{mtx_};
    filled_ = true;
    cv_.notify_all();
  }

  /// Blocks until the first set() or `timeout`; true if set. For the
  /// node's start (never on a scheduler thread).
  bool await_first(std::chrono::milliseconds timeout) const {
    std::unique_lock<std::mutex> lock{mtx_};
    return cv_.wait_for(lock, timeout, [this] { return filled_; });
  }

private:
  std::shared_ptr<const authenticator> current_;
  mutable std::mutex mtx_;
  mutable std::condition_variable cv_;
  bool filled_ = false;
};

/// Text of a 401 for a client that protected mode does not serve.
extern const char* const protected_mode_refusal;

} // namespace bsm::security
