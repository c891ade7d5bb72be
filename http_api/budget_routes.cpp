// GET /v1/budgets (API.md, "Budgets"): every budget counter of the
// cluster with its use and what remains, gathered from every live member
// (each keeps the counters it owns, runtime/budgets/budget_owner.hpp).

#include <algorithm>
#include <memory>
#include <tuple>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/make_message.hpp>
#include <nlohmann/json.hpp>

#include "actors/budgets/budget_actor.hpp"
#include "actors/remote_call.hpp"
#include "actors/sse_stream.hpp"
#include "http_api/budget_routes.hpp"
#include "http_api/handlers.hpp"
#include "runtime/error.hpp"
#include "runtime/http/error_response.hpp"

namespace bsm::http_handlers {

namespace bhttp = boost::beast::http;

namespace {

nlohmann::json use_json(const v1::BudgetUse& x, const std::string& node) {
  return {{"name", x.name()},
          {"scope", x.scope()},
          {"key", x.key()},
          {"limit_kind", x.limit_kind()},
          {"limit", x.limit()},
          {"used", x.used()},
          {"remaining", x.remaining()},
          {"resets_at", rfc3339_ms(x.resets_at_unix_ms())},
          {"node", node}};
}

// The answers of every member asked, and the answer once all came.
struct budget_gathering {
  budget_gathering(http::exchange_ptr answer_to, size_t asked)
    : ex(std::move(answer_to)), waiting(asked) {}

  void add(const v1::BudgetListResponse& resp, const std::string& node) {
    for (const auto& x : resp.budgets())
      rows.push_back(use_json(x, node));
    done();
  }

  void failed(const std::string& node) {
    unreachable.push_back(node);
    done();
  }

  void done() {
    if (--waiting > 0)
      return;
    auto order = [](const nlohmann::json& a, const nlohmann::json& b) {
      return std::tie(a["name"].get_ref<const std::string&>(),
                      a["key"].get_ref<const std::string&>(),
                      a["limit_kind"].get_ref<const std::string&>())
             < std::tie(b["name"].get_ref<const std::string&>(),
                        b["key"].get_ref<const std::string&>(),
                        b["limit_kind"].get_ref<const std::string&>());
    };
    std::sort(rows.begin(), rows.end(), order);
    std::sort(unreachable.begin(), unreachable.end());
    nlohmann::json body{{"budgets", std::move(rows)},
                        {"unreachable", std::move(unreachable)}};
    ex->respond(http::make_json_response(
      bhttp::status::ok,
      body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
  }

  http::exchange_ptr ex;
  size_t waiting;
  std::vector<nlohmann::json> rows;
  std::vector<std::string> unreachable;
};

// This node and every other member that is up or suspect.
std::vector<std::string> live_nodes(const http_bridge_env& env) {
  if (!env.directory)
    return {};
  std::vector<std::string> result;
  for (const auto& m : env.directory->members())
    if (env.directory->live_member(m.record.name()))
      result.push_back(m.record.name());
  return result;
}

} // namespace

void list_budgets(http_bridge_pointer self, ex_ptr ex) {
  const auto& env = *self->state.env;
  auto local = env.names->get(budgets_path);
  if (!local)
    return http::respond_error(
      *ex, make_error(errc::unavailable, "the budgets actor is restarting"));
  auto others = live_nodes(env);
  auto all = std::make_shared<budget_gathering>(ex, others.size() + 1);
  auto self_name = env.directory ? env.directory->self() : env.node_name;
  auto timeout = env.opts.internal_timeout;
  self
    ->request(caf::actor_cast<budget_actor>(*local), timeout,
              v1::BudgetListRequest{})
    .then([all, self_name](
            const v1::BudgetListResponse& resp) { all->add(resp, self_name); },
          [all, self_name](caf::error&) { all->failed(self_name); });
  auto calls = env.call_env();
  for (const auto& node : others)
    ask_node(
      self, calls, node, budgets_path,
      caf::make_message(v1::BudgetListRequest{}), timeout,
      [all, node](caf::message msg) {
        if (!msg.match_elements<v1::BudgetListResponse>())
          return all->failed(node);
        all->add(msg.get_as<v1::BudgetListResponse>(0), node);
      },
      [all, node](caf::error) { all->failed(node); });
}

} // namespace bsm::http_handlers
