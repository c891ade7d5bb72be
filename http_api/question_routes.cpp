// GET /v1/agents/{name}/questions and POST
// /v1/agents/{name}/questions/{id}: the questions a tool's server asked
// the caller of a running turn (MCP elicitation, policy ask), and their
// answers. The agent holds them, on whichever node runs it
// (agents/questions/question_book.hpp); the request acts for the
// authenticated caller, who sees and answers only their own turns'
// questions unless granted agents:<name>:cancel.

#include <caf/event_based_actor.hpp>

#include "actors/remote_call.hpp"
#include "http_api/caller_stamp.hpp"
#include "http_api/chat_format.hpp"
#include "http_api/handlers.hpp"
#include "http_api/json_body.hpp"
#include "http_api/typed_ask.hpp"
#include "runtime/error.hpp"
#include "runtime/http/error_response.hpp"

namespace bsm::http_handlers {

namespace bhttp = boost::beast::http;
using json = nlohmann::json;

namespace {

bool known_agent(const http_bridge_env& env, http::exchange& ex) {
  if (env.names->get(agent_path(ex.param("name"))))
    return true;
  http::respond_error(ex, bhttp::status::not_found, "not_found",
                      "no agent '" + ex.param("name") + "'");
  return false;
}

} // namespace

void list_questions(http_bridge_pointer self, ex_ptr ex) {
  if (!known_agent(*self->state.env, *ex))
    return;
  v1::QuestionListRequest req;
  req.set_agent(ex->param("name"));
  req.set_session_id(ex->query_param("session_id").value_or(""));
  stamp_caller(*ex, req);
  ask_for_reply<v1::QuestionListResponse>(
    self, ex, agent_path(ex->param("name")), "the agent", std::move(req),
    [ex](const v1::QuestionListResponse& list) {
      auto questions = json::array();
      for (const auto& q : list.questions())
        questions.push_back(chat_format::question(q));
      ex->respond(http::make_json_response(
        bhttp::status::ok, json{{"questions", std::move(questions)}}.dump()));
    });
}

void answer_question(http_bridge_pointer self, ex_ptr ex) {
  const auto& env = *self->state.env;
  if (!known_agent(env, *ex))
    return;
  auto body = json_object_body(ex->req(), env.opts);
  if (!body)
    return http::respond_error(*ex, body.error());
  auto action = body->value("action", json{});
  if (!action.is_string())
    return http::respond_error(
      *ex, make_error(errc::invalid_argument,
                      "'action' must be \"accept\", \"decline\" or "
                      "\"cancel\""));
  auto content = body->value("content", json::object());
  if (!content.is_object())
    return http::respond_error(
      *ex, make_error(errc::invalid_argument, "'content' must be an object"));
  v1::QuestionAnswerRequest req;
  req.set_agent(ex->param("name"));
  req.set_question_id(ex->param("id"));
  req.set_action(action.get<std::string>());
  req.set_content_json(content.dump());
  stamp_caller(*ex, req);
  ask_for_reply<v1::Question>(
    self, ex, agent_path(ex->param("name")), "the agent", std::move(req),
    [ex](const v1::Question& q) {
      ex->respond(http::make_json_response(bhttp::status::ok,
                                           chat_format::question(q).dump()));
    });
}

} // namespace bsm::http_handlers
