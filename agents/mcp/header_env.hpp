#pragma once

// Header values of remote MCP servers may name environment variables
// ("Bearer ${GITHUB_TOKEN}"), so secrets stay out of the config file. They
// are expanded when the server's actor starts, with the environment passed
// in (tests pass a map). Errors name the variable, never a value.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

namespace bsm::mcp {

/// A variable's value, or nullopt if it is not set.
using env_lookup
  = std::function<std::optional<std::string>(const std::string& name)>;

/// The process environment (getenv).
env_lookup process_environment();

/// Every "${NAME}" in `value` replaced by the variable's value; NAME is
/// [A-Za-z_][A-Za-z0-9_]*; a '$' not followed by '{' stays as it is.
/// Errors: `invalid_argument` for a malformed reference ("${", "${1X}"),
/// `not_found` for a variable that is not set.
[[nodiscard]] caf::expected<std::string> expand_env_refs(std::string_view value,
                                                         const env_lookup& env);

/// The problem of `value`'s references without expanding them ("" if
/// none), for config validation.
std::string env_ref_problem(std::string_view value);

} // namespace bsm::mcp
