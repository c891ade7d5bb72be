#include <caf/event_based_actor.hpp>
#include <nlohmann/json.hpp>

#include "http_api/handlers.hpp"
#include "protocols/enum_label.hpp"
#include "runtime/http/error_response.hpp"

namespace bsm::http_handlers {

namespace bhttp = boost::beast::http;

namespace {

// The first child below `node` that does not run, as "path (state)".
std::optional<std::string> first_not_running(const v1::TreeNode& node) {
  for (const auto& child : node.children()) {
    if (child.state() != v1::CHILD_STATE_RUNNING)
      return child.name() + " is "
             + enum_label(v1::ChildState_Name(child.state()), "CHILD_STATE_");
    if (auto x = first_not_running(child))
      return x;
  }
  return std::nullopt;
}

} // namespace

void healthz(const http_bridge_env& env, ex_ptr ex) {
  auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
    std::chrono::steady_clock::now() - env.started_at);
  nlohmann::json body{{"status", "ok"},
                      {"node", env.node_name},
                      {"version", BSM_VERSION},
                      {"uptime_s", uptime.count()}};
  ex->respond(http::make_json_response(bhttp::status::ok, body.dump()));
}

void metrics(const http_bridge_env& env, ex_ptr ex) {
  http::response res{bhttp::status::ok, 11};
  res.set(bhttp::field::content_type,
          "text/plain; version=0.0.4; charset=utf-8");
  res.body() = env.metrics->to_text();
  ex->respond(std::move(res));
}

void readyz(http_bridge_pointer self, ex_ptr ex) {
  const auto& env = *self->state.env;
  auto not_ready = [ex](const std::string& why) {
    http::respond_error(*ex, bhttp::status::service_unavailable, "unavailable",
                        "not ready: " + why);
  };
  if (env.draining->load())
    return not_ready("the node is shutting down");
  if (!env.root || !*env.root)
    return not_ready("the supervision tree is starting");
  auto join
    = env.directory ? env.directory->join() : cluster::join_state::single;
  if (join == cluster::join_state::joining)
    return not_ready("the node has not joined its cluster yet: it has not "
                     "heard from every member that is up");
  self->request(*env.root, env.opts.readiness_timeout, v1::TreeRequest{})
    .then(
      [ex, node = env.node_name, not_ready, join](v1::TreeResponse& resp) {
        if (auto why = first_not_running(resp.root()))
          return not_ready(*why);
        nlohmann::json body{{"status", "ready"},
                            {"node", node},
                            {"cluster", cluster::to_string(join)}};
        ex->respond(http::make_json_response(bhttp::status::ok, body.dump()));
      },
      [not_ready](caf::error& err) {
        not_ready("the supervision tree did not answer: "
                  + http::message_of(err));
      });
}

} // namespace bsm::http_handlers
