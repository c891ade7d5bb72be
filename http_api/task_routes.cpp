// POST, GET /v1/tasks, GET and DELETE /v1/tasks/{id}, POST
// /v1/tasks/{id}/retry (API.md, "Tasks"): requests to this node's `tasks`
// actor (tasks/tasks_actor.hpp). A submit needs, besides tasks:submit, the
// permission its target would need asked directly (agents:<agent>:chat,
// actors:<actor>:inject:<type>), and the task carries the caller's
// principal: its turns act for it.

#include <caf/event_based_actor.hpp>

#include "http_api/caller_stamp.hpp"
#include "http_api/internal_types.hpp"
#include "http_api/json_body.hpp"
#include "http_api/task_format.hpp"
#include "http_api/task_routes.hpp"
#include "runtime/clock.hpp"
#include "runtime/error.hpp"
#include "runtime/http/error_response.hpp"
#include "tasks/task_lifecycle.hpp"
#include "tasks/tasks_actor.hpp"

namespace bsm::http_handlers {

namespace bhttp = boost::beast::http;

namespace {

// Asks the tasks actor; `on_reply` answers the exchange.
template <class Request, class OnReply>
void ask_tasks(http_bridge_pointer self, ex_ptr ex, Request req,
               OnReply on_reply) {
  const auto& env = *self->state.env;
  auto tasks = env.names->get(tasks_path);
  if (!tasks)
    return http::respond_error(
      *ex, make_error(errc::unavailable, "the task queue is restarting"));
  self
    ->request(caf::actor_cast<tasks_actor>(*tasks), env.opts.internal_timeout,
              std::move(req))
    .then(std::move(on_reply),
          [ex](caf::error& err) { http::respond_error(*ex, err); });
}

void respond_task(ex_ptr ex, bhttp::status status, const v1::TaskRecord& rec) {
  ex->respond(http::make_json_response(status, task_json(rec).dump()));
}

// What asking the target directly would need.
std::string target_permission(const v1::TaskSpec& spec) {
  if (!spec.agent().empty())
    return "agents:" + spec.agent() + ":chat";
  return "actors:" + spec.actor() + ":inject:" + spec.type_name();
}

// The caller may run the task's target; answers 403 otherwise.
bool may_run(ex_ptr ex, const v1::TaskSpec& spec) {
  auto need = target_permission(spec);
  const auto& who = ex->principal();
  if (who && who->permissions.allows(need))
    return true;
  http::respond_error(
    *ex, make_error(errc::permission_denied, "missing permission " + need));
  return false;
}

caf::expected<v1::TaskSpec> read_spec(http_bridge_pointer self, ex_ptr ex) {
  const auto& env = *self->state.env;
  auto body = json_object_body(ex->req(), env.opts);
  if (!body)
    return body.error();
  auto spec = task_spec_from_json(*body, *env.types, unix_now_ms());
  if (!spec)
    return spec.error();
  if (spec->agent().empty() == spec->actor().empty())
    return make_error(errc::invalid_argument,
                      "a task names exactly one of 'agent' and 'actor'");
  if (cluster_internal(spec->type_name()))
    return make_error(errc::invalid_argument,
                      spec->type_name()
                        + " is sent between nodes only, never by a client");
  return spec;
}

} // namespace

void submit_task(http_bridge_pointer self, ex_ptr ex) {
  auto spec = read_spec(self, ex);
  if (!spec)
    return http::respond_error(*ex, spec.error());
  if (!may_run(ex, *spec))
    return;
  // A chat (or turn cancel) sent to an actor acts for this caller only.
  if (!spec->payload().empty())
    if (auto err
        = stamp_caller(*ex, spec->type_name(), *spec->mutable_payload(), false))
      return http::respond_error(*ex, err);
  v1::TaskSubmitRequest req;
  *req.mutable_spec() = std::move(*spec);
  *req.mutable_caller() = caller_of(*ex);
  ask_tasks(self, ex, std::move(req), [ex](v1::TaskSubmitResponse& resp) {
    nlohmann::json body{{"task_id", resp.task().task_id()},
                        {"state", tasks::state_name(resp.task().state())},
                        {"existed", resp.existed()}};
    ex->respond(http::make_json_response(bhttp::status::accepted, body.dump()));
  });
}

void get_task(http_bridge_pointer self, ex_ptr ex) {
  v1::TaskGetRequest req;
  req.set_task_id(ex->param("id"));
  *req.mutable_caller() = caller_of(*ex);
  ask_tasks(self, ex, std::move(req), [ex](v1::TaskGetResponse& resp) {
    respond_task(ex, bhttp::status::ok, resp.task());
  });
}

void list_tasks(http_bridge_pointer self, ex_ptr ex) {
  v1::TaskListRequest req;
  if (auto state = ex->query_param("state"); state && !state->empty()) {
    auto parsed = tasks::state_from_name(*state);
    if (parsed == v1::TASK_STATE_UNSPECIFIED)
      return http::respond_error(
        *ex, make_error(errc::invalid_argument,
                        "state must be queued, running, succeeded, failed, "
                        "dead or cancelled"));
    req.set_state(parsed);
  }
  if (auto limit = ex->query_param("limit"); limit && !limit->empty()) {
    uint64_t n = 0;
    for (char c : *limit) {
      if (c < '0' || c > '9' || n > 1'000'000'000)
        return http::respond_error(
          *ex, make_error(errc::invalid_argument,
                          "limit must be a positive number"));
      n = n * 10 + static_cast<uint64_t>(c - '0');
    }
    if (n == 0)
      return http::respond_error(
        *ex,
        make_error(errc::invalid_argument, "limit must be a positive number"));
    // The actor clamps it to tasks.list_limit_max.
    req.set_limit(static_cast<uint32_t>(std::min<uint64_t>(n, UINT32_MAX)));
  }
  req.set_agent(ex->query_param("agent").value_or(""));
  req.set_label(ex->query_param("label").value_or(""));
  req.set_after(ex->query_param("after").value_or(""));
  *req.mutable_caller() = caller_of(*ex);
  ask_tasks(self, ex, std::move(req), [ex](v1::TaskListResponse& resp) {
    nlohmann::json body{{"tasks", nlohmann::json::array()}};
    for (const auto& rec : resp.tasks())
      body["tasks"].push_back(task_json(rec));
    if (!resp.next().empty())
      body["next"] = resp.next();
    ex->respond(http::make_json_response(bhttp::status::ok, body.dump()));
  });
}

void cancel_task(http_bridge_pointer self, ex_ptr ex) {
  v1::TaskCancelRequest req;
  req.set_task_id(ex->param("id"));
  *req.mutable_caller() = caller_of(*ex);
  ask_tasks(self, ex, std::move(req), [ex](v1::TaskCancelResponse& resp) {
    respond_task(ex, bhttp::status::ok, resp.task());
  });
}

void retry_task(http_bridge_pointer self, ex_ptr ex) {
  v1::TaskRetryRequest req;
  req.set_task_id(ex->param("id"));
  *req.mutable_caller() = caller_of(*ex);
  ask_tasks(self, ex, std::move(req), [ex](v1::TaskRetryResponse& resp) {
    respond_task(ex, bhttp::status::accepted, resp.task());
  });
}

} // namespace bsm::http_handlers
