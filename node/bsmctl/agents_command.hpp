#pragma once

// `bsmctl agents list|show|chat` and `bsmctl sessions list|show` (API.md,
// "Agents").

#include "node/bsmctl/command_context.hpp"

namespace bsm::ctl {

/// list: GET /v1/agents; show: GET /v1/agents/NAME; chat: POST
/// /v1/agents/NAME/chat with the input (from stdin for `-` or none) and
/// prints the answer (on a table: the output and the session id).
int run_agents(command_context& ctx, const agents_args& args);

/// list: GET /v1/agents/AGENT/sessions; show: .../sessions/ID; both paged
/// with --limit and --after.
int run_sessions(command_context& ctx, const sessions_args& args);

/// list: GET /v1/agents/AGENT/questions[?session_id=]; answer: POST
/// /v1/agents/AGENT/questions/ID with {"action","content"}.
int run_questions(command_context& ctx, const questions_args& args);

} // namespace bsm::ctl
