#include <map>

#include <caf/event_based_actor.hpp>
#include <nlohmann/json.hpp>

#include "http_api/handlers.hpp"
#include "protocols/enum_label.hpp"
#include "runtime/http/error_response.hpp"

namespace bsm::http_handlers {

namespace bhttp = boost::beast::http;

namespace {

// API.md: {"name","strategy","children":[...],"restarts","state"}.
nlohmann::json tree_json(const v1::TreeNode& node) {
  nlohmann::json children = nlohmann::json::array();
  for (const auto& child : node.children())
    children.push_back(tree_json(child));
  nlohmann::json result{{"name", node.name().empty() ? "root" : node.name()},
                        {"children", std::move(children)},
                        {"restarts", node.restarts()}};
  result["strategy"]
    = node.strategy() == v1::RESTART_STRATEGY_UNSPECIFIED
        ? nlohmann::json(nullptr)
        : nlohmann::json(enum_label(v1::RestartStrategy_Name(node.strategy()),
                                    "RESTART_STRATEGY_"));
  result["state"]
    = node.state() == v1::CHILD_STATE_UNSPECIFIED
        ? std::string{"running"}
        : enum_label(v1::ChildState_Name(node.state()), "CHILD_STATE_");
  return result;
}

} // namespace

void list_actors(http_bridge_pointer self, ex_ptr ex) {
  const auto& env = *self->state.env;
  // Registered actors, plus mailboxes holding envelopes for a target that
  // is not running now.
  std::map<std::string, uint64_t> actors;
  for (const auto& [name, handle] : env.names->list())
    actors.emplace(name, 0);
  for (const auto& [target, depth] : env.depths->snapshot())
    if (depth > 0 || actors.count(target) > 0)
      actors[target] = depth;
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [name, depth] : actors)
    list.push_back({{"name", name}, {"mailbox_depth", depth}});
  nlohmann::json body{{"actors", std::move(list)}};
  ex->respond(http::make_json_response(bhttp::status::ok, body.dump()));
}

void tree(http_bridge_pointer self, ex_ptr ex) {
  const auto& env = *self->state.env;
  if (!env.root || !*env.root)
    return http::respond_error(*ex, bhttp::status::service_unavailable,
                               "unavailable", "the tree is starting");
  self->request(*env.root, env.opts.internal_timeout, v1::TreeRequest{})
    .then(
      [ex](v1::TreeResponse& resp) {
        ex->respond(http::make_json_response(bhttp::status::ok,
                                             tree_json(resp.root()).dump()));
      },
      [ex](caf::error& err) { http::respond_error(*ex, err); });
}

} // namespace bsm::http_handlers
