#pragma once

// OAuth client credentials for one remote MCP server (MCP 2025-11-25
// "Authorization", for clients without a person at a browser). The first
// request goes without a token; on the server's 401 the source reads the
// Bearer challenge, fetches the protected resource metadata (from the
// challenge's `resource_metadata`, else the well-known locations), then
// the authorization server's metadata (RFC 8414, else OpenID Connect), and
// asks the token endpoint for a token with the client credentials grant
// (client_secret_basic, client_secret_post or private_key_jwt) and the
// `resource` indicator. The token is kept and renewed before it expires
// (agents/mcp/oauth/token_request.hpp, renew_at) and after a 403
// `insufficient_scope` with the scope the server asks for.
//
// Thread-safety: none; one transport's thread uses it. Blocks that thread
// in discovery and token requests (libcurl, up to the caller's deadline).
// Secrets: the client secret, the private key, assertions and tokens are
// never logged nor put into errors.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "agents/mcp/http_authorizer.hpp"
#include "agents/mcp/oauth/discovery.hpp"
#include "agents/mcp/oauth/token_request.hpp"
#include "agents/mcp/oauth/www_authenticate.hpp"
#include "runtime/security/jwt_verifier.hpp"

namespace bsm::mcp::oauth {

/// A pre-registered client, its secrets resolved (never from the config
/// file itself; agents/tools/tools_options.hpp, `auth:`).
struct client_credentials {
  /// Required.
  std::string client_id;
  /// For client_secret_basic and client_secret_post. Exactly one of
  /// `client_secret` and `private_key_pem` is set.
  std::string client_secret;
  /// For private_key_jwt: an unencrypted PEM private key, EC on P-256
  /// (ES256) or RSA of 2048 bits or more (RS256).
  std::string private_key_pem;
  /// Asked for instead of the server's scopes when not empty.
  std::string scope;
  /// Unset: chosen from the authorization server's metadata.
  std::optional<client_auth_method> method;
};

struct token_source_options {
  /// The MCP endpoint the tokens are for.
  std::string server_url;
  client_credentials credentials;
  /// How long before its expiry a token is renewed. Default: 60s.
  std::chrono::seconds renew_margin{60};
  /// Lifetime of a private_key_jwt assertion. Default: 60s.
  std::chrono::seconds assertion_lifetime{60};
  /// The clocks: steady for renewal, seconds since the epoch for JWTs.
  std::function<std::chrono::steady_clock::time_point()> now
    = std::chrono::steady_clock::now;
  std::function<int64_t()> unix_now;
  /// One line per token obtained and per discovery step; may be empty.
  std::function<void(std::string_view)> log;
};

class token_source final : public http_authorizer {
public:
  /// Errors: invalid_argument (no client_id; not exactly one of secret
  /// and key; a key that is not an EC P-256 or RSA PEM private key; a
  /// configured method the credentials do not fit).
  [[nodiscard]] static caf::expected<std::shared_ptr<token_source>>
  make(token_source_options opts);

  caf::expected<std::string> authorization(clock::time_point deadline) override;

  caf::expected<bool> refused(long status, std::string_view challenge,
                              clock::time_point deadline) override;

  /// The resource indicator in use ("" before discovery).
  const std::string& resource() const noexcept {
    return resource_.resource;
  }

  /// Tokens obtained so far (for tests and logs).
  size_t tokens_obtained() const noexcept {
    return obtained_;
  }

private:
  explicit token_source(token_source_options opts);

  caf::error discover(const bearer_challenge& challenge,
                      clock::time_point deadline);
  caf::error find_authorization_server(clock::time_point deadline);
  caf::error obtain(const std::string& challenged_scope,
                    clock::time_point deadline);
  caf::expected<std::string> assertion() const;
  void log(const std::string& line) const;

  token_source_options opts_;
  security::jwt_algorithm key_algorithm_ = security::jwt_algorithm::es256;
  bool discovered_ = false;
  std::string metadata_url_;
  protected_resource resource_;
  authorization_server server_;
  /// The scope asked for last (renewals ask for it again).
  std::string scope_;
  std::string token_;
  std::optional<clock::time_point> renew_at_;
  size_t obtained_ = 0;
};

} // namespace bsm::mcp::oauth
