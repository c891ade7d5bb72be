// GET /v1/models and POST /v1/chat/completions (API.md, "OpenAI-compatible";
// the wire details in ECOSYSTEM.md): model = agent name, errors in
// OpenAI's shape.

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <nlohmann/json.hpp>

#include "http_api/caller_stamp.hpp"
#include "http_api/chat_stream.hpp"
#include "http_api/handlers.hpp"
#include "http_api/json_body.hpp"
#include "http_api/openai_format.hpp"
#include "http_api/openai_request.hpp"
#include "runtime/clock.hpp"
#include "runtime/error.hpp"
#include "runtime/http/error_response.hpp"

namespace bsm::http_handlers {

namespace bhttp = boost::beast::http;
namespace oaf = openai_format;

namespace {

// A failed turn may have run tools already: the official clients retry
// 5xx, 408, 409 and 429 unless told not to.
bool retry_could_repeat_effects(bhttp::status status) {
  auto x = static_cast<unsigned>(status);
  return x == 500 || x == 504;
}

} // namespace

void respond_openai_error(const http::exchange_ptr& ex, const caf::error& err) {
  auto status = http::status_of(err).status;
  auto res = http::make_json_response(status, oaf::error_body(err).dump());
  if (status == bhttp::status::service_unavailable
      || status == bhttp::status::too_many_requests)
    res.set(bhttp::field::retry_after, "1");
  http::set_retry_after(res, err);
  if (retry_could_repeat_effects(status))
    res.set("x-should-retry", "false");
  ex->respond(std::move(res));
}

namespace {

nlohmann::json model_json(const v1::AgentInfo& x) {
  return {{"id", x.name()},
          {"object", "model"},
          {"created", unix_now_s()},
          {"owned_by", "bsm"}};
}

} // namespace

void list_models(http_bridge_pointer self, ex_ptr ex) {
  request_agents(
    self, {},
    [ex](v1::AgentListResponse& resp) {
      auto data = nlohmann::json::array();
      for (const auto& x : resp.agents())
        data.push_back(model_json(x));
      ex->respond(http::make_json_response(
        bhttp::status::ok,
        nlohmann::json{{"object", "list"}, {"data", std::move(data)}}.dump()));
    },
    [ex](caf::error& err) { respond_openai_error(ex, err); });
}

void get_model(http_bridge_pointer self, ex_ptr ex) {
  request_agents(
    self, ex->param("name"),
    [ex](v1::AgentListResponse& resp) {
      if (resp.agents().empty())
        return respond_openai_error(
          ex, make_error(errc::not_found, "The model '" + ex->param("name")
                                            + "' does not exist: it names "
                                              "no agent of this node"));
      ex->respond(http::make_json_response(bhttp::status::ok,
                                           model_json(resp.agents(0)).dump()));
    },
    [ex](caf::error& err) { respond_openai_error(ex, err); });
}

void chat_completions(http_bridge_pointer self, ex_ptr ex) {
  const auto& env = *self->state.env;
  auto body = json_object_body(ex->req(), env.opts);
  if (!body)
    return respond_openai_error(ex, body.error());
  std::string param;
  auto in = oaf::parse_request(*body, &param);
  if (!in)
    return ex->respond(http::make_json_response(
      bhttp::status::bad_request, oaf::error_body(in.error(), param).dump()));
  stamp_caller(*ex, in->chat);
  const auto& model = in->chat.agent();
  if (!authorize_late(self, ex, {{"model", model}}))
    return;
  if (!env.names->get(agent_path(model)))
    return respond_openai_error(
      ex, make_error(errc::not_found, "The model '" + model
                                        + "' does not exist: it names no "
                                          "agent of this node"));
  // The agent may live on another node; a down owner fails at once.
  auto route = route_call(env.call_env(), agent_path(model));
  if (!route)
    return respond_openai_error(ex, route.error());
  auto created = unix_now_s();
  if (in->stream) {
    chat_stream_options opts{openai_chunks(model, created, in->include_usage),
                             env.opts.max_ask_timeout, env.call_env()};
    self->system().spawn(chat_stream, ex, std::move(*route),
                         std::move(in->chat), std::move(opts));
    return;
  }
  ask_agent_anywhere(
    self, env.call_env(), std::move(in->chat), env.opts.max_ask_timeout,
    [ex, model, created](const v1::ChatReply& reply) {
      ex->respond(http::make_json_response(
        bhttp::status::ok, oaf::completion(reply, model, created).dump()));
    },
    [ex](caf::error err) { respond_openai_error(ex, err); },
    &self->state.deadlines);
}

} // namespace bsm::http_handlers
