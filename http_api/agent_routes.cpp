// GET /v1/agents, GET /v1/agents/{name}, POST /v1/agents/{name}/chat
// (API.md, "Agents").

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <nlohmann/json.hpp>

#include "http_api/caller_stamp.hpp"
#include "http_api/chat_format.hpp"
#include "http_api/chat_stream.hpp"
#include "http_api/handlers.hpp"
#include "http_api/idempotency.hpp"
#include "http_api/json_body.hpp"
#include "runtime/error.hpp"
#include "runtime/http/error_response.hpp"

namespace bsm::http_handlers {

namespace bhttp = boost::beast::http;

namespace {

// The node that owns the agent now, by the cluster's placement, and that
// node's state as this node sees it; node empty while this node is
// joining and cannot know it yet (a hashed agent).
cluster::owner owner_of(const http_bridge_env& env, const v1::AgentInfo& x) {
  cluster::owner fallback{x.node(), true, v1::MEMBER_STATE_UP};
  if (!env.directory)
    return fallback;
  auto owner = env.directory->resolve(agent_path(x.name()));
  if (owner)
    return std::move(*owner);
  if (is(owner.error(), errc::unavailable))
    fallback.node.clear();
  return fallback;
}

// An agent whose owner is down or suspect is `unavailable`: chats to it
// fail or wait until the owner is back (or its replica serves it).
nlohmann::json agent_json(const http_bridge_env& env, const v1::AgentInfo& x) {
  auto owner = owner_of(env, x);
  auto unreachable = !owner.local
                     && (owner.state == v1::MEMBER_STATE_DOWN
                         || owner.state == v1::MEMBER_STATE_SUSPECT);
  auto sources = nlohmann::json::object();
  for (const auto& [tool, source] : x.tool_sources())
    sources[tool] = source;
  nlohmann::json result{
    {"name", x.name()},
    {"description", x.description()},
    {"node", owner.node},
    {"state", unreachable ? "unavailable" : x.state()},
    {"model", x.model()},
    {"tools", std::vector<std::string>{x.tools().begin(), x.tools().end()}},
    {"tool_sources", std::move(sources)},
    {"mailbox_depth", x.mailbox_depth()},
    {"restarts", x.restarts()}};
  if (unreachable)
    result["node_state"]
      = owner.state == v1::MEMBER_STATE_DOWN ? "down" : "suspect";
  return result;
}

caf::error bad(std::string what) {
  return make_error(errc::invalid_argument, std::move(what));
}

// {"input": "...", "session_id": "optional"}.
caf::expected<v1::ChatRequest> parse_chat(const nlohmann::json& body,
                                          const std::string& agent) {
  v1::ChatRequest req;
  req.set_agent(agent);
  for (const auto& [key, value] : body.items()) {
    if (key == "input" && value.is_string())
      req.set_input(value.get<std::string>());
    else if (key == "session_id" && value.is_string())
      req.set_session_id(value.get<std::string>());
    else if (key == "session_id" && value.is_null())
      continue;
    else if (key == "input" || key == "session_id")
      return bad("field '" + key + "' must be a string");
    else
      return bad("unknown field '" + key + "'");
  }
  if (req.input().empty())
    return bad("field 'input' is missing or empty");
  if (req.session_id().size() > 128)
    return bad("'session_id' is longer than 128 characters");
  return req;
}

// The turn's steps as they happen (chat_format.hpp). A stream cannot be
// answered again, so it takes no Idempotency-Key.
void stream_chat(http_bridge_pointer self, ex_ptr ex, v1::ChatRequest req) {
  const auto& env = *self->state.env;
  if (ex->req().count("Idempotency-Key") > 0)
    return http::respond_error(
      *ex, bhttp::status::bad_request, "invalid_argument",
      "Idempotency-Key is not taken by a streamed chat (Accept: "
      "text/event-stream): a stream cannot be answered twice; send the chat "
      "without streaming to make it idempotent");
  auto route = route_call(env.call_env(), agent_path(req.agent()));
  if (!route)
    return http::respond_error(*ex, route.error());
  chat_stream_options opts{agent_step_events(), env.opts.max_ask_timeout,
                           env.call_env()};
  self->system().spawn(chat_stream, ex, std::move(*route), std::move(req),
                       std::move(opts));
}

} // namespace

void request_agents(http_bridge_pointer self, const std::string& name,
                    std::function<void(v1::AgentListResponse&)> on_list,
                    std::function<void(caf::error&)> on_error) {
  const auto& env = *self->state.env;
  auto manager = env.names->get(agent_manager_path);
  if (!manager) {
    auto err = make_error(errc::unavailable, "the agent manager is restarting");
    return on_error(err);
  }
  v1::AgentListRequest req;
  req.set_name(name);
  self
    ->request(caf::actor_cast<agent_manager_actor>(*manager),
              self->state.env->opts.internal_timeout, std::move(req))
    .then(std::move(on_list), std::move(on_error));
}

void list_agents(http_bridge_pointer self, ex_ptr ex) {
  request_agents(
    self, {},
    [self, ex](v1::AgentListResponse& resp) {
      auto list = nlohmann::json::array();
      for (const auto& x : resp.agents())
        list.push_back(agent_json(*self->state.env, x));
      ex->respond(http::make_json_response(
        bhttp::status::ok, nlohmann::json{{"agents", list}}.dump()));
    },
    [ex](caf::error& err) { http::respond_error(*ex, err); });
}

void get_agent(http_bridge_pointer self, ex_ptr ex) {
  request_agents(
    self, ex->param("name"),
    [self, ex](v1::AgentListResponse& resp) {
      if (resp.agents().empty())
        return http::respond_error(*ex, bhttp::status::not_found, "not_found",
                                   "no agent '" + ex->param("name") + "'");
      ex->respond(http::make_json_response(
        bhttp::status::ok,
        agent_json(*self->state.env, resp.agents(0)).dump()));
    },
    [ex](caf::error& err) { http::respond_error(*ex, err); });
}

void chat(http_bridge_pointer self, ex_ptr ex) {
  const auto& env = *self->state.env;
  // The front refused another Content-Type already (route_doc: json).
  const auto& name = ex->param("name");
  auto body = json_object_body(ex->req(), env.opts);
  if (!body)
    return http::respond_error(*ex, body.error());
  auto req = parse_chat(*body, name);
  if (!req)
    return http::respond_error(*ex, req.error());
  stamp_caller(*ex, *req);
  if (!env.names->get(agent_path(name)))
    return http::respond_error(*ex, bhttp::status::not_found, "not_found",
                               "no agent '" + name + "'");
  // The agent's own turn timeout ends a turn first; this only guards
  // against an agent that never answers. The agent may live on another
  // node: the call goes there, and its key is checked there.
  auto timeout = env.opts.max_ask_timeout;
  auto accept = ex->req()[bhttp::field::accept];
  if (chat_format::wants_event_stream({accept.data(), accept.size()}))
    return stream_chat(self, ex, std::move(*req));
  with_idempotency(
    self, ex, idempotency_home{agent_path(name), {}, timeout},
    [self, ex, timeout, req = std::move(*req)](responder respond) {
      ask_agent_anywhere(
        self, self->state.env->call_env(), std::move(req), timeout,
        [respond](const v1::ChatReply& reply) {
          respond(http::make_json_response(bhttp::status::ok,
                                           chat_format::answer(reply).dump()));
        },
        [ex, respond](caf::error err) {
          respond(http::make_error_response(err, ex->request_id()));
        },
        &self->state.deadlines);
    });
}

} // namespace bsm::http_handlers
