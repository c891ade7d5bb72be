#pragma once

// What the security hub does with credentials, as a plain class: logins
// that issue access tokens (with a backoff after failures), users and API
// keys in the store, and the in-memory snapshot the HTTP front
// authenticates from. The clocks are parameters; the store and password
// hashing block, so the owner runs it off the scheduler threads (the
// security hub is a detached actor).

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "protocols/caf_types.hpp"
#include "runtime/security/authenticator.hpp"
#include "runtime/security/credential_store.hpp"
#include "runtime/security/jwt_signer.hpp"
#include "runtime/security/login_backoff.hpp"
#include "runtime/security/password_hash.hpp"
#include "runtime/security/security_options.hpp"

namespace bsm::security {

/// The store's records for the users and API keys the config seeds
/// (security.users, security.api_keys), made at `now_unix`. An API key
/// acts for its name.
std::vector<user_record> seeded_users(const security_options& opts,
                                      int64_t now_unix);
std::vector<api_key_record> seeded_api_keys(const security_options& opts,
                                            int64_t now_unix);

class credentials_service {
public:
  using time_point = std::chrono::steady_clock::time_point;

  /// Opens the credentials in `db` and makes (once, then kept in the
  /// store) the node's key for the tokens it issues when no HS256 key is
  /// configured. Blocking. Errors: those of the store and of the key files.
  [[nodiscard]] static caf::expected<std::unique_ptr<credentials_service>>
  make(const security_options& opts, store& db,
       password_hash_params hashing = {},
       login_backoff_metrics backoff_metrics = {});

  /// A new authenticator from the options and what the store holds.
  [[nodiscard]] caf::expected<std::shared_ptr<const authenticator>>
  snapshot() const;

  /// Logs in with a password or an API key; a refusal by the backoff is a
  /// response with retry_after_s set and no token.
  [[nodiscard]] caf::expected<v1::AuthTokenResponse>
  login(const v1::AuthTokenRequest& req, int64_t now_unix, time_point now,
        int64_t& retry_after_s);

  [[nodiscard]] caf::expected<v1::UserPutResponse>
  put_user(const v1::UserPutRequest& req, int64_t now_unix);
  [[nodiscard]] caf::expected<v1::UserListResponse> list_users() const;
  [[nodiscard]] caf::error delete_user(const std::string& name);

  [[nodiscard]] caf::expected<v1::ApiKeyCreateResponse>
  create_api_key(const v1::ApiKeyCreateRequest& req, int64_t now_unix);
  [[nodiscard]] caf::expected<v1::ApiKeyListResponse> list_api_keys() const;
  [[nodiscard]] caf::error revoke_api_key(const std::string& id);

private:
  credentials_service(security_options opts, credential_store creds,
                      jwt_signer signer, std::string issuing_key,
                      password_hash_params hashing,
                      login_backoff_metrics backoff_metrics, role_table roles,
                      std::string dummy_hash);

  caf::expected<v1::AuthTokenResponse>
  issue(const std::string& subject, const std::vector<std::string>& roles,
        std::optional<int64_t> not_after, int64_t now_unix);

  caf::error check_roles(
    const google::protobuf::RepeatedPtrField<std::string>& roles) const;

  security_options opts_;
  credential_store creds_;
  jwt_signer signer_;
  /// The node's own HS256 key; empty when the configured key signs.
  std::string issuing_key_;
  password_hash_params hashing_;
  login_backoff backoff_;
  role_table roles_;
  /// Verified against when a user does not exist, so an unknown name costs
  /// as much time as a wrong password.
  std::string dummy_hash_;
};

} // namespace bsm::security
