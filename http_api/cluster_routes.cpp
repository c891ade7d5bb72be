// GET /v1/cluster (API.md, "Cluster").

#include <caf/event_based_actor.hpp>
#include <nlohmann/json.hpp>

#include "actors/cluster_ingress.hpp"
#include "actors/sse_stream.hpp"
#include "http_api/handlers.hpp"
#include "protocols/enum_label.hpp"
#include "runtime/error.hpp"
#include "runtime/http/error_response.hpp"

namespace bsm::http_handlers {

namespace bhttp = boost::beast::http;

namespace {

nlohmann::json member_json(const v1::MemberView& x) {
  return {
    {"name", x.name()},
    {"address", x.address()},
    {"http_address", x.http_address()},
    {"state", enum_label(v1::MemberState_Name(x.state()), "MEMBER_STATE_")},
    {"agents", x.agents()},
    {"incarnation", x.incarnation()},
    {"last_seen", x.last_seen_unix_ms() > 0
                    ? nlohmann::json(rfc3339_ms(x.last_seen_unix_ms()))
                    : nlohmann::json(nullptr)}};
}

// This node's memory budget and its use at the latest sample.
nlohmann::json memory_json(const memory_watch& watch) {
  auto now = watch.latest();
  const auto& use = now.use;
  return {{"budget_bytes", watch.limits().budget},
          {"headroom_bytes", watch.limits().headroom},
          {"store_held_bytes", store_held(use)},
          {"block_cache_usage_bytes", use.cache_usage},
          {"block_cache_pinned_bytes", use.cache_pinned},
          {"memtable_bytes", use.memtables},
          {"table_readers_bytes", use.table_readers},
          {"resident_bytes", use.resident},
          {"exhausted", !now.exhausted.empty()}};
}

} // namespace

void cluster_view(http_bridge_pointer self, ex_ptr ex) {
  const auto& env = *self->state.env;
  auto membership = env.names->get(cluster_membership_path);
  if (!membership)
    return http::respond_error(
      *ex,
      make_error(errc::unavailable, "the cluster membership is restarting"));
  self
    ->request(caf::actor_cast<cluster_membership_actor>(*membership),
              self->state.env->opts.internal_timeout, v1::ClusterViewRequest{})
    .then(
      [ex, memory = env.memory](v1::ClusterViewResponse& resp) {
        auto members = nlohmann::json::array();
        for (const auto& m : resp.members())
          members.push_back(member_json(m));
        nlohmann::json body{{"self", resp.self()},
                            {"joined", resp.joined()},
                            {"members", std::move(members)}};
        if (memory != nullptr)
          body["memory"] = memory_json(*memory);
        ex->respond(http::make_json_response(bhttp::status::ok, body.dump()));
      },
      [ex](caf::error& err) { http::respond_error(*ex, err); });
}

} // namespace bsm::http_handlers
