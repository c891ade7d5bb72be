#pragma once

// Where an MCP client looks for the metadata that leads it from a
// protected MCP server to a token, and what it accepts there (MCP
// 2025-11-25 "Authorization": RFC 9728 protected resource metadata, RFC
// 8414 authorization server metadata with the OpenID Connect fallback).
// Plain functions, no I/O. Errors are `failed_precondition` (the server's
// or the authorization server's metadata is unusable: fix it there) and
// name the URL and the field that was wrong, never a credential.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

namespace bsm::mcp::oauth {

/// An http(s) URL cut into what discovery needs.
struct url_parts {
  /// "https://host:port", the scheme and host lowercased.
  std::string origin;
  /// The path without a trailing '/' ("" for none or "/").
  std::string path;
};

/// `url` split; nullopt if it is not http:// or https:// with a host.
std::optional<url_parts> split_url(std::string_view url);

/// Where the protected resource metadata of the MCP endpoint `server_url`
/// may be, in the order to try (RFC 9728 section 3.1): the path-based
/// location ("/.well-known/oauth-protected-resource/<path>") when the
/// endpoint has a path, then the root one. Empty for a URL split_url
/// refuses.
std::vector<std::string>
protected_resource_metadata_urls(const std::string& server_url);

/// Where the metadata of the authorization server `issuer` may be, in the
/// order to try: RFC 8414's path insertion, OpenID Connect's path
/// insertion, OpenID Connect's path appending (for an issuer without a
/// path: the first two at the root). Empty for a URL split_url refuses.
std::vector<std::string>
authorization_server_metadata_urls(const std::string& issuer);

/// True if the metadata's `resource` names `server_url` or a parent of it:
/// the same origin and a path that is the server's path or a prefix of it
/// at a '/' (RFC 8707 resource indicators are canonical URIs).
bool resource_covers(std::string_view resource, std::string_view server_url);

/// RFC 9728 protected resource metadata, the fields a client uses.
struct protected_resource {
  /// The resource identifier, sent as `resource` in token requests.
  std::string resource;
  /// Issuer URLs; at least one.
  std::vector<std::string> authorization_servers;
  /// May be empty.
  std::vector<std::string> scopes_supported;
};

/// Parses the metadata document `body` fetched from `from` (named in
/// errors) for the endpoint `server_url`. Errors (failed_precondition): not
/// a JSON object, `resource` missing or not covering `server_url`, no
/// http(s) `authorization_servers`, a field of the wrong type.
[[nodiscard]] caf::expected<protected_resource>
parse_protected_resource(std::string_view body, const std::string& from,
                         const std::string& server_url);

/// RFC 8414 authorization server metadata, the fields a client uses.
struct authorization_server {
  std::string issuer;
  /// An http(s) URL.
  std::string token_endpoint;
  /// Unset when the metadata leaves them out (RFC 8414 default:
  /// client_secret_basic only).
  std::optional<std::vector<std::string>> token_endpoint_auth_methods;
  /// `token_endpoint_auth_signing_alg_values_supported`; unset when left
  /// out. (`grant_types_supported` is not looked at: servers that take
  /// client credentials often do not list them.)
  std::optional<std::vector<std::string>> signing_algorithms;
};

/// Parses the metadata document `body` fetched from `from` for the issuer
/// `issuer`. Errors (failed_precondition): not a JSON object, an `issuer`
/// other than `issuer` (a trailing '/' aside; RFC 8414 section 3.3), no
/// http(s) `token_endpoint`, a field of the wrong type.
[[nodiscard]] caf::expected<authorization_server>
parse_authorization_server(std::string_view body, const std::string& from,
                           const std::string& issuer);

} // namespace bsm::mcp::oauth
