#pragma once

// The `auth:` block of a remote MCP server (tools.mcp_servers[].auth): a
// pre-registered OAuth client that gets its tokens with the client
// credentials grant (agents/mcp/oauth/token_source.hpp). Secrets never sit
// in the file: the secret and the key are "${NAME}" references to
// environment variables, or the key a file. Reload: none.

#include <string>

#include <caf/expected.hpp>

#include "agents/mcp/header_env.hpp"
#include "agents/mcp/oauth/token_source.hpp"

namespace bsm::detail {
class yaml_field;
} // namespace bsm::detail

namespace bsm {

struct mcp_auth_config {
  /// The client id the authorization server issued. Required.
  std::string client_id;
  /// "${NAME}": the variable holding the client secret (client_secret_basic
  /// or client_secret_post). Exactly one of client_secret, private_key and
  /// private_key_file.
  std::string client_secret;
  /// "${NAME}": the variable holding a PEM private key (private_key_jwt).
  std::string private_key;
  /// A file with the PEM private key (private_key_jwt); may hold "${NAME}"
  /// ("${CREDENTIALS_DIRECTORY}/mcp.pem").
  std::string private_key_file;
  /// Scopes to ask for (space-separated). Default: those of the server's
  /// challenge, else all it lists.
  std::string scope;
  /// client_secret_basic, client_secret_post or private_key_jwt. Default:
  /// chosen from the authorization server's metadata.
  std::string token_endpoint_auth_method;
};

/// Reads the `auth` mapping. Errors name the line; never a value.
[[nodiscard]] caf::error read_mcp_auth(const detail::yaml_field& in,
                                       mcp_auth_config& out);

/// What is wrong with `x` ("" if nothing), for validation.
std::string mcp_auth_problem(const mcp_auth_config& x);

/// The credentials with their references expanded in `env` and the key
/// file read. Errors: not_found (a variable not set, a file missing),
/// invalid_argument (an unreadable file); they name the variable or file.
[[nodiscard]] caf::expected<mcp::oauth::client_credentials>
resolve_mcp_auth(const mcp_auth_config& x, const mcp::env_lookup& env);

} // namespace bsm
