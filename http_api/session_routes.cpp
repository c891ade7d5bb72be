// GET /v1/agents/{name}/sessions and /v1/agents/{name}/sessions/{id}
// (API.md, "Agents"). The agent's memory partition answers, on whichever
// node owns it (actors/memory_partition.hpp), so every node gives the
// same answer; 503 while that node is down.

#include <caf/event_based_actor.hpp>

#include "actors/memory_partition.hpp"
#include "http_api/handlers.hpp"
#include "http_api/session_page.hpp"
#include "http_api/typed_ask.hpp"
#include "runtime/error.hpp"
#include "runtime/http/error_response.hpp"

namespace bsm::http_handlers {

namespace bhttp = boost::beast::http;

namespace {

// The page size of a request about a known agent's sessions; nothing
// after answering 404 (no such agent) or 400 (a bad limit).
std::optional<uint32_t> page_of_known_agent(const http_bridge_env& env,
                                            http::exchange& ex) {
  if (!env.names->get(agent_path(ex.param("name")))) {
    http::respond_error(ex, bhttp::status::not_found, "not_found",
                        "no agent '" + ex.param("name") + "'");
    return std::nullopt;
  }
  auto limit = page_limit(ex.query_param("limit"));
  if (!limit) {
    http::respond_error(ex, limit.error());
    return std::nullopt;
  }
  return *limit;
}

} // namespace

void list_sessions(http_bridge_pointer self, ex_ptr ex) {
  const auto& env = *self->state.env;
  auto limit = page_of_known_agent(env, *ex);
  if (!limit)
    return;
  const auto& agent = ex->param("name");
  v1::SessionListRequest req;
  req.set_agent(agent);
  req.set_limit(*limit);
  req.set_start_after(ex->query_param("after").value_or(""));
  auto node = env.node_name;
  if (env.directory)
    if (auto owner = memory_owner(*env.directory, agent))
      node = owner->node;
  ask_for_reply<v1::SessionListResponse>(
    self, ex, memory_path, "memory", std::move(req),
    [ex, node](const v1::SessionListResponse& list) {
      ex->respond(http::make_json_response(bhttp::status::ok,
                                           sessions_json(list, node).dump()));
    });
}

void get_session(http_bridge_pointer self, ex_ptr ex) {
  const auto& env = *self->state.env;
  auto limit = page_of_known_agent(env, *ex);
  if (!limit)
    return;
  auto after = turn_cursor(ex->query_param("after"));
  if (!after)
    return http::respond_error(*ex, after.error());
  v1::SessionPageRequest req;
  req.set_agent(ex->param("name"));
  req.set_session_id(ex->param("id"));
  req.set_limit(*limit);
  req.set_after_seq(*after);
  ask_for_reply<v1::SessionPageResponse>(
    self, ex, memory_path, "memory", std::move(req),
    [ex](const v1::SessionPageResponse& page) {
      const auto& id = ex->param("id");
      if (!page.found())
        return http::respond_error(*ex, bhttp::status::not_found, "not_found",
                                   "no session '" + id + "' of agent '"
                                     + ex->param("name") + "'");
      ex->respond(http::make_json_response(bhttp::status::ok,
                                           session_json(id, page).dump()));
    });
}

} // namespace bsm::http_handlers
