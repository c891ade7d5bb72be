#include <map>

#include <caf/event_based_actor.hpp>
#include <nlohmann/json.hpp>

#include "http_api/handlers.hpp"
#include "http_api/tree_format.hpp"
#include "runtime/http/error_response.hpp"

namespace bsm::http_handlers {

namespace bhttp = boost::beast::http;

namespace {

http::response text_response(std::string text) {
  http::response res{bhttp::status::ok, 11};
  res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
  res.body() = std::move(text);
  return res;
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
    list.push_back({{"name", name},
                    {"mailbox_depth", depth},
                    {"handles", env.names->handles(name)}});
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
        auto accept = ex->req()[bhttp::field::accept];
        auto res = wants_text({accept.data(), accept.size()})
                     ? text_response(tree_text(resp.root()))
                     : http::make_json_response(bhttp::status::ok,
                                                tree_json(resp.root()).dump());
        res.set(bhttp::field::vary, "Accept");
        ex->respond(std::move(res));
      },
      [ex](caf::error& err) { http::respond_error(*ex, err); });
}

} // namespace bsm::http_handlers
