// The workflow routes (API.md, "Workflows"): requests to this node's
// `workflows` actor (workflows/workflows_actor.hpp), each carrying the
// caller's principal. Starting a run also needs what each of its steps
// would need asked directly (the actor checks it against the principal).

#include "http_api/workflow_routes.hpp"

#include <caf/event_based_actor.hpp>

#include "http_api/caller_stamp.hpp"
#include "http_api/json_body.hpp"
#include "http_api/session_page.hpp"
#include "http_api/workflow_format.hpp"
#include "runtime/error.hpp"
#include "runtime/http/error_response.hpp"
#include "workflows/workflows_actor.hpp"

namespace bsm::http_handlers {

namespace bhttp = boost::beast::http;
using nlohmann::json;

namespace {

// Asks the workflows actor; `on_reply` answers the exchange.
template <class Request, class OnReply>
void ask_workflows(http_bridge_pointer self, ex_ptr ex, Request req,
                   OnReply on_reply) {
  const auto& env = *self->state.env;
  auto target = env.names->get(workflows_path);
  if (!target)
    return http::respond_error(
      *ex, make_error(errc::unavailable, "the workflow engine is restarting"));
  *req.mutable_caller() = caller_of(*ex);
  self
    ->request(caf::actor_cast<workflows_actor>(*target),
              env.opts.internal_timeout, std::move(req))
    .then(std::move(on_reply),
          [ex](caf::error& err) { http::respond_error(*ex, err); });
}

void respond(ex_ptr ex, bhttp::status status, const json& body) {
  ex->respond(http::make_json_response(status, body.dump()));
}

json run_with_steps(const v1::RunGetResponse& resp) {
  auto out = run_json(resp.run());
  out["steps"] = json::array();
  for (const auto& s : resp.steps())
    out["steps"].push_back(step_json(s));
  return out;
}

} // namespace

void put_workflow(http_bridge_pointer self, ex_ptr ex) {
  const auto& env = *self->state.env;
  v1::WorkflowPutRequest req;
  req.set_name(ex->param("name"));
  if (is_yaml_request(ex->req())) {
    req.set_format("yaml");
    req.set_body(ex->req().body());
  } else {
    // Parsed here too, for the bridge's depth limit and a clear error.
    auto body = json_object_body(ex->req(), env.opts);
    if (!body)
      return http::respond_error(*ex, body.error());
    req.set_format("json");
    req.set_body(body->dump());
  }
  ask_workflows(self, ex, std::move(req), [ex](v1::WorkflowPutResponse& resp) {
    auto out = workflow_json(resp.workflow());
    out.erase("definition");
    out["existed"] = resp.existed();
    respond(ex, bhttp::status::ok, out);
  });
}

void list_workflows(http_bridge_pointer self, ex_ptr ex) {
  ask_workflows(self, ex, v1::WorkflowListRequest{},
                [ex](v1::WorkflowListResponse& resp) {
                  json out{{"workflows", json::array()}};
                  for (const auto& v : resp.workflows())
                    out["workflows"].push_back(workflow_json(v));
                  respond(ex, bhttp::status::ok, out);
                });
}

void get_workflow(http_bridge_pointer self, ex_ptr ex) {
  v1::WorkflowGetRequest req;
  req.set_name(ex->param("name"));
  req.set_version(ex->query_param("version").value_or(""));
  ask_workflows(self, ex, std::move(req), [ex](v1::WorkflowGetResponse& resp) {
    auto out = workflow_json(resp.workflow());
    out["versions"] = json::array();
    for (const auto& v : resp.versions())
      out["versions"].push_back(v);
    respond(ex, bhttp::status::ok, out);
  });
}

void start_run(http_bridge_pointer self, ex_ptr ex) {
  const auto& env = *self->state.env;
  auto body = json_object_body(ex->req(), env.opts);
  if (!body)
    return http::respond_error(*ex, body.error());
  for (const auto& [key, value] : body->items())
    if (key != "input" && key != "run_id")
      return http::respond_error(
        *ex, make_field_error(errc::invalid_argument, key,
                              "unknown field '" + key.substr(0, 64)
                                + "' (input, run_id)"));
  v1::RunStartRequest req;
  req.set_workflow(ex->param("name"));
  if (body->contains("input"))
    req.set_input_json((*body)["input"].dump());
  if (auto id = body->find("run_id"); id != body->end()) {
    if (!id->is_string())
      return http::respond_error(
        *ex, make_field_error(errc::invalid_argument, "run_id",
                              "run_id: expected a string"));
    req.set_run_id(id->get<std::string>());
  }
  ask_workflows(self, ex, std::move(req), [ex](v1::RunStartResponse& resp) {
    respond(ex, bhttp::status::accepted,
            {{"run_id", resp.run().run_id()},
             {"state", workflows::run_state_name(resp.run().state())},
             {"version", resp.run().version()},
             {"existed", resp.existed()}});
  });
}

void get_run(http_bridge_pointer self, ex_ptr ex) {
  v1::RunGetRequest req;
  req.set_run_id(ex->param("id"));
  ask_workflows(self, ex, std::move(req), [ex](v1::RunGetResponse& resp) {
    respond(ex, bhttp::status::ok, run_with_steps(resp));
  });
}

void list_runs(http_bridge_pointer self, ex_ptr ex) {
  v1::RunListRequest req;
  if (auto state = ex->query_param("state"); state && !state->empty()) {
    auto parsed = run_state_from_name(*state);
    if (parsed == v1::RUN_STATE_UNSPECIFIED)
      return http::respond_error(
        *ex, make_field_error(errc::invalid_argument, "state",
                              "state must be running, succeeded, failed or "
                              "cancelled"));
    req.set_state(parsed);
  }
  auto limit = page_limit(ex->query_param("limit"), 100);
  if (!limit)
    return http::respond_error(*ex, limit.error());
  req.set_limit(*limit);
  req.set_workflow(ex->query_param("workflow").value_or(""));
  req.set_after(ex->query_param("after").value_or(""));
  ask_workflows(self, ex, std::move(req), [ex](v1::RunListResponse& resp) {
    json out{{"runs", json::array()}};
    for (const auto& run : resp.runs())
      out["runs"].push_back(run_json(run));
    if (!resp.next().empty())
      out["next"] = resp.next();
    respond(ex, bhttp::status::ok, out);
  });
}

void cancel_run(http_bridge_pointer self, ex_ptr ex) {
  v1::RunCancelRequest req;
  req.set_run_id(ex->param("id"));
  ask_workflows(self, ex, std::move(req), [ex](v1::RunCancelResponse& resp) {
    respond(ex, bhttp::status::ok, run_json(resp.run()));
  });
}

void signal_run(http_bridge_pointer self, ex_ptr ex) {
  const auto& env = *self->state.env;
  auto body = json_object_body(ex->req(), env.opts);
  if (!body)
    return http::respond_error(*ex, body.error());
  for (const auto& [key, value] : body->items())
    if (key != "payload")
      return http::respond_error(
        *ex, make_field_error(errc::invalid_argument, key,
                              "unknown field '" + key.substr(0, 64)
                                + "' (payload)"));
  auto payload = body->value("payload", json::object());
  if (!payload.is_object())
    return http::respond_error(
      *ex, make_field_error(errc::invalid_argument, "payload",
                            "payload: expected an object"));
  v1::RunSignalRequest req;
  req.set_run_id(ex->param("id"));
  req.set_name(ex->param("name"));
  req.set_payload_json(payload.dump());
  ask_workflows(self, ex, std::move(req), [ex](v1::RunSignalResponse& resp) {
    auto out = run_json(resp.run());
    out["existed"] = resp.existed();
    respond(ex, bhttp::status::ok, out);
  });
}

} // namespace bsm::http_handlers
