#include "runtime/security/authenticator.hpp"

#include <fstream>
#include <iterator>

#include "runtime/ascii.hpp"
#include "runtime/error.hpp"
#include "runtime/security/api_key.hpp"

namespace bsm::security {

const char* const protected_mode_refusal
  = "this node has no credentials configured and serves loopback clients "
    "only; configure security.jwt_hs256_key_file (or an RS256/ES256 public "
    "key) and send Authorization: Bearer <token>";

namespace {

caf::error refuse(std::string what) {
  return make_error(errc::unauthenticated, std::move(what));
}

caf::error bad_key(const std::string& key, const std::string& what) {
  return make_error(errc::invalid_argument,
                    "key 'security." + key + "': " + what);
}

// The file's bytes; a trailing line break (as editors and `echo` leave
// it) is not part of the key.
caf::expected<std::string> read_key_file(const std::string& key,
                                         const std::filesystem::path& file) {
  std::ifstream in{file, std::ios::binary};
  if (!in)
    return bad_key(key, "cannot read '" + file.string() + "'");
  std::string bytes{std::istreambuf_iterator<char>{in}, {}};
  while (!bytes.empty() && (bytes.back() == '\n' || bytes.back() == '\r'))
    bytes.pop_back();
  return bytes;
}

caf::expected<std::optional<jwt_verifier>>
make_verifier(const security_options& opts, const std::string& issuing_key) {
  jwt_verifier_options vo;
  if (!issuing_key.empty()) {
    vo.keys.push_back(
      {jwt_algorithm::hs256, authenticator::node_kid, issuing_key});
    vo.algorithms.insert(jwt_algorithm::hs256);
  }
  struct source {
    const char* key;
    const std::filesystem::path* file;
    jwt_algorithm alg;
  };
  for (const auto& s :
       {source{"jwt_hs256_key_file", &opts.jwt_hs256_key_file,
               jwt_algorithm::hs256},
        source{"jwt_rs256_public_key_file", &opts.jwt_rs256_public_key_file,
               jwt_algorithm::rs256},
        source{"jwt_es256_public_key_file", &opts.jwt_es256_public_key_file,
               jwt_algorithm::es256}}) {
    if (s.file->empty())
      continue;
    auto bytes = read_key_file(s.key, *s.file);
    if (!bytes)
      return std::move(bytes.error());
    vo.keys.push_back({s.alg, "", std::move(*bytes)});
    vo.algorithms.insert(s.alg);
  }
  if (vo.algorithms.empty())
    return std::optional<jwt_verifier>{};
  if (!opts.jwt_issuer.empty())
    vo.claims.issuer = opts.jwt_issuer;
  vo.claims.audiences.insert(opts.jwt_audiences.begin(),
                             opts.jwt_audiences.end());
  vo.claims.leeway
    = std::chrono::duration_cast<std::chrono::seconds>(opts.jwt_leeway);
  auto verifier = jwt_verifier::make(std::move(vo));
  if (!verifier)
    return bad_key("jwt_*", render(verifier.error()));
  return std::optional<jwt_verifier>{std::move(*verifier)};
}

// The token of "Bearer <token>" (scheme case-insensitive, RFC 7235).
std::optional<std::string_view> bearer_token(std::string_view header) {
  constexpr std::string_view scheme = "bearer ";
  if (header.size() <= scheme.size()
      || ascii_lower(header.substr(0, scheme.size())) != scheme)
    return std::nullopt;
  auto token = header.substr(scheme.size());
  while (!token.empty() && token.front() == ' ')
    token.remove_prefix(1);
  if (token.empty() || token.find(' ') != std::string_view::npos)
    return std::nullopt;
  return token;
}

} // namespace

authenticator::authenticator(role_table roles,
                             std::optional<jwt_verifier> verifier,
                             credential_snapshot stored,
                             certificate_principals certificates,
                             bool protected_mode)
  : roles_(std::move(roles)),
    local_admin_(std::make_shared<const principal>(local_admin())),
    verifier_(std::move(verifier)),
    verified_(std::make_shared<verified_tokens>()), stored_(std::move(stored)),
    certificates_(std::move(certificates)), protected_mode_(protected_mode) {}

caf::expected<authenticator> authenticator::make(const security_options& opts,
                                                 credential_snapshot stored) {
  auto roles = role_table::make(opts.roles);
  if (!roles)
    return bad_key("roles", render(roles.error()));
  auto verifier = make_verifier(opts, stored.issuing_key);
  if (!verifier)
    return std::move(verifier.error());
  bool protected_mode = !opts.enabled && !has_configured_credentials(opts)
                        && stored.api_keys.empty() && !stored.has_users;
  certificate_principals certificates{opts.client_certificates, *roles};
  return authenticator{std::move(*roles), std::move(*verifier),
                       std::move(stored), std::move(certificates),
                       protected_mode};
}

caf::expected<std::string>
authenticator::read_key(const std::filesystem::path& file) {
  return read_key_file("jwt_hs256_key_file", file);
}

caf::expected<std::shared_ptr<const principal>>
authenticator::authenticate(std::string_view authorization,
                            const client_facts& client,
                            int64_t now_unix) const {
  if (protected_mode_) {
    if (client.loopback)
      return local_admin_;
    return refuse(protected_mode_refusal);
  }
  if (authorization.empty()) {
    if (certificates_.enabled() && !client.certificate_name.empty())
      return certificates_.of(client.certificate_name);
    return refuse("credentials missing: send Authorization: Bearer <token>");
  }
  auto token = bearer_token(authorization);
  if (!token)
    return refuse("the Authorization header is not \"Bearer <token>\"");
  if (token->substr(0, 4) == "bsm_")
    return from_api_key(*token, now_unix);
  return from_token(*token, now_unix);
}

caf::expected<std::shared_ptr<const principal>>
authenticator::from_api_key(std::string_view key, int64_t now_unix) const {
  auto id = parse_api_key(key);
  if (!id)
    return refuse("the API key is malformed");
  auto i = stored_.api_keys.find(*id);
  // One message for an unknown id and a wrong secret.
  if (i == stored_.api_keys.end() || !api_key_matches(key, i->second.key_hash))
    return refuse("the API key is not valid");
  const auto& record = i->second;
  if (!is_usable(record, now_unix))
    return refuse("the API key has expired or was revoked");
  principal result;
  result.kind = principal_kind::api_key;
  result.name = record.principal;
  result.roles = record.roles;
  result.permissions = roles_.grants_of(result.roles);
  return std::make_shared<const principal>(std::move(result));
}

caf::expected<std::shared_ptr<const principal>>
authenticator::from_token(std::string_view token, int64_t now_unix) const {
  if (!verifier_)
    return refuse("this node accepts no bearer tokens");
  if (auto hit = verified_->find(token)) {
    if (auto err = check_window(hit->window, verifier_->rules(), now_unix)) {
      verified_->erase(token);
      return err;
    }
    return std::move(hit->who);
  }
  auto claims = verifier_->verify(token, now_unix);
  if (!claims)
    return std::move(claims.error());
  principal result;
  result.kind = principal_kind::token;
  result.name = claims->sub.value_or("");
  if (result.name.empty())
    return refuse("token claim sub is missing");
  // The verifier has checked that roles is an array of names.
  result.roles = std::move(claims->roles);
  result.permissions = roles_.grants_of(result.roles);
  auto who = std::make_shared<const principal>(std::move(result));
  jwt_claims window;
  window.exp = claims->exp;
  window.nbf = claims->nbf;
  window.iat = claims->iat;
  verified_->put(token, {who, std::move(window)});
  return who;
}

} // namespace bsm::security
