#include "agents/mcp/oauth/token_request.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "runtime/ascii.hpp"
#include "runtime/error.hpp"
#include "runtime/security/base64url.hpp"

namespace bsm::mcp::oauth {

namespace {

using json = nlohmann::json;

/// Longest piece of an authorization server's error text repeated.
constexpr size_t max_reported_chars = 200;

bool lists(const std::vector<std::string>& xs, std::string_view x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

std::string joined(const std::vector<std::string>& xs) {
  std::string out;
  for (const auto& x : xs)
    out += (out.empty() ? "" : ", ") + x;
  return out.empty() ? "none" : out;
}

/// Text from another server, fit for a message: printable ASCII, capped.
std::string reported(std::string_view x) {
  std::string out;
  for (char c : x.substr(0, max_reported_chars))
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

/// Standard base64 with padding, as HTTP Basic wants it.
std::string base64_padded(std::string_view bytes) {
  auto out = security::base64_unpadded_encode(bytes);
  while (out.size() % 4 != 0)
    out += '=';
  return out;
}

} // namespace

const char* to_string(client_auth_method x) {
  switch (x) {
    case client_auth_method::client_secret_basic: return "client_secret_basic";
    case client_auth_method::client_secret_post: return "client_secret_post";
    case client_auth_method::private_key_jwt: return "private_key_jwt";
  }
  return "?";
}

std::optional<client_auth_method>
parse_client_auth_method(std::string_view name) {
  for (auto x : {client_auth_method::client_secret_basic,
                 client_auth_method::client_secret_post,
                 client_auth_method::private_key_jwt})
    if (name == to_string(x))
      return x;
  return std::nullopt;
}

caf::expected<client_auth_method>
choose_auth_method(std::optional<client_auth_method> configured,
                   bool has_secret, bool has_key,
                   const std::optional<std::vector<std::string>>& supported) {
  auto offered = supported.value_or(std::vector<std::string>{
    to_string(client_auth_method::client_secret_basic)});
  auto refused = [&offered](client_auth_method x) {
    return make_error(errc::failed_precondition,
                      std::string{"the authorization server does not take "}
                        + to_string(x) + " (it lists: " + joined(offered)
                        + ")");
  };
  if (configured) {
    bool jwt = *configured == client_auth_method::private_key_jwt;
    if (jwt ? !has_key : !has_secret)
      return make_error(errc::invalid_argument,
                        std::string{to_string(*configured)} + " needs "
                          + (jwt ? "a private key" : "a client secret"));
    if (!lists(offered, to_string(*configured)))
      return refused(*configured);
    return *configured;
  }
  if (has_key) {
    if (!lists(offered, "private_key_jwt"))
      return refused(client_auth_method::private_key_jwt);
    return client_auth_method::private_key_jwt;
  }
  if (!has_secret)
    return make_error(errc::invalid_argument,
                      "neither a client secret nor a private key is given");
  if (lists(offered, "client_secret_basic"))
    return client_auth_method::client_secret_basic;
  if (lists(offered, "client_secret_post"))
    return client_auth_method::client_secret_post;
  return refused(client_auth_method::client_secret_basic);
}

std::string choose_scope(const std::string& configured,
                         const std::string& challenged,
                         const std::vector<std::string>& supported) {
  if (!configured.empty())
    return configured;
  if (!challenged.empty())
    return challenged;
  std::string out;
  for (const auto& x : supported)
    out += (out.empty() ? "" : " ") + x;
  return out;
}

std::string form_encode(std::string_view x) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : x) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '~')
      out += c;
    else if (c == ' ')
      out += '+';
    else {
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 15];
    }
  }
  return out;
}

token_request make_token_request(const token_request_input& in) {
  token_request out;
  out.body = "grant_type=client_credentials";
  auto add = [&out](const char* key, const std::string& value) {
    if (!value.empty())
      out.body += std::string{"&"} + key + "=" + form_encode(value);
  };
  add("scope", in.scope);
  add("resource", in.resource);
  switch (in.method) {
    case client_auth_method::client_secret_basic:
      // RFC 6749 section 2.3.1: both parts form-encoded before base64.
      out.authorization = "Basic "
                          + base64_padded(form_encode(in.client_id) + ":"
                                          + form_encode(in.client_secret));
      break;
    case client_auth_method::client_secret_post:
      add("client_id", in.client_id);
      add("client_secret", in.client_secret);
      break;
    case client_auth_method::private_key_jwt:
      add("client_id", in.client_id);
      add("client_assertion_type",
          "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
      add("client_assertion", in.client_assertion);
      break;
  }
  return out;
}

caf::expected<access_token> parse_token_response(long status,
                                                 std::string_view body,
                                                 const std::string& endpoint) {
  auto doc = json::parse(body, nullptr, false);
  auto prefix = "token endpoint " + endpoint;
  if (status != 200) {
    if (doc.is_object() && doc.contains("error") && doc["error"].is_string()) {
      auto what = prefix + " refused the token request (HTTP "
                  + std::to_string(status)
                  + "): " + reported(doc["error"].get<std::string>());
      if (auto d = doc.find("error_description");
          d != doc.end() && d->is_string())
        what += " (" + reported(d->get<std::string>()) + ")";
      return make_error(errc::unauthenticated, std::move(what));
    }
    return make_error(errc::failed_precondition, prefix + " answered HTTP "
                                                   + std::to_string(status)
                                                   + " without an OAuth error");
  }
  if (!doc.is_object())
    return make_error(errc::failed_precondition,
                      prefix
                        + " answered with something other than a JSON "
                          "object");
  auto bad = [&prefix](const std::string& what) {
    return make_error(errc::failed_precondition,
                      prefix + " gave an unusable token: " + what);
  };
  access_token out;
  auto token = doc.find("access_token");
  if (token == doc.end() || !token->is_string()
      || token->get<std::string>().empty())
    return bad("'access_token' is missing or not a string");
  out.value = token->get<std::string>();
  auto type = doc.find("token_type");
  if (type == doc.end() || !type->is_string()
      || ascii_lower(type->get<std::string>()) != "bearer")
    return bad("'token_type' is not Bearer");
  if (auto exp = doc.find("expires_in"); exp != doc.end() && !exp->is_null()) {
    if (!exp->is_number() || exp->get<double>() <= 0)
      return bad("'expires_in' is not a positive number");
    out.expires_in = std::chrono::seconds{
      static_cast<int64_t>(std::min(exp->get<double>(), 1e9))};
  }
  if (auto scope = doc.find("scope"); scope != doc.end() && scope->is_string())
    out.scope = scope->get<std::string>();
  return out;
}

std::optional<std::chrono::steady_clock::time_point>
renew_at(std::chrono::steady_clock::time_point obtained,
         std::optional<std::chrono::seconds> expires_in,
         std::chrono::seconds margin) {
  if (!expires_in)
    return std::nullopt;
  auto lead = *expires_in < 2 * margin ? *expires_in / 2 : margin;
  return obtained + *expires_in - lead;
}

} // namespace bsm::mcp::oauth
