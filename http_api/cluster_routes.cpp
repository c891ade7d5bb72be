// GET /v1/cluster and POST /v1/cluster/members/{node}/leave (API.md,
// "Cluster").

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

nlohmann::json handoff_json(const v1::HandoffStatus& x) {
  return {{"phase", x.phase()},     {"agents", x.agents()},
          {"handed", x.handed()},   {"failures", x.failures()},
          {"entries", x.entries()}, {"bytes", x.bytes()}};
}

caf::expected<cluster_membership_actor>
membership_of(const http_bridge_env& env) {
  auto membership = env.names->get(cluster_membership_path);
  if (!membership)
    return make_error(errc::unavailable,
                      "the cluster membership is restarting");
  return caf::actor_cast<cluster_membership_actor>(*membership);
}

} // namespace

void cluster_leave(http_bridge_pointer self, ex_ptr ex) {
  auto membership = membership_of(*self->state.env);
  if (!membership)
    return http::respond_error(*ex, membership.error());
  v1::LeaveRequest req;
  req.set_node(ex->param("node"));
  // The node asked first answers once the one that leaves has begun.
  self
    ->request(*membership, self->state.env->opts.internal_timeout,
              std::move(req))
    .then(
      [ex](v1::LeaveResponse& resp) {
        nlohmann::json body{
          {"node", resp.node()},
          {"state",
           enum_label(v1::MemberState_Name(resp.state()), "MEMBER_STATE_")},
          {"handoff", handoff_json(resp.handoff())}};
        ex->respond(
          http::make_json_response(bhttp::status::accepted, body.dump()));
      },
      [ex](caf::error& err) { http::respond_error(*ex, err); });
}

void cluster_view(http_bridge_pointer self, ex_ptr ex) {
  const auto& env = *self->state.env;
  auto membership = membership_of(env);
  if (!membership)
    return http::respond_error(*ex, membership.error());
  self
    ->request(*membership, self->state.env->opts.internal_timeout,
              v1::ClusterViewRequest{})
    .then(
      [ex, memory = env.memory](v1::ClusterViewResponse& resp) {
        auto members = nlohmann::json::array();
        for (const auto& m : resp.members())
          members.push_back(member_json(m));
        nlohmann::json body{{"self", resp.self()},
                            {"joined", resp.joined()},
                            {"members", std::move(members)}};
        if (!resp.handoff().phase().empty())
          body["handoff"] = handoff_json(resp.handoff());
        if (memory != nullptr)
          body["memory"] = memory_json(*memory);
        ex->respond(http::make_json_response(bhttp::status::ok, body.dump()));
      },
      [ex](caf::error& err) { http::respond_error(*ex, err); });
}

} // namespace bsm::http_handlers
