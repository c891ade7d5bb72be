#include "http_api/front.hpp"

#include <algorithm>
#include <optional>
#include <string>

#include <caf/send.hpp>

#include "http_api/access_gate.hpp"
#include "http_api/json_body.hpp"
#include "runtime/http/error_response.hpp"
#include "runtime/http/media_errors.hpp"
#include "runtime/http/path_normal.hpp"

namespace bsm {

namespace bhttp = boost::beast::http;

namespace {

constexpr const char* allowed_request_headers
  = "Authorization, Content-Type, Idempotency-Key, X-Request-Id, X-Bsm-Type, "
    "X-Bsm-Mode";
constexpr const char* exposed_response_headers = "X-Request-Id, Retry-After";

// Pages a browser renders get the usual hardening.
void add_security_headers(http::exchange& ex) {
  ex.add_response_header("Content-Security-Policy",
                         "default-src 'self'; frame-ancestors 'none'");
  ex.add_response_header("X-Content-Type-Options", "nosniff");
  ex.add_response_header("X-Frame-Options", "DENY");
  ex.add_response_header("Referrer-Policy", "no-referrer");
}

bool origin_allowed(const http_options& opts, const std::string& origin) {
  const auto& xs = opts.cors_allowed_origins;
  return std::any_of(xs.begin(), xs.end(), [&](const std::string& x) {
    return x == "*" || x == origin;
  });
}

/// Adds CORS headers for an allowed Origin. Returns true if `ex` was a
/// preflight and has been answered.
bool apply_cors(const http_bridge_env& env, const http::exchange_ptr& ex,
                const std::vector<bhttp::verb>& methods) {
  if (env.opts.cors_allowed_origins.empty())
    return false;
  // Answers differ by Origin: caches must keep them apart.
  ex->add_response_header("Vary", "Origin");
  auto given = ex->req()[bhttp::field::origin];
  std::string origin{given};
  if (given.empty() || !origin_allowed(env.opts, origin))
    return false;
  ex->add_response_header("Access-Control-Allow-Origin", origin);
  ex->add_response_header("Access-Control-Expose-Headers",
                          exposed_response_headers);
  bool preflight
    = !methods.empty() && ex->req().method() == bhttp::verb::options
      && ex->req().count(bhttp::field::access_control_request_method) > 0;
  if (!preflight)
    return false;
  ex->add_response_header("Access-Control-Allow-Methods",
                          http::allow_header(methods));
  ex->add_response_header("Access-Control-Allow-Headers",
                          allowed_request_headers);
  ex->add_response_header("Access-Control-Max-Age", "600");
  http::response res{bhttp::status::no_content, 11};
  ex->respond(std::move(res));
  return true;
}

std::vector<bhttp::verb> methods_of(const http::route_table<http_route>& routes,
                                    std::string_view path) {
  std::vector<bhttp::verb> result;
  for (const auto& r : routes.routes())
    if (r.pattern.match(path))
      result.push_back(r.method);
  return result;
}

void answer_unrouted(const http::exchange_ptr& ex,
                     const std::vector<bhttp::verb>& methods) {
  if (methods.empty())
    return http::respond_error(*ex, bhttp::status::not_found, "not_found",
                               "no route for "
                                 + std::string{ex->req().method_string()} + " "
                                 + std::string{ex->path()});
  if (ex->req().method() == bhttp::verb::options) {
    http::response res{bhttp::status::no_content, 11};
    res.set(bhttp::field::allow, http::allow_header(methods));
    return ex->respond(std::move(res));
  }
  auto res = http::make_error_response(
    bhttp::status::method_not_allowed, "method_not_allowed",
    std::string{ex->req().method_string()} + " is not allowed on "
      + std::string{ex->path()},
    ex->request_id());
  res.set(bhttp::field::allow, http::allow_header(methods));
  ex->respond(std::move(res));
}

// A body the route cannot read is refused before any work (RFC 9110
// 15.5.16): no route decodes a Content-Encoding, and a JSON route reads
// JSON only. Routes that take protobuf too check their Content-Type
// themselves.
std::optional<std::string> unreadable_body(const http::request& req,
                                           http::body_kind kind) {
  auto coding
    = http_handlers::media_type_of(req[bhttp::field::content_encoding]);
  if (!req.body().empty() && !coding.empty() && coding != "identity")
    return "the body's Content-Encoding '" + coding
           + "' is not decoded here; send it unencoded";
  if (kind == http::body_kind::json_or_yaml
      && http_handlers::is_yaml_request(req))
    return std::nullopt;
  if ((kind != http::body_kind::json && kind != http::body_kind::json_or_yaml)
      || http_handlers::is_json_request(req))
    return std::nullopt;
  return "Content-Type must be application/json, not '"
         + http_handlers::media_type(req) + "'";
}

void refuse_body(const http_route& route, const http::exchange_ptr& ex,
                 std::string why) {
  auto err = http::unsupported_media_type(std::move(why));
  if (route.respond_error)
    return route.respond_error(ex, err);
  http::respond_error(*ex, err);
}

} // namespace

http::dispatcher make_http_front(std::shared_ptr<const http_bridge_env> env,
                                 std::shared_ptr<const http_routes> routes) {
  return [env, routes](const http::exchange_ptr& ex) {
    auto path = http::normalize_path(ex->path());
    if (!path)
      return http::respond_error(*ex, path.error());
    auto found = routes->match(ex->req().method(), *path);
    const auto* handler = found.found ? &found.found->handler : nullptr;
    if (!http_access::within_address_rate(*env, ex, handler))
      return;
    if (found.found == nullptr) {
      auto methods = methods_of(*routes, *path);
      // A browser's preflight carries no credentials.
      if (apply_cors(*env, ex, methods))
        return;
      if (!http_access::admit(*env, ex, nullptr, {}))
        return;
      return answer_unrouted(ex, methods);
    }
    const auto& route = *found.found;
    apply_cors(*env, ex, {});
    if (!http_access::admit(*env, ex, &route.handler, found.params)
        || !http_access::within_principal_rate(*env, ex, route.handler))
      return;
    if (auto why = unreadable_body(ex->req(), route.handler.doc.body))
      return refuse_body(route.handler, ex, std::move(*why));
    if (!http_access::within_memory_budget(*env, ex, route.handler)
        || !http_access::hold_slot(*env, ex, route.handler))
      return;
    ex->set_route(static_cast<size_t>(found.found - routes->routes().data()),
                  route.pattern.text(), std::move(found.params));
    if (route.handler.dashboard)
      add_security_headers(*ex);
    if (route.handler.from_memory)
      return route.handler.from_memory(*env, ex);
    if (env->draining->load())
      return http::respond_error(*ex, bhttp::status::service_unavailable,
                                 "unavailable", "the node is shutting down");
    auto bridge = env->names->get(http_bridge_path);
    if (!bridge)
      return http::respond_error(*ex, bhttp::status::service_unavailable,
                                 "unavailable",
                                 "the HTTP bridge is restarting");
    caf::anon_send(*bridge, ex);
  };
}

} // namespace bsm
