#pragma once

// bsmctl's security hub commands (API.md, "Security hub"): login, users,
// API keys and roles. Secrets come from stdin only and are sent in request
// bodies, never printed except the token or key the user asked for.

#include "node/bsmctl/command_context.hpp"

namespace bsm::ctl {

/// POST /v1/auth/token with the password (or API key) read from stdin;
/// prints the access token alone, so $(bsmctl login ...) captures it.
int run_login(command_context& ctx, const login_args& args);

/// users list | set NAME --role R... (password from stdin) | delete NAME.
int run_users(command_context& ctx, const users_args& args);

/// keys list | create NAME --role R... | revoke ID. Create prints the
/// record with the key, which the server shows only this once.
int run_keys(command_context& ctx, const keys_args& args);

/// GET /v1/roles.
int run_roles(command_context& ctx);

} // namespace bsm::ctl
