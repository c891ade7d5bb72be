#pragma once

// Tables for the security hub's listings (API.md, "Security hub"): pure
// functions from the server's JSON to text, tested without a server.

#include <string>

#include "node/bsmctl/output.hpp"

namespace bsm::ctl {

/// A JSON array of strings as "a,b,c" ("-" when empty or not an array).
std::string joined(const ordered_json& list);

/// GET /v1/users as NAME ROLES DISABLED CREATED.
std::string users_table(const ordered_json& doc);

/// GET /v1/api-keys as ID NAME PRINCIPAL ROLES EXPIRES REVOKED.
std::string api_keys_table(const ordered_json& doc);

/// GET /v1/roles as ROLE PERMISSIONS.
std::string roles_table(const ordered_json& doc);

} // namespace bsm::ctl
