#pragma once

// The bridge's route handlers, by area. routes.cpp binds them to methods
// and paths; each is a few lines that turn a request into a message and a
// reply into an answer.

#include "actors/http_bridge.hpp"

namespace bsm::http_handlers {

using ex_ptr = const http::exchange_ptr&;

// -- health (health_routes.cpp) ----------------------------------------------

/// GET /healthz, from memory: the process and its HTTP threads are alive.
void healthz(const http_bridge_env& env, ex_ptr ex);
/// GET /metrics, from memory: the Prometheus text format.
void metrics(const http_bridge_env& env, ex_ptr ex);
/// GET /readyz: every child of the root runs and the node is not draining.
void readyz(http_bridge_pointer self, ex_ptr ex);

// -- actors (actor_routes.cpp) ------------------------------------------------

/// GET /v1/actors: named actors and mailboxes with their depth.
void list_actors(http_bridge_pointer self, ex_ptr ex);
/// GET /v1/tree: the supervision tree, as JSON or, for `Accept: text/plain`,
/// as text (tree_format.hpp).
void tree(http_bridge_pointer self, ex_ptr ex);

// -- message injection (message_routes.cpp)
// ------------------------------------

/// POST /v1/actors/{name}/messages: tell (durable) or ask.
void post_message(http_bridge_pointer self, ex_ptr ex);

// -- dead letters (dead_letter_routes.cpp) ----------------------------------

/// GET /v1/deadletters?actor=&limit=&after=: this node's dead letters.
void list_dead_letters(http_bridge_pointer self, ex_ptr ex);
/// POST /v1/deadletters/{id}/retry: back into the target's mailbox, once.
void retry_dead_letter(http_bridge_pointer self, ex_ptr ex);
/// DELETE /v1/deadletters/{id}; DELETE /v1/deadletters?actor=NAME purges.
void delete_dead_letter(http_bridge_pointer self, ex_ptr ex);
void purge_dead_letters(http_bridge_pointer self, ex_ptr ex);

// -- events (event_routes.cpp)
// -------------------------------------------------

/// GET /v1/events?topic=PATTERN: Server-Sent Events.
void events(http_bridge_pointer self, ex_ptr ex);

// -- agents (agent_routes.cpp) ------------------------------------------------

/// GET /v1/cluster: this node's view of the members.
void cluster_view(http_bridge_pointer self, ex_ptr ex);
void cluster_leave(http_bridge_pointer self, ex_ptr ex);

/// GET /v1/agents: every agent with its state.
void list_agents(http_bridge_pointer self, ex_ptr ex);
/// GET /v1/agents/{name}.
void get_agent(http_bridge_pointer self, ex_ptr ex);
/// POST /v1/agents/{name}/chat: one turn, in a session.
void chat(http_bridge_pointer self, ex_ptr ex);
/// GET /v1/agents/{name}/sessions?limit=&after=: the agent's sessions, from
/// the owner of its memory partition (session_routes.cpp).
void list_sessions(http_bridge_pointer self, ex_ptr ex);
/// GET /v1/agents/{name}/sessions/{id}?limit=&after=: a session's turns.
void get_session(http_bridge_pointer self, ex_ptr ex);
/// GET /v1/agents/{name}/questions?session_id=: the questions the caller's
/// turns wait on (question_routes.cpp).
void list_questions(http_bridge_pointer self, ex_ptr ex);
/// POST /v1/agents/{name}/questions/{id}: accept, decline or cancel one.
void answer_question(http_bridge_pointer self, ex_ptr ex);
/// Asks the agent manager for the agents (all if `name` is empty).
void request_agents(http_bridge_pointer self, const std::string& name,
                    std::function<void(v1::AgentListResponse&)> on_list,
                    std::function<void(caf::error&)> on_error);

// -- administration (admin_routes.cpp) ----------------------------------------

/// POST /v1/admin/reload: the node reloads as SIGHUP makes it, and the
/// answer says what changed.
void admin_reload(http_bridge_pointer self, ex_ptr ex);

// -- the MCP server (mcp_routes.cpp) ------------------------------------------

/// POST /mcp: one JSON-RPC message of an MCP client.
void mcp_post(http_bridge_pointer self, ex_ptr ex);
/// DELETE /mcp: ends the MCP session the Mcp-Session-Id header names.
void mcp_delete(http_bridge_pointer self, ex_ptr ex);

// -- the A2A server (a2a_routes.cpp)
// -------------------------------------------

/// GET /a2a/agents/{name}/.well-known/agent-card.json: the agent's card.
void a2a_card(http_bridge_pointer self, ex_ptr ex);
/// POST /a2a/agents/{name}: one A2A JSON-RPC request to the agent.
void a2a_post(http_bridge_pointer self, ex_ptr ex);

// -- OpenAI-compatible (openai_routes.cpp) ------------------------------------

/// GET /v1/models: the agents as models.
void list_models(http_bridge_pointer self, ex_ptr ex);
/// GET /v1/models/{name}: one agent as a model, 404 if unknown.
void get_model(http_bridge_pointer self, ex_ptr ex);
/// POST /v1/chat/completions: a turn in OpenAI's shape, streamed or not.
void chat_completions(http_bridge_pointer self, ex_ptr ex);
/// Answers `err` in OpenAI's error shape.
void respond_openai_error(const http::exchange_ptr& ex, const caf::error& err);

// -- security hub (auth_routes.cpp) ------------------------------------------

/// POST /v1/auth/token: a password or an API key for an access token.
void auth_token(http_bridge_pointer self, ex_ptr ex);
/// GET /v1/users, PUT and DELETE /v1/users/{name}.
void list_users(http_bridge_pointer self, ex_ptr ex);
void put_user(http_bridge_pointer self, ex_ptr ex);
void delete_user(http_bridge_pointer self, ex_ptr ex);
/// POST and GET /v1/api-keys, DELETE /v1/api-keys/{id} (revokes).
void create_api_key(http_bridge_pointer self, ex_ptr ex);
void list_api_keys(http_bridge_pointer self, ex_ptr ex);
void revoke_api_key(http_bridge_pointer self, ex_ptr ex);
/// GET /v1/roles, from memory: the roles in force and their permissions.
void list_roles(const http_bridge_env& env, ex_ptr ex);

// -- access (access_gate.hpp) -------------------------------------------------

/// Checks the `<late>` parts of the route's permission once the handler
/// read them; answers the refusal itself (in the route's error shape) and
/// returns false then.
bool authorize_late(http_bridge_pointer self, ex_ptr ex,
                    const std::map<std::string, std::string>& late);

} // namespace bsm::http_handlers
