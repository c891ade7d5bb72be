// The A2A server (API.md, "A2A"): GET
// /a2a/agents/{name}/.well-known/agent-card.json, the agent's card, and
// POST /a2a/agents/{name}, one JSON-RPC request of the A2A 1.0 binding
// (or its 0.3 names). The protocol's decisions are in gateway/; this file
// reads the request, runs the agent's turn in the session the contextId
// names and writes the answer. A streamed task goes through chat_stream
// with the A2A events (a2a_format.hpp).

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <nlohmann/json.hpp>

#include "gateway/a2a_protocol.hpp"
#include "gateway/a2a_tasks.hpp"
#include "http_api/a2a_format.hpp"
#include "http_api/caller_stamp.hpp"
#include "http_api/chat_stream.hpp"
#include "http_api/handlers.hpp"
#include "http_api/json_body.hpp"
#include "runtime/error.hpp"
#include "runtime/http/error_response.hpp"
#include "runtime/mailbox/message_id.hpp"

namespace bsm::http_handlers {

namespace bhttp = boost::beast::http;
namespace gw = gateway;
using json = nlohmann::json;

namespace {

void respond_rpc(const ex_ptr& ex, const json& body) {
  ex->respond(http::make_json_response(
    bhttp::status::ok,
    body.dump(-1, ' ', false, json::error_handler_t::replace)));
}

void respond_failure(const ex_ptr& ex, const json& id,
                     const gw::rpc_failure& failure) {
  respond_rpc(ex, gw::rpc_error(id, failure));
}

std::string header(const ex_ptr& ex, boost::beast::string_view name) {
  auto i = ex->req().find(name);
  return i == ex->req().end() ? std::string{} : std::string{i->value()};
}

std::string owner_of(const ex_ptr& ex) {
  const auto& who = ex->principal();
  return who ? security::limit_key(*who) : std::string{};
}

// The checks every A2A request passes first; false if answered.
bool admitted(const http_bridge_env& env, const ex_ptr& ex,
              const std::string& agent) {
  if (!env.a2a) {
    http::respond_error(*ex, bhttp::status::not_found, "not_found",
                        "this node serves no A2A (a2a.enabled is false)");
    return false;
  }
  if (!env.names->get(agent_path(agent))) {
    http::respond_error(*ex, bhttp::status::not_found, "not_found",
                        "no agent '" + agent + "'");
    return false;
  }
  return true;
}

// The base URL clients reach this node by.
std::string base_url(const http_bridge_env& env, const ex_ptr& ex) {
  if (!env.a2a_public_url.empty())
    return env.a2a_public_url;
  auto scheme = env.opts.tls_certificate.empty() ? "http://" : "https://";
  auto host = header(ex, "Host");
  return scheme + (host.empty() ? std::string{"localhost"} : host);
}

// The agent turn of the task `id`.
std::string turn_of(const std::string& id) {
  return "a2a-" + id;
}

// Opens the task of a sent message and makes its turn's request.
struct opened_task {
  gw::task_view task;
  v1::ChatRequest req;
};

opened_task open_task(const http_bridge_env& env, const ex_ptr& ex,
                      const std::string& agent, gw::send_request sent) {
  opened_task out;
  out.task.id = "t-" + new_message_id();
  out.task.context_id = sent.context_id.empty() ? "s-" + new_message_id()
                                                : std::move(sent.context_id);
  env.a2a->open(out.task.id, owner_of(ex), agent, out.task.context_id);
  out.req.set_agent(agent);
  out.req.set_input(std::move(sent.text));
  out.req.set_session_id(out.task.context_id);
  // Named by its task, so that CancelTask can cancel the turn.
  out.req.set_turn_id(turn_of(out.task.id));
  stamp_caller(*ex, out.req);
  return out;
}

void send(http_bridge_pointer self, const ex_ptr& ex, const json& id,
          gw::a2a_call call, const std::string& agent, gw::send_request sent) {
  const auto& env = *self->state.env;
  auto opened = open_task(env, ex, agent, std::move(sent));
  auto tasks = env.a2a;
  auto answer = [ex, id, call](const std::optional<gw::task_view>& now,
                               gw::task_view fallback) {
    respond_rpc(ex, gw::rpc_result(id, gw::send_result(now ? *now : fallback,
                                                       call.dialect)));
  };
  auto failed = [answer, tasks, task = opened.task](const caf::error& err) {
    auto why = http::message_of(err);
    auto fallback = task;
    fallback.state = gw::task_state::failed;
    fallback.error = why;
    answer(tasks->fail(task.id, why), fallback);
  };
  if (call.method == gw::a2a_method::stream) {
    auto route = route_call(env.call_env(), agent_path(agent));
    if (!route) {
      tasks->fail(opened.task.id, http::message_of(route.error()));
      return respond_failure(
        ex, id,
        {gw::rpc_code::internal_error, http::message_of(route.error())});
    }
    chat_stream_options opts{
      a2a_task_events(id, opened.task, call.dialect, tasks),
      env.opts.max_ask_timeout, env.call_env()};
    self->system().spawn(chat_stream, ex, std::move(*route),
                         std::move(opened.req), std::move(opts));
    return;
  }
  ask_agent_anywhere(
    self, env.call_env(), std::move(opened.req), env.opts.max_ask_timeout,
    [answer, tasks, task = opened.task](const v1::ChatReply& reply) {
      auto fallback = task;
      fallback.state = gw::task_state::completed;
      fallback.answer = reply.output();
      answer(tasks->complete(task.id, reply.output()), fallback);
    },
    failed, &self->state.deadlines);
}

void dispatch(http_bridge_pointer self, const ex_ptr& ex,
              const gw::rpc_message& msg, gw::a2a_call call,
              const std::string& agent) {
  const auto& env = *self->state.env;
  if (call.method == gw::a2a_method::send
      || call.method == gw::a2a_method::stream) {
    auto sent = gw::read_send_params(msg.params, env.opts.max_body_bytes);
    if (auto* failure = std::get_if<gw::rpc_failure>(&sent))
      return respond_failure(ex, msg.id, *failure);
    return send(self, ex, msg.id, call, agent,
                std::move(std::get<gw::send_request>(sent)));
  }
  auto task_id = gw::read_task_id(msg.params);
  if (auto* failure = std::get_if<gw::rpc_failure>(&task_id))
    return respond_failure(ex, msg.id, *failure);
  const auto& id = std::get<std::string>(task_id);
  if (call.method == gw::a2a_method::get_task) {
    auto task = env.a2a->find(id, owner_of(ex), agent);
    if (!task)
      return respond_failure(ex, msg.id,
                             {gw::a2a_code::task_not_found, "Task not found"});
    return respond_rpc(
      ex, gw::rpc_result(msg.id, gw::task_json(*task, call.dialect)));
  }
  auto canceled = env.a2a->cancel(id, owner_of(ex), agent);
  if (auto* failure = std::get_if<gw::rpc_failure>(&canceled))
    return respond_failure(ex, msg.id, *failure);
  // The task is canceled; its turn ends too, wherever the agent lives.
  v1::TurnCancelRequest stop;
  stop.set_agent(agent);
  stop.set_turn_id(turn_of(id));
  stamp_caller(*ex, stop);
  auto err = tell_anywhere(env.call_env(), agent_path(agent),
                           caf::make_message(std::move(stop)));
  if (err && env.log)
    env.log->info("a2a: cancelling the turn of task {}: {}", id, render(err));
  respond_rpc(
    ex, gw::rpc_result(msg.id, gw::task_json(std::get<gw::task_view>(canceled),
                                             call.dialect)));
}

} // namespace

void a2a_card(http_bridge_pointer self, ex_ptr ex) {
  const auto& env = *self->state.env;
  auto agent = ex->param("name");
  if (!admitted(env, ex, agent))
    return;
  request_agents(
    self, agent,
    [self, ex, agent](v1::AgentListResponse& resp) {
      const auto& bridge = *self->state.env;
      if (resp.agents().empty())
        return http::respond_error(*ex, bhttp::status::not_found, "not_found",
                                   "no agent '" + agent + "'");
      const auto& info = resp.agents(0);
      gw::card_facts facts{agent,
                           info.description(),
                           base_url(bridge, ex) + "/a2a/agents/" + agent,
                           BSM_VERSION,
                           {info.tools().begin(), info.tools().end()}};
      ex->respond(http::make_json_response(
        bhttp::status::ok, gw::agent_card(facts).dump(
                             -1, ' ', false, json::error_handler_t::replace)));
    },
    [ex](caf::error& err) { http::respond_error(*ex, err); });
}

void a2a_post(http_bridge_pointer self, ex_ptr ex) {
  const auto& env = *self->state.env;
  auto agent = ex->param("name");
  if (!admitted(env, ex, agent))
    return;
  auto body = json_body(ex->req(), env.opts);
  if (!body)
    return respond_failure(
      ex, nullptr, {gw::rpc_code::parse_error, http::message_of(body.error())});
  auto read = gw::read_message(*body);
  if (auto* failure = std::get_if<gw::rpc_failure>(&read))
    return respond_failure(
      ex, body->is_object() ? body->value("id", json{}) : json{}, *failure);
  auto& msg = std::get<gw::rpc_message>(read);
  if (msg.type != gw::rpc_message::kind::request)
    return respond_failure(ex, msg.id,
                           {gw::rpc_code::invalid_request,
                            "A2A takes requests only (with an 'id')"});
  auto version = header(ex, "A2A-Version");
  if (!gw::a2a_version_served(version))
    return respond_failure(
      ex, msg.id,
      {gw::a2a_code::version_not_supported,
       "A2A-Version '" + version + "' is not served (1.0, 0.3)"});
  auto call = gw::a2a_method_of(msg.method);
  if (!call)
    return respond_failure(
      ex, msg.id,
      {gw::rpc_code::method_not_found, "Method not found: " + msg.method});
  dispatch(self, ex, msg, *call, agent);
}

} // namespace bsm::http_handlers
