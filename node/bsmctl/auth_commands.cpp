#include "node/bsmctl/auth_commands.hpp"

#include <ostream>

#include "node/bsmctl/auth_output.hpp"
#include "node/bsmctl/exit_code.hpp"
#include "node/bsmctl/message.hpp"
#include "node/bsmctl/output.hpp"
#include "node/bsmctl/secret_input.hpp"
#include "runtime/error.hpp"

namespace bsm::ctl {

namespace {

// A request body; invalid UTF-8 (in a password, say) is a usage error that
// does not quote the text.
caf::expected<std::string> json_body(const ordered_json& doc) {
  try {
    return doc.dump();
  } catch (const nlohmann::json::exception&) {
    return make_error(errc::invalid_argument,
                      "input is not valid UTF-8 (JSON needs it)");
  }
}

// Sends `method path [body]`; the answer when it is 2xx, else nullopt with
// the failure reported and its exit code in `code`.
std::optional<http_response> exchange(command_context& ctx,
                                      const std::string& method,
                                      const std::string& path,
                                      const std::string& body, int& code) {
  http_request req;
  req.method = method;
  req.path = path;
  req.body = body;
  req.headers.push_back("Accept: application/json");
  auto got = ctx.client.send(req);
  if (!got) {
    code = report(got.error(), ctx.io);
    return std::nullopt;
  }
  if (!is_success(got->status)) {
    code = report_http_error(*got, ctx.io);
    return std::nullopt;
  }
  return std::move(*got);
}

int send_and_print(command_context& ctx, const std::string& method,
                   const std::string& path, const std::string& body,
                   table_renderer to_table) {
  int code = exit_ok;
  auto res = exchange(ctx, method, path, body, code);
  if (!res)
    return code;
  print_answer(ctx, res->body, to_table);
  return exit_ok;
}

int send_doc(command_context& ctx, const std::string& method,
             const std::string& path, const ordered_json& doc,
             table_renderer to_table) {
  auto body = json_body(doc);
  if (!body)
    return report(body.error(), ctx.io);
  return send_and_print(ctx, method, path, *body, to_table);
}

ordered_json role_list(const std::vector<std::string>& roles) {
  ordered_json list = ordered_json::array();
  for (const auto& role : roles)
    list.push_back(role);
  return list;
}

} // namespace

int run_login(command_context& ctx, const login_args& args) {
  auto secret = prompt_secret(ctx.io, args.api_key ? "API key" : "password");
  if (!secret)
    return report(secret.error(), ctx.io);
  ordered_json doc;
  if (args.api_key)
    doc["api_key"] = *secret;
  else
    doc = {{"username", args.username}, {"password", *secret}};
  auto body = json_body(doc);
  if (!body)
    return report(body.error(), ctx.io);
  int code = exit_ok;
  auto res = exchange(ctx, "POST", "/v1/auth/token", *body, code);
  if (!res)
    return code;
  auto answer = parse_body(res->body);
  if (!answer || !answer->is_object() || !answer->contains("access_token")
      || !(*answer)["access_token"].is_string()) {
    ctx.io.err << "bsmctl: the server's answer has no access_token\n";
    return exit_failure;
  }
  print_line(ctx.io, (*answer)["access_token"].get<std::string>());
  return exit_ok;
}

int run_users(command_context& ctx, const users_args& args) {
  auto path = "/v1/users/" + percent_encode(args.name);
  switch (args.action) {
    case admin_action::list:
      return send_and_print(ctx, "GET", "/v1/users", "", users_table);
    case admin_action::remove:
      return send_and_print(ctx, "DELETE", path, "", fields_table);
    case admin_action::set: break;
  }
  auto password = prompt_secret(ctx.io, "password");
  if (!password)
    return report(password.error(), ctx.io);
  return send_doc(ctx, "PUT", path,
                  {{"password", *password}, {"roles", role_list(args.roles)}},
                  fields_table);
}

int run_keys(command_context& ctx, const keys_args& args) {
  switch (args.action) {
    case admin_action::list:
      return send_and_print(ctx, "GET", "/v1/api-keys", "", api_keys_table);
    case admin_action::remove:
      return send_and_print(ctx, "DELETE",
                            "/v1/api-keys/" + percent_encode(args.name), "",
                            fields_table);
    case admin_action::set: break;
  }
  ordered_json doc{{"name", args.name}};
  if (!args.principal.empty())
    doc["principal"] = args.principal;
  doc["roles"] = role_list(args.roles);
  if (args.expires_in_s)
    doc["expires_in_s"] = *args.expires_in_s;
  return send_doc(ctx, "POST", "/v1/api-keys", doc, fields_table);
}

int run_roles(command_context& ctx) {
  return send_and_print(ctx, "GET", "/v1/roles", "", roles_table);
}

} // namespace bsm::ctl
