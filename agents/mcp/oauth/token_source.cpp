#include "agents/mcp/oauth/token_source.hpp"

#include <algorithm>

#include "agents/mcp/http_transport.hpp"
#include "agents/mcp/oauth/fetch.hpp"
#include "runtime/error.hpp"
#include "runtime/security/jwt_signer.hpp"

namespace bsm::mcp::oauth {

namespace {

int64_t system_unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// The signing algorithm of a PEM private key, tried as EC first.
caf::expected<security::jwt_algorithm> key_algorithm(std::string_view pem) {
  if (security::load_es256_private_key(pem))
    return security::jwt_algorithm::es256;
  if (security::load_rs256_private_key(pem))
    return security::jwt_algorithm::rs256;
  return make_error(errc::invalid_argument,
                    "the private key is neither an EC P-256 nor an RSA "
                    "(2048 bits or more) unencrypted PEM private key");
}

std::string tried(const std::vector<std::string>& urls) {
  std::string out;
  for (const auto& x : urls)
    out += (out.empty() ? "" : ", ") + x;
  return out;
}

} // namespace

caf::expected<std::shared_ptr<token_source>>
token_source::make(token_source_options opts) {
  const auto& c = opts.credentials;
  if (c.client_id.empty())
    return make_error(errc::invalid_argument, "OAuth client_id is empty");
  if (c.client_secret.empty() == c.private_key_pem.empty())
    return make_error(errc::invalid_argument,
                      "OAuth needs exactly one of a client secret and a "
                      "private key");
  if (c.method) {
    bool jwt = *c.method == client_auth_method::private_key_jwt;
    if (jwt == c.private_key_pem.empty())
      return make_error(errc::invalid_argument,
                        std::string{"OAuth method "} + to_string(*c.method)
                          + " needs "
                          + (jwt ? "a private key" : "a client secret"));
  }
  auto algorithm = security::jwt_algorithm::es256;
  if (!c.private_key_pem.empty()) {
    auto found = key_algorithm(c.private_key_pem);
    if (!found)
      return found.error();
    algorithm = *found;
  }
  if (!opts.unix_now)
    opts.unix_now = system_unix_now;
  std::shared_ptr<token_source> result{new token_source(std::move(opts))};
  result->key_algorithm_ = algorithm;
  return result;
}

token_source::token_source(token_source_options opts)
  : opts_(std::move(opts)) {}

caf::expected<std::string>
token_source::authorization(clock::time_point deadline) {
  if (token_.empty())
    return std::string{};
  if (renew_at_ && opts_.now() >= *renew_at_) {
    log("renewing the token before it expires");
    if (auto err = obtain(scope_, deadline))
      return err;
  }
  return "Bearer " + token_;
}

caf::expected<bool> token_source::refused(long status,
                                          std::string_view challenge,
                                          clock::time_point deadline) {
  auto bearer = parse_bearer_challenge(challenge);
  if (status == 403 && (!bearer || bearer->error != "insufficient_scope"))
    return false;
  auto found = bearer.value_or(bearer_challenge{});
  if (!discovered_
      || (!found.resource_metadata.empty()
          && found.resource_metadata != metadata_url_))
    if (auto err = discover(found, deadline))
      return err;
  if (auto err = obtain(found.scope, deadline))
    return err;
  return true;
}

caf::error token_source::discover(const bearer_challenge& challenge,
                                  clock::time_point deadline) {
  auto urls = challenge.resource_metadata.empty()
                ? protected_resource_metadata_urls(opts_.server_url)
                : std::vector<std::string>{challenge.resource_metadata};
  for (const auto& url : urls) {
    auto got = fetch({url, {}, {}}, deadline);
    if (!got)
      return got.error();
    if (got->status != 200) {
      if (!challenge.resource_metadata.empty())
        return make_error(errc::failed_precondition,
                          "protected resource metadata at " + shown_url(url)
                            + " (named by the server's challenge): HTTP "
                            + std::to_string(got->status));
      continue;
    }
    auto parsed
      = parse_protected_resource(got->body, shown_url(url), opts_.server_url);
    if (!parsed)
      return parsed.error();
    resource_ = std::move(*parsed);
    metadata_url_ = url;
    log("protected resource metadata from " + shown_url(url));
    if (auto err = find_authorization_server(deadline))
      return err;
    discovered_ = true;
    return caf::none;
  }
  return make_error(errc::failed_precondition,
                    "the MCP server wants a token but publishes no protected "
                    "resource metadata (tried "
                      + tried(urls) + ")");
}

caf::error token_source::find_authorization_server(clock::time_point deadline) {
  const auto& issuer = resource_.authorization_servers.front();
  auto urls = authorization_server_metadata_urls(issuer);
  for (const auto& url : urls) {
    auto got = fetch({url, {}, {}}, deadline);
    if (!got)
      return got.error();
    if (got->status != 200)
      continue;
    auto parsed = parse_authorization_server(got->body, shown_url(url), issuer);
    if (!parsed)
      return parsed.error();
    server_ = std::move(*parsed);
    log("authorization server metadata from " + shown_url(url));
    return caf::none;
  }
  return make_error(errc::failed_precondition,
                    "authorization server " + shown_url(issuer)
                      + " publishes no metadata (tried " + tried(urls) + ")");
}

caf::error token_source::obtain(const std::string& challenged_scope,
                                clock::time_point deadline) {
  const auto& c = opts_.credentials;
  auto method = choose_auth_method(c.method, !c.client_secret.empty(),
                                   !c.private_key_pem.empty(),
                                   server_.token_endpoint_auth_methods);
  if (!method)
    return method.error();
  token_request_input in;
  in.method = *method;
  in.client_id = c.client_id;
  in.client_secret = c.client_secret;
  in.scope
    = choose_scope(c.scope, challenged_scope, resource_.scopes_supported);
  in.resource = resource_.resource;
  if (*method == client_auth_method::private_key_jwt) {
    auto signed_jwt = assertion();
    if (!signed_jwt)
      return signed_jwt.error();
    in.client_assertion = std::move(*signed_jwt);
  }
  auto req = make_token_request(in);
  fetch_request post{server_.token_endpoint, std::move(req.body), {}};
  if (!req.authorization.empty())
    post.headers.push_back("Authorization: " + req.authorization);
  auto endpoint = shown_url(server_.token_endpoint);
  auto got = fetch(post, deadline);
  if (!got)
    return got.error();
  auto token = parse_token_response(got->status, got->body, endpoint);
  if (!token)
    return token.error();
  auto now = opts_.now();
  token_ = std::move(token->value);
  scope_ = in.scope;
  renew_at_ = renew_at(now, token->expires_in, opts_.renew_margin);
  ++obtained_;
  log(std::string{"token obtained from "} + endpoint + " with "
      + to_string(*method)
      + (in.scope.empty() ? "" : ", scope '" + in.scope + "'")
      + (token->expires_in
           ? ", expires in " + std::to_string(token->expires_in->count()) + "s"
           : ""));
  return caf::none;
}

caf::expected<std::string> token_source::assertion() const {
  const auto& c = opts_.credentials;
  if (server_.signing_algorithms) {
    const auto& algs = *server_.signing_algorithms;
    std::string ours = security::to_string(key_algorithm_);
    if (std::find(algs.begin(), algs.end(), ours) == algs.end())
      return make_error(errc::failed_precondition,
                        "the authorization server does not take " + ours
                          + " client assertions");
  }
  security::jwt_signer_options signer;
  signer.algorithm = key_algorithm_;
  signer.key = c.private_key_pem;
  signer.issuer = c.client_id;
  // RFC 7523 section 3: the audience identifies the authorization server.
  signer.audiences = {server_.issuer};
  signer.lifetime = opts_.assertion_lifetime;
  auto made = security::jwt_signer::make(std::move(signer));
  if (!made)
    return made.error();
  auto issued = made->issue({c.client_id, {}, std::nullopt}, opts_.unix_now());
  if (!issued)
    return issued.error();
  return std::move(issued->token);
}

void token_source::log(const std::string& line) const {
  if (opts_.log)
    opts_.log("OAuth: " + line);
}

} // namespace bsm::mcp::oauth
