#pragma once

// The OAuth 2.1 client credentials grant as an MCP client sends it: which
// client authentication to use, which scope to ask for, the request's form
// and headers, the answer and when to renew it. Plain functions, no I/O;
// the clock is a parameter. Errors never hold a secret, an assertion or a
// token.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

namespace bsm::mcp::oauth {

/// How the client proves who it is at the token endpoint (RFC 6749
/// section 2.3.1, RFC 7523 section 2.2).
enum class client_auth_method {
  /// HTTP Basic with the client id and secret.
  client_secret_basic,
  /// The client id and secret in the form.
  client_secret_post,
  /// A JWT signed with the client's private key (RS256 or ES256).
  private_key_jwt,
};

/// The method's name in metadata and config ("client_secret_basic", ...).
const char* to_string(client_auth_method x);

/// The method named `name`; nullopt for another name.
std::optional<client_auth_method>
parse_client_auth_method(std::string_view name);

/// The method to use: `configured` if given, else private_key_jwt with a
/// key, else client_secret_basic or (if the server lists only that)
/// client_secret_post with a secret. `supported` is the server's list
/// (unset: client_secret_basic only, RFC 8414). Errors: invalid_argument
/// (the configured method needs a secret or key the client does not have),
/// failed_precondition (the server does not list the method; the message
/// names what it lists).
[[nodiscard]] caf::expected<client_auth_method>
choose_auth_method(std::optional<client_auth_method> configured,
                   bool has_secret, bool has_key,
                   const std::optional<std::vector<std::string>>& supported);

/// The scope to request (MCP "Scope Selection Strategy"): `configured` if
/// not empty, else the challenge's, else every scope the resource lists,
/// else "" (the request leaves scope out).
std::string choose_scope(const std::string& configured,
                         const std::string& challenged,
                         const std::vector<std::string>& supported);

/// `x` as application/x-www-form-urlencoded text.
std::string form_encode(std::string_view x);

/// What goes into one token request.
struct token_request_input {
  client_auth_method method = client_auth_method::client_secret_basic;
  std::string client_id;
  /// For the secret methods.
  std::string client_secret;
  /// For private_key_jwt: the signed assertion.
  std::string client_assertion;
  /// May be empty (left out).
  std::string scope;
  /// The RFC 8707 resource indicator; may be empty (left out).
  std::string resource;
};

/// The request: a form body and, for client_secret_basic, the
/// Authorization header value.
struct token_request {
  std::string body;
  std::string authorization;
};

token_request make_token_request(const token_request_input& in);

/// A token the authorization server issued.
struct access_token {
  std::string value;
  /// Its lifetime; unset when the server did not say.
  std::optional<std::chrono::seconds> expires_in;
  /// The scope granted, if the server said.
  std::string scope;
};

/// Reads the token endpoint's answer `body` with HTTP `status` from
/// `endpoint` (named in errors). Errors: `unauthenticated` for an OAuth
/// error answer (400/401 with `error`; the message names the error code
/// and its description, sanitized and capped), `failed_precondition` for
/// an answer that is not a usable token (no `access_token`, `token_type`
/// not Bearer, `expires_in` not a positive number, another status).
[[nodiscard]] caf::expected<access_token>
parse_token_response(long status, std::string_view body,
                     const std::string& endpoint);

/// When a token obtained at `obtained` should be renewed: `margin` before
/// it expires, or half its lifetime before that if the lifetime is shorter
/// than twice the margin; unset if it has no known lifetime.
std::optional<std::chrono::steady_clock::time_point>
renew_at(std::chrono::steady_clock::time_point obtained,
         std::optional<std::chrono::seconds> expires_in,
         std::chrono::seconds margin);

} // namespace bsm::mcp::oauth
