#pragma once

// Tables for agents, sessions and the cluster view (API.md, "Agents" and
// "Cluster"): pure functions from the server's JSON to text, tested
// without a server.

#include <string>

#include "node/bsmctl/output.hpp"

namespace bsm::ctl {

/// GET /v1/agents as NAME STATE NODE MODEL TOOLS MAILBOX RESTARTS.
std::string agents_table(const ordered_json& doc);

/// A chat's answer for people: the output, then "session: ID".
std::string chat_text(const ordered_json& doc);

/// One step event of a streamed chat for people: a delta's text as it is,
/// "[tool {args}]" and "[tool: result]" (or "[tool failed: ...]") on lines
/// of their own, "\nsession: ID\n" at `done`; "" for other events.
std::string chat_event_text(const std::string& event, const ordered_json& data);

/// GET /v1/agents/{name}/sessions as SESSION_ID TURNS LAST_ACTIVITY NODE.
std::string sessions_table(const ordered_json& doc);

/// GET /v1/agents/{name}/sessions/{id} as TIME ROLE CONTENT.
std::string turns_table(const ordered_json& doc);

/// GET /v1/agents/AGENT/questions: id, session, server, tool, deadline,
/// message.
std::string questions_table(const ordered_json& doc);

/// GET /v1/cluster as NAME STATE ADDRESS HTTP_ADDRESS AGENTS LAST_SEEN,
/// the asked node's own row marked with a `*`.
std::string cluster_table(const ordered_json& doc);

} // namespace bsm::ctl
