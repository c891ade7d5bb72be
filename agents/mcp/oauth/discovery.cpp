#include "agents/mcp/oauth/discovery.hpp"

#include <nlohmann/json.hpp>

#include "runtime/ascii.hpp"
#include "runtime/error.hpp"

namespace bsm::mcp::oauth {

namespace {

using json = nlohmann::json;

constexpr std::string_view prm_well_known
  = "/.well-known/oauth-protected-resource";
constexpr std::string_view as_well_known
  = "/.well-known/oauth-authorization-server";
constexpr std::string_view oidc_well_known
  = "/.well-known/openid-configuration";

caf::error unusable(const std::string& from, const std::string& what) {
  return make_error(errc::failed_precondition,
                    "metadata at " + from + " is unusable: " + what);
}

std::string without_trailing_slash(std::string_view x) {
  while (!x.empty() && x.back() == '/')
    x.remove_suffix(1);
  return std::string{x};
}

/// Reads an optional array of strings; false if it is there but not one.
bool string_array(const json& doc, const char* key,
                  std::optional<std::vector<std::string>>& out) {
  auto i = doc.find(key);
  if (i == doc.end() || i->is_null())
    return true;
  if (!i->is_array())
    return false;
  std::vector<std::string> items;
  for (const auto& x : *i) {
    if (!x.is_string())
      return false;
    items.push_back(x.get<std::string>());
  }
  out = std::move(items);
  return true;
}

/// An optional string; false if it is there but not one.
bool string_field(const json& doc, const char* key, std::string& out) {
  auto i = doc.find(key);
  if (i == doc.end() || i->is_null())
    return true;
  if (!i->is_string())
    return false;
  out = i->get<std::string>();
  return true;
}

caf::expected<json> json_object(std::string_view body,
                                const std::string& from) {
  auto doc = json::parse(body, nullptr, false);
  if (!doc.is_object())
    return unusable(from, "not a JSON object");
  return doc;
}

} // namespace

std::optional<url_parts> split_url(std::string_view url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos)
    return std::nullopt;
  auto scheme = ascii_lower(url.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https")
    return std::nullopt;
  auto rest = url.substr(scheme_end + 3);
  auto path_start = rest.find_first_of("/?#");
  auto host = rest.substr(0, path_start);
  if (host.empty() || host.find('@') != std::string_view::npos)
    return std::nullopt;
  url_parts out;
  out.origin = scheme + "://" + ascii_lower(host);
  if (path_start != std::string_view::npos && rest[path_start] == '/') {
    auto path = rest.substr(path_start);
    out.path = without_trailing_slash(path.substr(0, path.find_first_of("?#")));
  }
  return out;
}

std::vector<std::string>
protected_resource_metadata_urls(const std::string& server_url) {
  auto parts = split_url(server_url);
  if (!parts)
    return {};
  std::vector<std::string> out;
  if (!parts->path.empty())
    out.push_back(parts->origin + std::string{prm_well_known} + parts->path);
  out.push_back(parts->origin + std::string{prm_well_known});
  return out;
}

std::vector<std::string>
authorization_server_metadata_urls(const std::string& issuer) {
  auto parts = split_url(issuer);
  if (!parts)
    return {};
  const auto& o = parts->origin;
  const auto& p = parts->path;
  if (p.empty())
    return {o + std::string{as_well_known}, o + std::string{oidc_well_known}};
  return {o + std::string{as_well_known} + p,
          o + std::string{oidc_well_known} + p,
          o + p + std::string{oidc_well_known}};
}

bool resource_covers(std::string_view resource, std::string_view server_url) {
  auto r = split_url(resource);
  auto s = split_url(server_url);
  if (!r || !s || r->origin != s->origin)
    return false;
  if (r->path.empty() || r->path == s->path)
    return true;
  return s->path.size() > r->path.size()
         && s->path.compare(0, r->path.size(), r->path) == 0
         && s->path[r->path.size()] == '/';
}

caf::expected<protected_resource>
parse_protected_resource(std::string_view body, const std::string& from,
                         const std::string& server_url) {
  auto doc = json_object(body, from);
  if (!doc)
    return doc.error();
  protected_resource out;
  if (!string_field(*doc, "resource", out.resource) || out.resource.empty())
    return unusable(from, "'resource' is missing or not a string");
  if (!resource_covers(out.resource, server_url))
    return unusable(
      from, "'resource' " + out.resource + " does not name the MCP server "
              + server_url.substr(0, server_url.find_first_of("?#")));
  std::optional<std::vector<std::string>> servers;
  if (!string_array(*doc, "authorization_servers", servers))
    return unusable(from, "'authorization_servers' is not an array of strings");
  for (const auto& x : servers.value_or(std::vector<std::string>{}))
    if (split_url(x))
      out.authorization_servers.push_back(x);
  if (out.authorization_servers.empty())
    return unusable(from, "'authorization_servers' names no http(s) issuer");
  std::optional<std::vector<std::string>> scopes;
  if (!string_array(*doc, "scopes_supported", scopes))
    return unusable(from, "'scopes_supported' is not an array of strings");
  out.scopes_supported = scopes.value_or(std::vector<std::string>{});
  return out;
}

caf::expected<authorization_server>
parse_authorization_server(std::string_view body, const std::string& from,
                           const std::string& issuer) {
  auto doc = json_object(body, from);
  if (!doc)
    return doc.error();
  authorization_server out;
  if (!string_field(*doc, "issuer", out.issuer) || out.issuer.empty())
    return unusable(from, "'issuer' is missing or not a string");
  if (without_trailing_slash(out.issuer) != without_trailing_slash(issuer))
    return unusable(from, "'issuer' " + out.issuer + " is not " + issuer);
  if (!string_field(*doc, "token_endpoint", out.token_endpoint)
      || !split_url(out.token_endpoint))
    return unusable(from, "'token_endpoint' is missing or not an http(s) URL");
  if (!string_array(*doc, "token_endpoint_auth_methods_supported",
                    out.token_endpoint_auth_methods))
    return unusable(from, "'token_endpoint_auth_methods_supported' is not an "
                          "array of strings");
  if (!string_array(*doc, "token_endpoint_auth_signing_alg_values_supported",
                    out.signing_algorithms))
    return unusable(from, "'token_endpoint_auth_signing_alg_values_supported' "
                          "is not an array of strings");
  return out;
}

} // namespace bsm::mcp::oauth
