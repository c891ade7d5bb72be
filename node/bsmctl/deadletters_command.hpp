#pragma once

// `bsmctl deadletters list|retry|delete|purge` (API.md, "Message
// injection": dead letters).

#include "node/bsmctl/command_context.hpp"

namespace bsm::ctl {

/// list: GET /v1/deadletters (paged, --actor); retry: POST
/// /v1/deadletters/ID/retry; delete: DELETE /v1/deadletters/ID; purge:
/// DELETE /v1/deadletters?actor=ACTOR.
int run_deadletters(command_context& ctx, const deadletters_args& args);

/// GET /v1/deadletters as ID ACTOR TYPE REASON ATTEMPTS TIME LAST_ERROR.
std::string deadletters_table(const ordered_json& doc);

} // namespace bsm::ctl
