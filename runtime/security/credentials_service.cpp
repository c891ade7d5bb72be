#include "runtime/security/credentials_service.hpp"

#include "runtime/clock.hpp"
#include "runtime/error.hpp"
#include "runtime/security/api_key.hpp"
#include "runtime/security/random_bytes.hpp"

namespace bsm::security {

namespace {

/// Where the node keeps its own token key (column meta).
constexpr std::string_view issuing_key_name = "security/issuing_key";
constexpr size_t min_password_size = 8;
constexpr size_t max_password_size = 1024;

caf::error bad(std::string what) {
  return make_error(errc::invalid_argument, std::move(what));
}

caf::error wrong_credentials() {
  // One message for an unknown user, a wrong password and a bad key.
  return make_error(errc::unauthenticated, "invalid credentials");
}

// The configured HS256 key signs when there is one, so tokens verify on
// every node that shares it; else the node's own key, made once.
caf::expected<std::string> own_issuing_key(store& db) {
  auto stored = db.get(column::meta, issuing_key_name);
  if (!stored)
    return std::move(stored.error());
  if (*stored && (*stored)->size() >= 32)
    return std::string{**stored};
  auto fresh = random_bytes(32);
  if (!fresh)
    return std::move(fresh.error());
  if (auto err = db.put(column::meta, issuing_key_name, *fresh))
    return err;
  return std::move(*fresh);
}

v1::UserInfo info_of(const user_record& x) {
  v1::UserInfo result;
  result.set_name(x.name);
  for (const auto& r : x.roles)
    result.add_roles(r);
  result.set_created_at(x.created_at);
  result.set_disabled(x.disabled);
  return result;
}

v1::ApiKeyInfo info_of(const api_key_record& x) {
  v1::ApiKeyInfo result;
  result.set_id(x.id);
  result.set_name(x.name);
  result.set_principal(x.principal);
  for (const auto& r : x.roles)
    result.add_roles(r);
  result.set_created_at(x.created_at);
  result.set_expires_at(x.expires_at);
  result.set_revoked(x.revoked);
  return result;
}

} // namespace

std::vector<user_record> seeded_users(const security_options& opts,
                                      int64_t now_unix) {
  std::vector<user_record> result;
  for (const auto& u : opts.users)
    result.push_back(
      user_record{u.name, u.password_hash, u.roles, now_unix, false});
  return result;
}

std::vector<api_key_record> seeded_api_keys(const security_options& opts,
                                            int64_t now_unix) {
  std::vector<api_key_record> result;
  for (const auto& k : opts.api_keys) {
    api_key_record record;
    record.id = k.id;
    record.name = k.name;
    record.key_hash = k.sha256;
    record.principal = k.name;
    record.roles = k.roles;
    record.created_at = now_unix;
    record.expires_at = k.expires_at;
    result.push_back(std::move(record));
  }
  return result;
}

caf::expected<std::unique_ptr<credentials_service>>
credentials_service::make(const security_options& opts, store& db,
                          password_hash_params hashing,
                          login_backoff_metrics backoff_metrics) {
  auto creds = credential_store::open(db, {});
  if (!creds)
    return std::move(creds.error());
  auto now_unix = unix_now_s();
  if (auto err = creds->seed(seeded_users(opts, now_unix),
                             seeded_api_keys(opts, now_unix)))
    return err;
  jwt_signer_options so;
  std::string issuing_key;
  if (!opts.jwt_hs256_key_file.empty()) {
    auto configured = authenticator::read_key(opts.jwt_hs256_key_file);
    if (!configured)
      return std::move(configured.error());
    so.key = std::move(*configured);
  } else {
    auto own = own_issuing_key(db);
    if (!own)
      return std::move(own.error());
    issuing_key = *own;
    so.key = std::move(*own);
    so.kid = authenticator::node_kid;
  }
  so.issuer = opts.jwt_issuer;
  so.audiences = opts.jwt_audiences;
  so.lifetime
    = std::chrono::duration_cast<std::chrono::seconds>(opts.token_lifetime);
  auto signer = jwt_signer::make(std::move(so));
  if (!signer)
    return std::move(signer.error());
  auto roles = role_table::make(opts.roles);
  if (!roles)
    return std::move(roles.error());
  auto dummy = hash_password("no user has this password", hashing);
  if (!dummy)
    return std::move(dummy.error());
  return std::unique_ptr<credentials_service>{new credentials_service{
    opts, std::move(*creds), std::move(*signer), std::move(issuing_key),
    hashing, backoff_metrics, std::move(*roles), std::move(*dummy)}};
}

credentials_service::credentials_service(
  security_options opts, credential_store creds, jwt_signer signer,
  std::string issuing_key, password_hash_params hashing,
  login_backoff_metrics backoff_metrics, role_table roles,
  std::string dummy_hash)
  : opts_(std::move(opts)), creds_(std::move(creds)),
    signer_(std::move(signer)), issuing_key_(std::move(issuing_key)),
    hashing_(hashing), backoff_(login_backoff_options{}, backoff_metrics),
    roles_(std::move(roles)), dummy_hash_(std::move(dummy_hash)) {}

caf::expected<std::shared_ptr<const authenticator>>
credentials_service::snapshot() const {
  credential_snapshot stored;
  stored.issuing_key = issuing_key_;
  stored.has_users = creds_.user_count() > 0;
  auto keys = creds_.list_api_keys();
  if (!keys)
    return std::move(keys.error());
  for (auto& key : *keys)
    if (!key.revoked)
      stored.api_keys.emplace(key.id, std::move(key));
  auto result = authenticator::make(opts_, std::move(stored));
  if (!result)
    return std::move(result.error());
  return std::make_shared<const authenticator>(std::move(*result));
}

caf::expected<v1::AuthTokenResponse>
credentials_service::issue(const std::string& subject,
                           const std::vector<std::string>& roles,
                           std::optional<int64_t> not_after, int64_t now_unix) {
  auto token = signer_.issue(jwt_grant{subject, roles, not_after}, now_unix);
  if (!token)
    return std::move(token.error());
  v1::AuthTokenResponse result;
  result.set_access_token(std::move(token->token));
  result.set_expires_in(token->expires_at - now_unix);
  return result;
}

caf::expected<v1::AuthTokenResponse>
credentials_service::login(const v1::AuthTokenRequest& req, int64_t now_unix,
                           time_point now, int64_t& retry_after_s) {
  retry_after_s = 0;
  bool with_password = !req.username().empty() || !req.password().empty();
  if (with_password == !req.api_key().empty())
    return bad("send either username and password, or api_key");
  const auto& user = req.username();
  auto wait = backoff_.check(user, req.client(), now);
  if (!wait.allowed) {
    retry_after_s = wait.retry_after.count();
    return make_error(errc::resource_exhausted,
                      "too many failed logins; retry after "
                        + std::to_string(retry_after_s) + " s");
  }
  auto fail = [&] {
    backoff_.record_failure(user, req.client(), now);
    return wrong_credentials();
  };
  if (!with_password) {
    auto id = parse_api_key(req.api_key());
    if (!id)
      return fail();
    auto key = creds_.get_api_key(*id);
    if (!key || !api_key_matches(req.api_key(), key->key_hash)
        || !is_usable(*key, now_unix))
      return fail();
    std::optional<int64_t> until;
    if (key->expires_at != 0)
      until = key->expires_at;
    return issue(key->principal, key->roles, until, now_unix);
  }
  auto record = creds_.get_user(user);
  if (!record) {
    (void)verify_password(req.password(), dummy_hash_);
    return fail();
  }
  auto ok = verify_password(req.password(), record->password_hash);
  if (!ok || !*ok || record->disabled)
    return fail();
  backoff_.record_success(user);
  return issue(record->name, record->roles, std::nullopt, now_unix);
}

caf::error credentials_service::check_roles(
  const google::protobuf::RepeatedPtrField<std::string>& roles) const {
  for (const auto& role : roles)
    if (!roles_.has(role))
      return bad("unknown role '" + role.substr(0, 64) + "'");
  return {};
}

caf::expected<v1::UserPutResponse>
credentials_service::put_user(const v1::UserPutRequest& req, int64_t now_unix) {
  const auto& password = req.password();
  if (password.size() < min_password_size
      || password.size() > max_password_size)
    return bad("the password must have 8 to 1024 bytes");
  if (auto err = check_roles(req.roles()))
    return err;
  user_record record;
  record.name = req.name();
  record.roles.assign(req.roles().begin(), req.roles().end());
  record.created_at = now_unix;
  auto existing = creds_.get_user(req.name());
  if (existing)
    record.created_at = existing->created_at;
  auto hash = hash_password(password, hashing_);
  if (!hash)
    return std::move(hash.error());
  record.password_hash = std::move(*hash);
  if (auto err = creds_.put_user(record))
    return err;
  v1::UserPutResponse result;
  *result.mutable_user() = info_of(record);
  result.set_created(!existing);
  return result;
}

caf::expected<v1::UserListResponse> credentials_service::list_users() const {
  auto users = creds_.list_users();
  if (!users)
    return std::move(users.error());
  v1::UserListResponse result;
  for (const auto& u : *users)
    *result.add_users() = info_of(u);
  return result;
}

caf::error credentials_service::delete_user(const std::string& name) {
  return creds_.delete_user(name);
}

caf::expected<v1::ApiKeyCreateResponse>
credentials_service::create_api_key(const v1::ApiKeyCreateRequest& req,
                                    int64_t now_unix) {
  if (auto err = check_roles(req.roles()))
    return err;
  if (req.expires_in_s() < 0)
    return bad("expires_in_s must not be negative");
  auto key = generate_api_key();
  if (!key)
    return std::move(key.error());
  api_key_record record;
  record.id = key->id;
  record.name = req.name();
  record.key_hash = api_key_digest(key->secret);
  record.principal = req.principal().empty() ? req.name() : req.principal();
  record.roles.assign(req.roles().begin(), req.roles().end());
  record.created_at = now_unix;
  record.expires_at
    = req.expires_in_s() == 0 ? 0 : now_unix + req.expires_in_s();
  if (auto err = creds_.put_api_key(record))
    return err;
  v1::ApiKeyCreateResponse result;
  *result.mutable_key() = info_of(record);
  result.set_api_key(std::move(key->secret));
  return result;
}

caf::expected<v1::ApiKeyListResponse>
credentials_service::list_api_keys() const {
  auto keys = creds_.list_api_keys();
  if (!keys)
    return std::move(keys.error());
  v1::ApiKeyListResponse result;
  for (const auto& k : *keys)
    *result.add_api_keys() = info_of(k);
  return result;
}

caf::error credentials_service::revoke_api_key(const std::string& id) {
  return creds_.revoke_api_key(id);
}

} // namespace bsm::security
