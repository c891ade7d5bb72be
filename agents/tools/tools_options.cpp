#include "agents/tools/tools_options.hpp"

#include <algorithm>
#include <set>
#include <string_view>

#include "agents/mcp/header_env.hpp"
#include "runtime/ascii.hpp"
#include "runtime/config/config_fields.hpp"
#include "runtime/error.hpp"

namespace bsm {

namespace {

using namespace std::chrono_literals;
using detail::assign;
using detail::located_error;
using detail::quote;
using detail::yaml_field;

constexpr size_t max_server_name_length = 32;

constexpr std::string_view server_keys
  = "(known keys: name, command, args, env, url, headers, auth, "
    "call_timeout, max_call_time, elicitation, ask_timeout, allow_sampling, "
    "roots)";

constexpr bool is_server_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
         || c == '-';
}

std::string env_name_problem(std::string_view x) {
  auto ok = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9') || c == '_';
  };
  if (x.empty() || (x.front() >= '0' && x.front() <= '9')
      || !std::all_of(x.begin(), x.end(), ok))
    return quote(x) + " is not a variable name ([A-Za-z_][A-Za-z0-9_]*)";
  return {};
}

caf::error read_server_env(const yaml_field& in, mcp_server_config& out) {
  std::map<std::string, std::string> env;
  auto err = in.entries([&env](const yaml_field& var, const std::string& name) {
    if (auto problem = env_name_problem(name); !problem.empty())
      return var.fail(problem);
    return var.text(env[name]);
  });
  if (!err)
    out.env = std::move(env);
  return err;
}

caf::error read_server_headers(const yaml_field& in, mcp_server_config& out) {
  std::map<std::string, std::string> headers;
  auto err
    = in.entries([&headers](const yaml_field& h, const std::string& name) {
        if (auto problem = http_header_name_problem(name); !problem.empty())
          return h.fail(problem);
        if (auto text_err = h.text(headers[name]))
          return text_err;
        auto problem = http_header_value_problem(headers[name]);
        return problem.empty() ? caf::error{} : h.fail(problem);
      });
  if (!err)
    out.headers = std::move(headers);
  return err;
}

caf::error read_duration(const yaml_field& in,
                         std::optional<std::chrono::milliseconds>& out) {
  std::chrono::milliseconds timeout{0};
  if (auto err = in.duration(timeout))
    return err;
  if (timeout < 1ms)
    return in.fail(detail::render_duration(timeout)
                   + " is below the minimum of 1ms");
  out = timeout;
  return {};
}

constexpr std::string_view root_keys = "(known keys: uri, name)";

caf::error read_root(const yaml_field& in, std::vector<mcp::root>& out) {
  auto& root = out.emplace_back();
  bool has_uri = false;
  auto err = in.entries([&](const yaml_field& x, const std::string& key) {
    if (key == "name")
      return x.text(root.name);
    if (key != "uri")
      return located_error(x.where(), "unknown key " + quote(x.key()) + " "
                                        + std::string{root_keys});
    has_uri = true;
    if (auto text_err = x.text(root.uri))
      return text_err;
    auto problem = mcp::root_uri_problem(root.uri);
    return problem.empty() ? caf::error{} : x.fail(problem);
  });
  if (err)
    return err;
  return has_uri ? caf::error{} : in.fail("missing key " + quote("uri"));
}

caf::error read_roots(const yaml_field& in, mcp_server_config& out) {
  std::vector<mcp::root> roots;
  if (auto err = in.elements(
        [&roots](const yaml_field& x) { return read_root(x, roots); }))
    return err;
  out.roots = std::move(roots);
  return {};
}

caf::error read_server_key(const yaml_field& in, const std::string& name,
                           mcp_server_config& out) {
  if (name == "name") {
    if (auto err = in.text(out.name))
      return err;
    auto problem = tool_server_name_problem(out.name);
    return problem.empty() ? caf::error{} : in.fail(problem);
  }
  if (name == "command") {
    if (auto err = in.text(out.command))
      return err;
    return out.command.empty() ? in.fail("must not be empty") : caf::error{};
  }
  if (name == "url") {
    if (auto err = in.text(out.url))
      return err;
    auto problem = http_url_problem(out.url);
    return problem.empty() ? caf::error{} : in.fail(problem);
  }
  if (name == "headers")
    return read_server_headers(in, out);
  if (name == "auth") {
    mcp_auth_config auth;
    if (auto err = read_mcp_auth(in, auth))
      return err;
    out.auth = std::move(auth);
    return {};
  }
  if (name == "args")
    return in.sequence(out.args, assign<std::string>);
  if (name == "env")
    return read_server_env(in, out);
  if (name == "call_timeout")
    return read_duration(in, out.call_timeout);
  if (name == "max_call_time")
    return read_duration(in, out.max_call_time);
  if (name == "elicitation") {
    static constexpr std::pair<std::string_view, mcp::elicitation_policy>
      policies[] = {{"decline", mcp::elicitation_policy::decline},
                    {"defaults", mcp::elicitation_policy::defaults},
                    {"ask", mcp::elicitation_policy::ask}};
    return in.one_of(out.elicitation, policies);
  }
  if (name == "ask_timeout") {
    std::optional<std::chrono::milliseconds> timeout;
    if (auto err = read_duration(in, timeout))
      return err;
    out.ask_timeout = *timeout;
    return {};
  }
  if (name == "allow_sampling")
    return in.boolean(out.allow_sampling);
  if (name == "roots")
    return read_roots(in, out);
  return located_error(in.where(), "unknown key " + quote(in.key()) + " "
                                     + std::string{server_keys});
}

// Which transport: exactly one of command and url, and the keys of the
// other one unused.
std::string transport_problem(const mcp_server_config& x) {
  if (x.command.empty() && x.url.empty())
    return "needs 'command' (a local server) or 'url' (a remote one)";
  if (!x.command.empty() && !x.url.empty())
    return "has both 'command' and 'url'; give one";
  if (!x.url.empty() && (!x.args.empty() || !x.env.empty()))
    return "'args' and 'env' are for 'command', not 'url'";
  if (!x.command.empty() && (!x.headers.empty() || x.auth))
    return "'headers' and 'auth' are for 'url', not 'command'";
  if (x.auth)
    for (const auto& header : x.headers)
      if (ascii_lower(header.first) == "authorization")
        return "has both 'auth' and an Authorization header; give one";
  return {};
}

caf::error read_mcp_servers(const yaml_field& in, tools_options& out) {
  std::vector<mcp_server_config> servers;
  // Where each name was given, for duplicates.
  std::map<std::string, std::string> names;
  auto read_entry = [&](const yaml_field& entry) -> caf::error {
    auto& server = servers.emplace_back();
    std::set<std::string> given;
    auto err = entry.entries([&](const yaml_field& x, const std::string& key) {
      given.insert(key);
      if (auto read_err = read_server_key(x, key, server))
        return read_err;
      if (key != "name")
        return caf::error{};
      auto [first, added] = names.emplace(server.name, x.where());
      if (added)
        return caf::error{};
      return x.fail("duplicate server name " + quote(server.name)
                    + " (first at " + first->second + ")");
    });
    if (err)
      return err;
    if (given.count("name") == 0)
      return entry.fail("missing key " + quote("name"));
    if (auto problem = transport_problem(server); !problem.empty())
      return entry.fail("server " + quote(server.name) + ": " + problem);
    return caf::error{};
  };
  if (auto err = in.elements(read_entry))
    return err;
  out.mcp_servers = std::move(servers);
  return {};
}

config::maybe_problem check_mcp_server(const std::string& key,
                                       const mcp_server_config& x) {
  if (auto p = config::check(key + ".name", tool_server_name_problem(x.name)))
    return p;
  if (auto p = config::check(key, transport_problem(x)))
    return p;
  if (!x.url.empty())
    if (auto p = config::check(key + ".url", http_url_problem(x.url)))
      return p;
  for (const auto& [name, value] : x.headers) {
    if (auto p
        = config::check(key + ".headers", http_header_name_problem(name)))
      return p;
    if (auto p = config::check(key + ".headers." + name,
                               http_header_value_problem(value)))
      return p;
  }
  if (x.auth)
    if (auto p = config::check(key + ".auth", mcp_auth_problem(*x.auth)))
      return p;
  for (const auto& entry : x.env)
    if (auto p = config::check(key + ".env." + entry.first,
                               env_name_problem(entry.first)))
      return p;
  for (size_t i = 0; i < x.roots.size(); ++i)
    if (auto p = config::check(key + ".roots[" + std::to_string(i) + "].uri",
                               mcp::root_uri_problem(x.roots[i].uri)))
      return p;
  if (x.max_call_time)
    if (auto p
        = config::at_least(key + ".max_call_time", *x.max_call_time, 1ms))
      return p;
  if (x.call_timeout)
    return config::at_least(key + ".call_timeout", *x.call_timeout, 1ms);
  return std::nullopt;
}

config::maybe_problem check_tools(const tools_options& x) {
  std::set<std::string> names;
  for (size_t i = 0; i < x.mcp_servers.size(); ++i) {
    auto key = "tools.mcp_servers[" + std::to_string(i) + "]";
    const auto& server = x.mcp_servers[i];
    if (auto p = check_mcp_server(key, server))
      return p;
    if (!names.insert(server.name).second)
      return config::problem{
        key + ".name", "duplicate server name " + quote(server.name), {}};
  }
  return std::nullopt;
}

// The servers by name; the file holds the rest.
std::string render_servers(const tools_options& x) {
  auto name = [](const mcp_server_config& server) {
    return server.name;
  };
  return "[" + detail::join(x.mcp_servers, ", ", name) + "]";
}

} // namespace

// Server names become path segments ("tools/mcp_<name>") and tool name
// prefixes ("<name>__<tool>"), where "__" ends the server part.
std::string tool_server_name_problem(std::string_view x) {
  if (x.empty())
    return "must not be empty";
  if (x.size() > max_server_name_length)
    return quote(x) + " is longer than "
           + std::to_string(max_server_name_length) + " characters";
  if (!std::all_of(x.begin(), x.end(), is_server_name_char))
    return quote(x) + " may only contain a-z, 0-9, '_' and '-'";
  if (x.find("__") != std::string_view::npos)
    return quote(x)
           + " must not contain '__' (it ends the server part of "
             "tool names)";
  return {};
}

// RFC 9110 token characters.
std::string http_header_name_problem(std::string_view x) {
  auto ok = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9')
           || std::string_view{"!#$%&'*+-.^_`|~"}.find(c)
                != std::string_view::npos;
  };
  if (x.empty() || !std::all_of(x.begin(), x.end(), ok))
    return quote(x) + " is not a header name";
  return {};
}

// The value itself is never quoted: it may hold a secret.
std::string http_header_value_problem(std::string_view x) {
  if (x.find_first_of(std::string_view{"\r\n\0", 3}) != std::string_view::npos)
    return "must not contain line breaks or NUL";
  return mcp::env_ref_problem(x);
}

std::string http_url_problem(std::string_view x) {
  if (x.empty())
    return "must not be empty";
  auto scheme = x.substr(0, x.find("://"));
  if (x.find("://") == std::string_view::npos
      || (scheme != "http" && scheme != "https"))
    return "must start with http:// or https://";
  if (x.size() == scheme.size() + 3)
    return "names no host";
  return {};
}

const config::section<tools_options>& tools_section() {
  static const config::section<tools_options> result{
    "tools",
    {config::duration("call_timeout", &tools_options::call_timeout, 1ms),
     config::duration("max_call_time", &tools_options::max_call_time, 1ms),
     config::duration("startup_timeout", &tools_options::startup_timeout, 1ms),
     config::duration("ledger_timeout", &tools_options::ledger_timeout, 1ms),
     {"mcp_servers", read_mcp_servers, render_servers, {}, true, true}},
    check_tools};
  return result;
}

} // namespace bsm
