#include "http_api/access_gate.hpp"

#include <chrono>

#include "http_api/handlers.hpp"
#include "runtime/clock.hpp"
#include "runtime/error.hpp"
#include "runtime/http/error_response.hpp"

namespace bsm::http_access {

namespace bhttp = boost::beast::http;

namespace {

// RFC 6750 section 3: no credentials get a bare challenge; bad ones say
// invalid_token.
void challenge(const http::exchange_ptr& ex) {
  auto given = !ex->req()[bhttp::field::authorization].empty();
  ex->add_response_header("WWW-Authenticate",
                          given ? "Bearer error=\"invalid_token\"" : "Bearer");
}

bool open_route(const http_bridge_env& env, const http_route& route) {
  const auto& needs = route.permission.text();
  return route.permission.open()
         || (env.metrics_open && needs == "metrics:read")
         || (env.openapi_open && needs == "openapi:read");
}

// "actors:agents/legal:inject:<type>" for a permission whose late parts
// are not known yet.
std::string
describe(const http_route& route,
         const std::vector<std::pair<std::string, std::string>>& params) {
  std::map<std::string, std::string> shown;
  for (const auto& name : route.permission.late_parts())
    shown[name] = "<" + name + ">";
  return route.permission.resolve(params, shown).to_string();
}

caf::error missing(const std::string& permission) {
  return make_error(errc::permission_denied,
                    "missing permission " + permission);
}

} // namespace

void refuse(const http_route* route, const http::exchange_ptr& ex,
            const caf::error& err) {
  if (route && route->respond_error)
    return route->respond_error(ex, err);
  http::respond_error(*ex, err);
}

bool admit(const http_bridge_env& env, const http::exchange_ptr& ex,
           const http_route* route,
           const std::vector<std::pair<std::string, std::string>>& params) {
  if (route && open_route(env, *route))
    return true;
  auto auth = env.access ? env.access->get() : nullptr;
  if (!auth) {
    refuse(route, ex,
           make_error(errc::unavailable, "access control is not ready"));
    return false;
  }
  auto header = ex->req()[bhttp::field::authorization];
  security::client_facts client{ex->client_is_loopback(),
                                ex->client_certificate_name()};
  auto who
    = auth->authenticate({header.data(), header.size()}, client, unix_now_s());
  if (!who) {
    challenge(ex);
    refuse(route, ex, who.error());
    return false;
  }
  if (route && !(*who)->permissions.allows(route->permission.resolve(params))) {
    refuse(route, ex, missing(describe(*route, params)));
    return false;
  }
  ex->set_principal(std::move(*who));
  return true;
}

namespace {

bool throttled(const http_route* route, const http::exchange_ptr& ex,
               const security::throttle_decision& d, const std::string& what) {
  if (d.allowed)
    return false;
  ex->add_response_header("Retry-After", std::to_string(d.retry_after.count()));
  refuse(route, ex, make_error(errc::resource_exhausted, what));
  return true;
}

} // namespace

bool within_address_rate(const http_bridge_env& env,
                         const http::exchange_ptr& ex,
                         const http_route* route) {
  if (!env.rates)
    return true;
  auto d = env.rates->check_address(ex->client().to_string(),
                                    std::chrono::steady_clock::now());
  return !throttled(route, ex, d,
                    "too many requests from this address "
                    "(security.rate_per_address)");
}

bool within_principal_rate(const http_bridge_env& env,
                           const http::exchange_ptr& ex,
                           const http_route& route) {
  const auto& who = ex->principal();
  if (!env.rates || !who)
    return true;
  auto d = env.rates->check_principal(security::limit_key(*who),
                                      route.permission.area(),
                                      std::chrono::steady_clock::now());
  return !throttled(&route, ex, d,
                    "too many requests from this principal to "
                      + route.permission.area()
                      + " routes (security.rate_per_principal)");
}

bool hold_slot(const http_bridge_env& env, const http::exchange_ptr& ex,
               const http_route& route) {
  using kind = http_route::concurrency;
  if (route.counts_in == kind::none || !ex->principal())
    return true;
  bool chat = route.counts_in == kind::chat;
  const auto& limiter = chat ? env.chats : env.streams;
  if (!limiter)
    return true;
  const auto& who = *ex->principal();
  auto slot = limiter->try_acquire(security::limit_key(who));
  if (slot) {
    ex->keep(std::move(slot));
    return true;
  }
  if (env.rates)
    env.rates->count_refusal(chat ? "chats" : "streams");
  refuse(&route, ex,
         make_error(errc::resource_exhausted,
                    std::string{chat ? "too many chats in flight"
                                     : "too many open event streams"}
                      + " for this principal (at most "
                      + std::to_string(limiter->per_key()) + ", "
                      + (chat ? "security.max_concurrent_chats"
                              : "security.max_open_streams")
                      + ")"));
  return false;
}

bool within_memory_budget(const http_bridge_env& env,
                          const http::exchange_ptr& ex,
                          const http_route& route) {
  if (env.memory == nullptr || !env.memory->exhausted())
    return true;
  auto method = ex->req().method();
  // Reads hold no new state and let an operator look at the node.
  if (method == bhttp::verb::get || method == bhttp::verb::head
      || method == bhttp::verb::options)
    return true;
  if (env.memory_refusals != nullptr)
    env.memory_refusals->inc();
  refuse(&route, ex,
         make_error(errc::unavailable, "the node is over its memory budget "
                                       "(store.memory_budget); retry later"));
  return false;
}

caf::error authorize_late(const http_route& route, const http::exchange& ex,
                          const std::map<std::string, std::string>& late) {
  if (route.permission.open())
    return {};
  const auto& who = ex.principal();
  auto need = route.permission.resolve(ex.params(), late);
  if (who && who->permissions.allows(need))
    return {};
  return missing(need.to_string());
}

} // namespace bsm::http_access

namespace bsm::http_handlers {

bool authorize_late(http_bridge_pointer self, ex_ptr ex,
                    const std::map<std::string, std::string>& late) {
  const auto& table = self->state.routes->routes();
  auto i = ex->route_index();
  if (i >= table.size())
    return false;
  const auto& route = table[i].handler;
  auto err = http_access::authorize_late(route, *ex, late);
  if (!err)
    return true;
  http_access::refuse(&route, ex, err);
  return false;
}

} // namespace bsm::http_handlers
