// POST /mcp and DELETE /mcp (API.md, "MCP server"): the MCP server's
// Streamable HTTP transport. The protocol's decisions are in gateway/; this
// file reads the request, asks the agents and writes the answer. A
// tools/call of a client that accepts text/event-stream is answered as an
// event stream (mcp_format.hpp), with progress if it has a progress token;
// everything else is one JSON answer. No GET stream: the server sends nothing
// that is not an answer, so GET is 405 (the transport allows that).

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <nlohmann/json.hpp>

#include "actors/memory_partition.hpp"
#include "gateway/host_guard.hpp"
#include "gateway/mcp_protocol.hpp"
#include "gateway/mcp_server.hpp"
#include "http_api/access_gate.hpp"
#include "http_api/caller_stamp.hpp"
#include "http_api/chat_stream.hpp"
#include "http_api/handlers.hpp"
#include "http_api/json_body.hpp"
#include "http_api/mcp_format.hpp"
#include "http_api/session_page.hpp"
#include "runtime/ascii.hpp"
#include "runtime/error.hpp"
#include "runtime/http/error_response.hpp"
#include "runtime/mailbox/message_id.hpp"

namespace bsm::http_handlers {

namespace bhttp = boost::beast::http;
namespace gw = gateway;
using json = nlohmann::json;

namespace {

constexpr const char* session_header = "Mcp-Session-Id";
constexpr const char* version_header = "MCP-Protocol-Version";

void respond_rpc(const ex_ptr& ex, bhttp::status status, const json& body,
                 const std::string& session = {}) {
  auto res = http::make_json_response(status, body.dump());
  if (!session.empty())
    res.set(session_header, session);
  ex->respond(std::move(res));
}

void respond_rpc_error(const ex_ptr& ex, bhttp::status status, const json& id,
                       int code, const std::string& message) {
  respond_rpc(ex, status, gw::rpc_error(id, {code, message}));
}

std::string header(const ex_ptr& ex, boost::beast::string_view name) {
  auto i = ex->req().find(name);
  return i == ex->req().end() ? std::string{} : std::string{i->value()};
}

std::string principal_key(const ex_ptr& ex) {
  const auto& who = ex->principal();
  return who ? security::limit_key(*who) : std::string{};
}

// The checks every /mcp request passes first; false if answered.
bool admitted(const http_bridge_env& env, const ex_ptr& ex) {
  if (!env.mcp) {
    http::respond_error(*ex, bhttp::status::not_found, "not_found",
                        "this node serves no MCP (mcp.enabled is false)");
    return false;
  }
  auto refused
    = gw::refused_host(header(ex, "Host"), header(ex, "Origin"),
                       env.mcp->allowed_hosts(), env.opts.cors_allowed_origins);
  if (!refused.empty()) {
    http::respond_error(*ex, bhttp::status::forbidden, "permission_denied",
                        refused);
    return false;
  }
  return true;
}

// Accept must name JSON or the event stream (the transport's clients send
// both); false if answered.
bool acceptable(const ex_ptr& ex, bool* streams) {
  auto accept = ascii_lower(header(ex, "Accept"));
  *streams = accept.find("text/event-stream") != std::string::npos;
  if (accept.empty() || *streams
      || accept.find("application/json") != std::string::npos
      || accept.find("*/*") != std::string::npos)
    return true;
  respond_rpc_error(ex, bhttp::status::not_acceptable, nullptr,
                    gw::rpc_code::invalid_request,
                    "Accept must include application/json or "
                    "text/event-stream");
  return false;
}

void list_tools(http_bridge_pointer self, const ex_ptr& ex, json id) {
  request_agents(
    self, {},
    [self, ex, id](v1::AgentListResponse& resp) {
      // Only the agents this caller may ask: the route's permission for each.
      const auto& route
        = self->state.routes->routes().at(ex->route_index()).handler;
      std::vector<gw::agent_tool> tools;
      for (const auto& x : resp.agents())
        if (!http_access::authorize_late(route, *ex, {{"agent", x.name()}}))
          tools.push_back({x.name(), x.description()});
      respond_rpc(ex, bhttp::status::ok,
                  gw::rpc_result(id, gw::tools_list_result(tools)));
    },
    [ex, id](caf::error& err) {
      respond_rpc_error(ex, bhttp::status::ok, id, gw::rpc_code::internal_error,
                        http::message_of(err));
    });
}

// A tools/call's answer: an event stream when the client accepts one
// (mcp_format.hpp), JSON otherwise.
void respond_call(const ex_ptr& ex, bool streams, const json& body) {
  if (!streams)
    return respond_rpc(ex, bhttp::status::ok, body);
  http::response res{bhttp::status::ok, 11};
  res.set(bhttp::field::content_type, "text/event-stream");
  res.set(bhttp::field::cache_control, "no-cache");
  res.body() = mcp_answer_events(new_message_id(), body);
  ex->respond(std::move(res));
}

void call_tool(http_bridge_pointer self, const ex_ptr& ex,
               const std::string& session, json id, const json& params,
               bool streams) {
  const auto& env = *self->state.env;
  auto refuse = [&](int code, const std::string& message) {
    respond_call(ex, streams, gw::rpc_error(id, {code, message}));
  };
  auto name = params.find("name");
  if (name == params.end() || !name->is_string())
    return refuse(gw::rpc_code::invalid_params,
                  "'name' must be the tool's name");
  auto agent = gw::agent_of(name->get<std::string>());
  if (!agent || !env.names->get(agent_path(*agent)))
    return refuse(gw::rpc_code::invalid_params,
                  "Unknown tool: " + name->get<std::string>());
  if (!authorize_late(self, ex, {{"agent", *agent}}))
    return;
  auto arguments = params.value("arguments", json::object());
  auto args = gw::read_ask_arguments(arguments, env.opts.max_body_bytes);
  if (auto* failure = std::get_if<gw::rpc_failure>(&args))
    return respond_call(ex, streams, gw::rpc_error(id, *failure));
  auto& ask = std::get<gw::ask_arguments>(args);
  // Named here, so the MCP session lists it (resources/list) however the
  // call ends.
  if (ask.session_id.empty())
    ask.session_id = "s-" + new_message_id();
  env.mcp->sessions().note_agent_session(session, principal_key(ex), *agent,
                                         ask.session_id);
  v1::ChatRequest req;
  req.set_agent(*agent);
  req.set_input(std::move(ask.message));
  req.set_session_id(std::move(ask.session_id));
  // Named here, so that notifications/cancelled can name it to the agent.
  req.set_turn_id("mcp-" + new_message_id());
  env.mcp->sessions().note_call(session, principal_key(ex),
                                {id.dump(), *agent, req.turn_id()});
  stamp_caller(*ex, req);
  auto failed = [ex, id, streams](const caf::error& err) {
    respond_call(ex, streams,
                 gw::rpc_result(id, gw::failed_result(http::message_of(err))));
  };
  auto route = route_call(env.call_env(), agent_path(*agent));
  if (!route)
    return failed(route.error());
  if (streams) {
    auto meta = params.value("_meta", json::object());
    auto token
      = meta.is_object() ? meta.value("progressToken", json{}) : json{};
    chat_stream_options opts{
      mcp_call_events(id, std::move(token), new_message_id()),
      env.opts.max_ask_timeout, env.call_env()};
    self->system().spawn(chat_stream, ex, std::move(*route), std::move(req),
                         std::move(opts));
    return;
  }
  ask_agent_anywhere(
    self, env.call_env(), std::move(req), env.opts.max_ask_timeout,
    [ex, id](const v1::ChatReply& reply) {
      respond_rpc(ex, bhttp::status::ok,
                  gw::rpc_result(
                    id, gw::answer_result(reply.output(), reply.session_id())));
    },
    failed);
}

// resources/read of an agent session: its turns as the session route
// gives them (newest page of up to 1000), with agents:<agent>:read.
void read_resource(http_bridge_pointer self, const ex_ptr& ex, json id,
                   const json& params) {
  const auto& env = *self->state.env;
  auto uri = params.find("uri");
  auto named = uri != params.end() && uri->is_string()
                 ? gw::parse_session_uri(uri->get<std::string>())
                 : std::nullopt;
  if (!named || !env.names->get(agent_path(named->first)))
    return respond_rpc_error(ex, bhttp::status::ok, id, gw::resource_not_found,
                             "Resource not found: not an agent session URI "
                             "(bsm://agents/{agent}/sessions/{session_id})");
  const auto& who = ex->principal();
  auto need = "agents:" + named->first + ":read";
  if (!who || !who->permissions.allows(need))
    return http::respond_error(*ex, bhttp::status::forbidden,
                               "permission_denied",
                               "missing permission " + need);
  v1::SessionPageRequest req;
  req.set_agent(named->first);
  req.set_session_id(named->second);
  req.set_limit(max_page_limit);
  ask_anywhere(
    self, env.call_env(), memory_path, caf::make_message(std::move(req)),
    env.opts.ask_timeout,
    [ex, id, uri = uri->get<std::string>(),
     session = named->second](caf::message reply) {
      if (!reply.match_elements<v1::SessionPageResponse>())
        return respond_rpc_error(ex, bhttp::status::ok, id,
                                 gw::rpc_code::internal_error,
                                 "memory answered with another type");
      const auto& page = reply.get_as<v1::SessionPageResponse>(0);
      if (!page.found())
        return respond_rpc_error(ex, bhttp::status::ok, id,
                                 gw::resource_not_found,
                                 "Resource not found: no session " + session);
      respond_rpc(
        ex, bhttp::status::ok,
        gw::rpc_result(id, gw::resource_read_result(
                             uri, session_json(session, page).dump())));
    },
    [ex, id](caf::error err) {
      respond_rpc_error(ex, bhttp::status::ok, id, gw::rpc_code::internal_error,
                        http::message_of(err));
    },
    &self->state.deadlines);
}

// notifications/cancelled: cancels the agent turn of the session's call
// with that request id, wherever the agent lives. Nothing is answered: an
// unknown or ended call is ignored, as the protocol says.
void cancel_call(http_bridge_pointer self, const ex_ptr& ex,
                 const std::string& session, const json& params) {
  const auto& env = *self->state.env;
  auto id = params.find("requestId");
  if (id == params.end() || !(id->is_string() || id->is_number_integer()))
    return;
  auto call
    = env.mcp->sessions().find_call(session, principal_key(ex), id->dump());
  if (!call)
    return;
  v1::TurnCancelRequest req;
  req.set_agent(call->agent);
  req.set_turn_id(call->turn_id);
  stamp_caller(*ex, req);
  auto err = tell_anywhere(env.call_env(), agent_path(call->agent),
                           caf::make_message(std::move(req)));
  if (err && env.log)
    env.log->info("mcp: cancelling turn {} of {}: {}", call->turn_id,
                  call->agent, render(err));
}

// A request of the initialized session `session` (as it is: `current`).
void answer(http_bridge_pointer self, const ex_ptr& ex,
            const std::string& session, const gw::mcp_session& current,
            const gw::rpc_message& msg, bool streams) {
  const auto& env = *self->state.env;
  if (msg.method == "ping")
    return respond_rpc(ex, bhttp::status::ok,
                       gw::rpc_result(msg.id, json::object()));
  if (msg.method == "logging/setLevel") {
    auto x = msg.params.find("level");
    auto level = x != msg.params.end() && x->is_string() ? x->get<std::string>()
                                                         : std::string{};
    if (!gw::log_level_known(level))
      return respond_rpc_error(ex, bhttp::status::ok, msg.id,
                               gw::rpc_code::invalid_params,
                               "unknown log level '" + level + "'");
    env.mcp->sessions().set_log_level(session, principal_key(ex), level);
    return respond_rpc(ex, bhttp::status::ok,
                       gw::rpc_result(msg.id, json::object()));
  }
  if (msg.method == "tools/list")
    return list_tools(self, ex, msg.id);
  if (msg.method == "tools/call")
    return call_tool(self, ex, session, msg.id, msg.params, streams);
  if (msg.method == "resources/list") {
    std::vector<std::pair<std::string, std::string>> sessions{
      current.agent_sessions.begin(), current.agent_sessions.end()};
    return respond_rpc(
      ex, bhttp::status::ok,
      gw::rpc_result(msg.id, gw::resources_list_result(sessions)));
  }
  if (msg.method == "resources/templates/list")
    return respond_rpc(ex, bhttp::status::ok,
                       gw::rpc_result(msg.id, gw::resource_templates_result()));
  if (msg.method == "resources/read")
    return read_resource(self, ex, msg.id, msg.params);
  respond_rpc_error(ex, bhttp::status::ok, msg.id,
                    gw::rpc_code::method_not_found,
                    "Method not found: " + msg.method);
}

} // namespace

void mcp_post(http_bridge_pointer self, ex_ptr ex) {
  const auto& env = *self->state.env;
  bool streams = false;
  if (!admitted(env, ex) || !acceptable(ex, &streams))
    return;
  auto body = json_body(ex->req(), env.opts);
  if (!body)
    return respond_rpc_error(ex, bhttp::status::bad_request, nullptr,
                             gw::rpc_code::parse_error,
                             http::message_of(body.error()));
  auto read = gw::read_message(*body);
  if (auto* msg = std::get_if<gw::rpc_message>(&read))
    env.mcp->count(msg->method);
  if (auto* failure = std::get_if<gw::rpc_failure>(&read))
    return respond_rpc(
      ex, bhttp::status::bad_request,
      gw::rpc_error(body->is_object() ? body->value("id", json{}) : json{},
                    *failure));
  auto& msg = std::get<gw::rpc_message>(read);
  auto version = header(ex, version_header);
  if (!version.empty() && !gw::served_version(version))
    return respond_rpc_error(ex, bhttp::status::bad_request, msg.id,
                             gw::rpc_code::invalid_request,
                             "MCP-Protocol-Version '" + version
                               + "' is not served (2025-11-25, 2025-06-18, "
                                 "2025-03-26)");
  auto now = std::chrono::steady_clock::now();
  if (msg.type == gw::rpc_message::kind::request
      && msg.method == "initialize") {
    std::string settled;
    auto result = gw::initialize_result(msg.params, env.node_name, &settled);
    auto id = env.mcp->sessions().open(principal_key(ex), settled, now);
    if (!id)
      return http::respond_error(*ex, id.error());
    return respond_rpc(ex, bhttp::status::ok, gw::rpc_result(msg.id, result),
                       *id);
  }
  auto session = header(ex, session_header);
  if (session.empty())
    return respond_rpc_error(ex, bhttp::status::bad_request, msg.id,
                             gw::rpc_code::invalid_request,
                             "the Mcp-Session-Id header is missing: send "
                             "initialize first");
  auto current = env.mcp->sessions().use(session, principal_key(ex), now);
  if (!current)
    return respond_rpc_error(ex, bhttp::status::not_found, msg.id,
                             gw::rpc_code::invalid_request,
                             "no such MCP session (ended or idle too long): "
                             "initialize again");
  if (msg.type == gw::rpc_message::kind::notification
      && msg.method == "notifications/cancelled")
    cancel_call(self, ex, session, msg.params);
  // Notifications and answers to us take no answer back.
  if (msg.type != gw::rpc_message::kind::request) {
    ex->respond(http::response{bhttp::status::accepted, 11});
    return;
  }
  answer(self, ex, session, *current, msg, streams);
}

void mcp_delete(http_bridge_pointer self, ex_ptr ex) {
  const auto& env = *self->state.env;
  if (!admitted(env, ex))
    return;
  auto session = header(ex, session_header);
  if (session.empty())
    return http::respond_error(*ex, bhttp::status::bad_request,
                               "invalid_argument",
                               "the Mcp-Session-Id header is missing");
  if (!env.mcp->sessions().close(session, principal_key(ex)))
    return http::respond_error(*ex, bhttp::status::not_found, "not_found",
                               "no such MCP session");
  ex->respond(http::response{bhttp::status::no_content, 11});
}

} // namespace bsm::http_handlers
