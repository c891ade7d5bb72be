// The security hub's routes (docs/API.md, "Security hub"): logins that
// issue access tokens, and the admin routes for users, API keys and roles.
// The work happens in the security hub actor; secrets pass through here
// once (a password or key coming in, a new key going out) and are never
// logged.

#include <nlohmann/json.hpp>

#include "http_api/handlers.hpp"
#include "http_api/json_body.hpp"
#include "runtime/error.hpp"
#include "runtime/http/error_response.hpp"

namespace bsm::http_handlers {

namespace bhttp = boost::beast::http;

namespace {

caf::error bad(std::string what) {
  return make_error(errc::invalid_argument, std::move(what));
}

// Sends `req` to the security hub; `on_reply` answers the exchange.
template <class Request, class OnReply>
void ask_hub(http_bridge_pointer self, ex_ptr ex, Request req,
             OnReply on_reply) {
  const auto& env = *self->state.env;
  auto hub = env.names->get(security_path);
  if (!hub)
    return http::respond_error(
      *ex, make_error(errc::unavailable, "the security hub is restarting"));
  self
    ->request(caf::actor_cast<security_hub_actor>(*hub),
              env.opts.internal_timeout, std::move(req))
    .then(std::move(on_reply),
          [ex](caf::error& err) { http::respond_error(*ex, err); });
}

void respond_json(ex_ptr ex, bhttp::status status, const nlohmann::json& x) {
  ex->respond(http::make_json_response(status, x.dump()));
}

// The string fields `names` of `body`, refusing any other field or type.
caf::error read_strings(const nlohmann::json& body,
                        std::initializer_list<const char*> names,
                        std::map<std::string, std::string>& out) {
  for (const auto& [key, value] : body.items()) {
    bool known = false;
    for (const auto* name : names)
      known = known || key == name;
    if (!known)
      return bad("unknown field '" + key.substr(0, 64) + "'");
    if (!value.is_string())
      return bad("field '" + key + "' must be a string");
    out[key] = value.get<std::string>();
  }
  return {};
}

caf::error read_roles(const nlohmann::json& body,
                      google::protobuf::RepeatedPtrField<std::string>& out) {
  auto i = body.find("roles");
  if (i == body.end())
    return {};
  if (!i->is_array())
    return bad("field 'roles' must be an array of role names");
  for (const auto& role : *i) {
    if (!role.is_string())
      return bad("field 'roles' must be an array of role names");
    *out.Add() = role.get<std::string>();
  }
  return {};
}

nlohmann::json user_json(const v1::UserInfo& x) {
  return {
    {"name", x.name()},
    {"roles", std::vector<std::string>(x.roles().begin(), x.roles().end())},
    {"created_at", x.created_at()},
    {"disabled", x.disabled()}};
}

nlohmann::json key_json(const v1::ApiKeyInfo& x) {
  return {
    {"id", x.id()},
    {"name", x.name()},
    {"principal", x.principal()},
    {"roles", std::vector<std::string>(x.roles().begin(), x.roles().end())},
    {"created_at", x.created_at()},
    {"expires_at", x.expires_at()},
    {"revoked", x.revoked()}};
}

} // namespace

void auth_token(http_bridge_pointer self, ex_ptr ex) {
  auto body = json_object_body(ex->req(), self->state.env->opts);
  if (!body)
    return http::respond_error(*ex, body.error());
  std::map<std::string, std::string> fields;
  if (auto err
      = read_strings(*body, {"username", "password", "api_key"}, fields))
    return http::respond_error(*ex, err);
  v1::AuthTokenRequest req;
  req.set_username(fields["username"]);
  req.set_password(fields["password"]);
  req.set_api_key(fields["api_key"]);
  req.set_client(ex->client().to_string());
  ask_hub(self, ex, std::move(req), [ex](v1::AuthTokenResponse& resp) {
    if (resp.retry_after_s() > 0) {
      ex->add_response_header("Retry-After",
                              std::to_string(resp.retry_after_s()));
      return http::respond_error(
        *ex, make_error(errc::resource_exhausted,
                        "too many failed logins; retry after "
                          + std::to_string(resp.retry_after_s()) + " s"));
    }
    respond_json(ex, bhttp::status::ok,
                 {{"access_token", resp.access_token()},
                  {"token_type", "Bearer"},
                  {"expires_in", resp.expires_in()}});
  });
}

void list_users(http_bridge_pointer self, ex_ptr ex) {
  ask_hub(self, ex, v1::UserListRequest{}, [ex](v1::UserListResponse& resp) {
    auto users = nlohmann::json::array();
    for (const auto& u : resp.users())
      users.push_back(user_json(u));
    respond_json(ex, bhttp::status::ok, {{"users", users}});
  });
}

void put_user(http_bridge_pointer self, ex_ptr ex) {
  auto body = json_object_body(ex->req(), self->state.env->opts);
  if (!body)
    return http::respond_error(*ex, body.error());
  v1::UserPutRequest req;
  req.set_name(ex->param("name"));
  for (const auto& [key, value] : body->items())
    if (key != "password" && key != "roles")
      return http::respond_error(
        *ex, bad("unknown field '" + key.substr(0, 64) + "'"));
  auto password = body->find("password");
  if (password == body->end() || !password->is_string())
    return http::respond_error(*ex, bad("field 'password' (a string) is "
                                        "missing"));
  req.set_password(password->get<std::string>());
  if (auto err = read_roles(*body, *req.mutable_roles()))
    return http::respond_error(*ex, err);
  ask_hub(self, ex, std::move(req), [ex](v1::UserPutResponse& resp) {
    respond_json(ex,
                 resp.created() ? bhttp::status::created : bhttp::status::ok,
                 user_json(resp.user()));
  });
}

void delete_user(http_bridge_pointer self, ex_ptr ex) {
  v1::UserDeleteRequest req;
  req.set_name(ex->param("name"));
  ask_hub(self, ex, std::move(req), [ex](v1::UserDeleteResponse&) {
    ex->respond(http::response{bhttp::status::no_content, 11});
  });
}

void create_api_key(http_bridge_pointer self, ex_ptr ex) {
  auto body = json_object_body(ex->req(), self->state.env->opts);
  if (!body)
    return http::respond_error(*ex, body.error());
  v1::ApiKeyCreateRequest req;
  for (const auto& [key, value] : body->items()) {
    if ((key == "name" || key == "principal") && value.is_string())
      continue;
    if (key == "expires_in_s" && value.is_number_integer())
      continue;
    if (key == "roles")
      continue;
    return http::respond_error(*ex, bad("field '" + key.substr(0, 64)
                                        + "' is unknown or has the wrong "
                                          "type"));
  }
  req.set_name(body->value("name", ""));
  req.set_principal(body->value("principal", ""));
  req.set_expires_in_s(body->value("expires_in_s", int64_t{0}));
  if (auto err = read_roles(*body, *req.mutable_roles()))
    return http::respond_error(*ex, err);
  ask_hub(self, ex, std::move(req), [ex](v1::ApiKeyCreateResponse& resp) {
    auto out = key_json(resp.key());
    out["api_key"] = resp.api_key();
    respond_json(ex, bhttp::status::created, out);
  });
}

void list_api_keys(http_bridge_pointer self, ex_ptr ex) {
  ask_hub(self, ex, v1::ApiKeyListRequest{},
          [ex](v1::ApiKeyListResponse& resp) {
            auto keys = nlohmann::json::array();
            for (const auto& k : resp.api_keys())
              keys.push_back(key_json(k));
            respond_json(ex, bhttp::status::ok, {{"api_keys", keys}});
          });
}

void revoke_api_key(http_bridge_pointer self, ex_ptr ex) {
  v1::ApiKeyRevokeRequest req;
  req.set_id(ex->param("id"));
  ask_hub(self, ex, std::move(req), [ex](v1::ApiKeyRevokeResponse&) {
    ex->respond(http::response{bhttp::status::no_content, 11});
  });
}

void list_roles(const http_bridge_env& env, ex_ptr ex) {
  auto roles = nlohmann::json::array();
  if (auto auth = env.access ? env.access->get() : nullptr)
    for (const auto& [name, grants] : auth->roles().list())
      roles.push_back({{"name", name}, {"permissions", grants}});
  respond_json(ex, bhttp::status::ok, {{"roles", roles}});
}

} // namespace bsm::http_handlers
