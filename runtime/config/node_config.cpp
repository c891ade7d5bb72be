#include "runtime/config/node_config.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <system_error>

#include <yaml-cpp/yaml.h>

#include "runtime/config/yaml_reader.hpp"
#include "runtime/error.hpp"

namespace bsm {

namespace {

using namespace std::chrono_literals;

using detail::assign;
using detail::located_error;
using detail::quote;
using detail::yaml_field;
using detail::yaml_source;

namespace fs = std::filesystem;

// -- value rules --------------------------------------------------------------

constexpr size_t max_name_length = 64;
constexpr int64_t max_restarts_limit = 10'000;
constexpr int64_t max_threads = 256;
constexpr int64_t max_port = 65'535;

constexpr std::pair<std::string_view, wal_recovery> wal_recovery_names[] = {
  {"strict", wal_recovery::strict},
  {"tolerant", wal_recovery::tolerant},
};

constexpr int64_t mib = int64_t{1} << 20;

constexpr std::pair<std::string_view, durability> durability_names[] = {
  {"none", durability::none},
  {"os", durability::os},
  {"fsync", durability::fsync},
};

constexpr std::pair<std::string_view, scheduler_policy> policy_names[] = {
  {"stealing", scheduler_policy::stealing},
  {"sharing", scheduler_policy::sharing},
};

constexpr std::pair<std::string_view, log_format> format_names[] = {
  {"text", log_format::text},
  {"json", log_format::json},
};

constexpr std::string_view level_names[] = {
  "trace", "debug", "info", "warn", "error", "critical", "off",
};

constexpr bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

std::string name_problem(std::string_view x) {
  if (x.empty())
    return "must not be empty";
  if (x.size() > max_name_length)
    return quote(x) + " is longer than " + std::to_string(max_name_length)
           + " characters";
  if (!std::all_of(x.begin(), x.end(), is_name_char))
    return quote(x) + " may only contain A-Z, a-z, 0-9, '.', '_' and '-'";
  return {};
}

std::string level_problem(std::string_view x) {
  auto i = std::find(std::begin(level_names), std::end(level_names), x);
  if (i != std::end(level_names))
    return {};
  auto self = [](std::string_view name) {
    return std::string{name};
  };
  return "expected one of " + detail::join(level_names, "|", self) + ", got "
         + quote(x);
}

// -- cluster.membership: "static" or redis://host[:port][/db] ---------------

constexpr std::string_view redis_scheme = "redis://";
constexpr std::string_view redis_form = "redis://host[:port][/db]";
constexpr int64_t max_redis_db = 2'147'483'647;

/// The parts of a membership URL; only validated here, the membership
/// component parses the URL again itself.
struct redis_url {
  std::string host;
  uint16_t port = 6379;
  uint32_t db = 0;
};

constexpr bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

constexpr bool is_ipv6_char(char c) {
  return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
         || (c >= '0' && c <= '9') || c == ':' || c == '.';
}

// A name or IPv4 address, or an IPv6 address in brackets. No user info:
// a password does not belong in the config file.
bool valid_redis_host(std::string_view x) {
  if (x.size() > 2 && x.front() == '[' && x.back() == ']')
    return std::all_of(x.begin() + 1, x.end() - 1, is_ipv6_char);
  return !x.empty() && std::all_of(x.begin(), x.end(), is_host_char);
}

// Parses all of `x` as a decimal number in min..max.
std::optional<int64_t> parse_number(std::string_view x, int64_t min,
                                    int64_t max) {
  int64_t result = 0;
  const auto* last = x.data() + x.size();
  auto [end, ec] = std::from_chars(x.data(), last, result);
  if (x.empty() || x.front() == '-' || ec != std::errc{} || end != last
      || result < min || result > max)
    return std::nullopt;
  return result;
}

std::string redis_problem(std::string_view url, std::string_view what) {
  return std::string{what} + ", expected " + std::string{redis_form} + ", got "
         + quote(url);
}

std::string parse_redis_url(std::string_view x, redis_url& out) {
  auto rest = x.substr(redis_scheme.size());
  auto slash = std::min(rest.find('/'), rest.size());
  auto authority = rest.substr(0, slash);
  // The last ':' outside brackets separates the port.
  auto colon = authority.rfind(':');
  if (colon != authority.npos && authority.find(']', colon) != authority.npos)
    colon = authority.npos;
  auto host = authority.substr(0, colon);
  if (!valid_redis_host(host))
    return redis_problem(x, "bad host " + quote(host));
  redis_url result{std::string{host}};
  if (colon != authority.npos) {
    auto port_text = authority.substr(colon + 1);
    auto port = parse_number(port_text, 1, max_port);
    if (!port)
      return redis_problem(x, "port " + quote(port_text)
                                + " is not a number in 1..65535");
    result.port = static_cast<uint16_t>(*port);
  }
  if (slash < rest.size()) {
    auto db_text = rest.substr(slash + 1);
    auto db = parse_number(db_text, 0, max_redis_db);
    if (!db)
      return redis_problem(x, "database " + quote(db_text)
                                + " is not a number in 0.."
                                + std::to_string(max_redis_db));
    result.db = static_cast<uint32_t>(*db);
  }
  out = std::move(result);
  return {};
}

std::string membership_problem(std::string_view x) {
  if (x == "static")
    return {};
  if (x.substr(0, redis_scheme.size()) != redis_scheme)
    return "expected 'static' or a redis:// URL, got " + quote(x);
  redis_url ignored;
  return parse_redis_url(x, ignored);
}

constexpr int64_t max_model_retries = 10;
constexpr int64_t max_model_concurrency = 256;

std::string http_url_problem(std::string_view x) {
  for (std::string_view scheme : {"http://", "https://"})
    if (x.size() > scheme.size() && x.substr(0, scheme.size()) == scheme)
      return {};
  return "expected an http:// or https:// URL, got " + quote(x);
}

// IPv6 hosts need brackets, else the port would be ambiguous.
std::optional<std::pair<std::string_view, std::string_view>>
split_host_port(std::string_view x) {
  if (!x.empty() && x.front() == '[') {
    auto close = x.find(']');
    if (close == x.npos || x.substr(close + 1, 1) != ":")
      return std::nullopt;
    return std::pair{x.substr(1, close - 1), x.substr(close + 2)};
  }
  auto colon = x.find(':');
  if (colon == x.npos || x.find(':', colon + 1) != x.npos)
    return std::nullopt;
  return std::pair{x.substr(0, colon), x.substr(colon + 1)};
}

std::string parse_address(std::string_view x, listen_address& out) {
  auto parts = split_host_port(x);
  if (!parts || parts->first.empty() || parts->second.empty())
    return "expected host:port, got " + quote(x);
  auto [host, port_str] = *parts;
  const auto* last = port_str.data() + port_str.size();
  uint32_t port = 0;
  auto [end, ec] = std::from_chars(port_str.data(), last, port);
  if (ec == std::errc::invalid_argument || end != last)
    return "expected host:port, got " + quote(x);
  if (ec == std::errc::result_out_of_range || port > max_port)
    return "port " + detail::out_of_range(port_str, 0, max_port);
  out = listen_address{std::string{host}, static_cast<uint16_t>(port)};
  return {};
}

// Seeds stay strings in node_config, but each must be a valid host:port.
std::string parse_seed(std::string_view x, std::string& out) {
  listen_address ignored;
  auto problem = parse_address(x, ignored);
  if (problem.empty())
    out = std::string{x};
  return problem;
}

// Like a seed, but others must be able to connect to it. Empty means
// cluster.listen.
std::string parse_advertise(std::string_view x, std::string& out) {
  if (x.empty()) {
    out.clear();
    return {};
  }
  listen_address address;
  if (auto problem = parse_address(x, address); !problem.empty())
    return problem;
  if (address.port == 0)
    return "port 0 in " + quote(x)
           + " cannot be reached, expected the port others connect to";
  out = std::string{x};
  return {};
}

// -- tools.mcp_servers: a sequence of maps ------------------------------------

constexpr size_t max_server_name_length = 32;

constexpr std::string_view server_keys
  = "(known keys: name, command, args, env, call_timeout)";

constexpr bool is_server_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
         || c == '-';
}

// Server names become path segments ("tools/mcp_<name>") and tool name
// prefixes ("<name>__<tool>"), where "__" ends the server part.
std::string server_name_problem(std::string_view x) {
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

caf::error read_server_key(const yaml_field& in, const std::string& name,
                           mcp_server_config& out) {
  if (name == "name") {
    if (auto err = in.text(out.name))
      return err;
    auto problem = server_name_problem(out.name);
    return problem.empty() ? caf::error{} : in.fail(problem);
  }
  if (name == "command") {
    if (auto err = in.text(out.command))
      return err;
    return out.command.empty() ? in.fail("must not be empty") : caf::error{};
  }
  if (name == "args")
    return in.sequence(out.args, assign<std::string>);
  if (name == "env")
    return read_server_env(in, out);
  if (name == "call_timeout") {
    std::chrono::milliseconds timeout{0};
    if (auto err = in.duration(timeout))
      return err;
    if (timeout < 1ms)
      return in.fail(detail::render_duration(timeout)
                     + " is below the minimum of 1ms");
    out.call_timeout = timeout;
    return {};
  }
  return located_error(in.where(), "unknown key " + quote(in.key()) + " "
                                     + std::string{server_keys});
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
    for (const auto* key : {"name", "command"})
      if (given.count(key) == 0)
        return entry.fail("missing key " + quote(key));
    return caf::error{};
  };
  if (auto err = in.elements(read_entry))
    return err;
  out.mcp_servers = std::move(servers);
  return {};
}

// -- cross-checks shared by validate() and load_node_config() -----------------

/// A broken rule, with the key to blame and one it depends on.
struct problem {
  std::string key;
  std::string text;
  /// Locates the problem when `key` kept its default.
  std::string related;
};

using maybe_problem = std::optional<problem>;

maybe_problem check(std::string key, std::string text) {
  if (text.empty())
    return std::nullopt;
  return problem{std::move(key), std::move(text), {}};
}

maybe_problem check_at_least(std::string key, std::chrono::milliseconds x,
                             std::chrono::milliseconds min) {
  if (x >= min)
    return std::nullopt;
  return problem{std::move(key),
                 detail::render_duration(x) + " is below the minimum of "
                   + detail::render_duration(min),
                 {}};
}

maybe_problem check_at_most(std::string key, uint32_t x, int64_t max) {
  if (x <= max)
    return std::nullopt;
  return problem{
    std::move(key), detail::out_of_range(std::to_string(x), 0, max), {}};
}

maybe_problem check_listen(std::string key, const listen_address& x) {
  return check(std::move(key), x.host.empty() ? "the host is empty" : "");
}

maybe_problem check_node(const node_options& x) {
  if (auto p = check("node.name", name_problem(x.name)))
    return p;
  return check("node.data_dir", x.data_dir.empty() ? "must not be empty" : "");
}

/// `key` (value `x`) must exceed `other` (value `y`).
maybe_problem check_greater(std::string key, std::chrono::milliseconds x,
                            std::string other, std::chrono::milliseconds y) {
  if (x > y)
    return std::nullopt;
  auto text = detail::render_duration(x) + " is not greater than " + other
              + " (" + detail::render_duration(y) + ")";
  return problem{std::move(key), std::move(text), std::move(other)};
}

maybe_problem check_cluster_timing(const cluster_options& x) {
  if (auto p = check_at_least("cluster.heartbeat_interval",
                              x.heartbeat_interval, 50ms))
    return p;
  if (auto p
      = check_greater("cluster.suspect_after", x.suspect_after,
                      "cluster.heartbeat_interval", x.heartbeat_interval))
    return p;
  if (auto p = check_greater("cluster.down_after", x.down_after,
                             "cluster.suspect_after", x.suspect_after))
    return p;
  if (auto p
      = check_at_least("cluster.connect_timeout", x.connect_timeout, 100ms))
    return p;
  return check_greater("cluster.membership_ttl", x.membership_ttl,
                       "cluster.heartbeat_interval", x.heartbeat_interval);
}

maybe_problem check_cluster(const cluster_options& x) {
  if (auto p = check_listen("cluster.listen", x.listen))
    return p;
  std::string ignored;
  if (auto p
      = check("cluster.advertise", parse_advertise(x.advertise, ignored)))
    return p;
  for (const auto& seed : x.seeds)
    if (auto p = check("cluster.seeds", parse_seed(seed, ignored)))
      return p;
  if (auto p = check("cluster.membership", membership_problem(x.membership)))
    return p;
  return check_cluster_timing(x);
}

maybe_problem check_backoff(const supervision_options& x) {
  if (auto p
      = check_at_least("supervision.backoff_initial", x.backoff_initial, 0ms))
    return p;
  if (x.backoff_max >= x.backoff_initial)
    return std::nullopt;
  return problem{"supervision.backoff_max",
                 detail::render_duration(x.backoff_max)
                   + " is less than supervision.backoff_initial ("
                   + detail::render_duration(x.backoff_initial) + ")",
                 "supervision.backoff_initial"};
}

maybe_problem check_supervision(const supervision_options& x) {
  if (auto p = check_at_most("supervision.max_restarts", x.max_restarts,
                             max_restarts_limit))
    return p;
  if (auto p = check_at_least("supervision.period", x.period, 1ms))
    return p;
  if (auto p = check_backoff(x))
    return p;
  return check_at_least("supervision.shutdown_timeout", x.shutdown_timeout,
                        1ms);
}

maybe_problem check_mailbox(const mailbox_options& x) {
  if (auto p
      = check_at_least("mailbox.delivery_timeout", x.delivery_timeout, 1ms))
    return p;
  if (auto p = check_at_least("mailbox.idempotency_ttl", x.idempotency_ttl, 1s))
    return p;
  if (auto p = check_at_least("mailbox.redelivery_backoff_initial",
                              x.redelivery_backoff_initial, 1ms))
    return p;
  if (x.redelivery_backoff_max >= x.redelivery_backoff_initial)
    return std::nullopt;
  return problem{"mailbox.redelivery_backoff_max",
                 detail::render_duration(x.redelivery_backoff_max)
                   + " is less than mailbox.redelivery_backoff_initial ("
                   + detail::render_duration(x.redelivery_backoff_initial)
                   + ")",
                 "mailbox.redelivery_backoff_initial"};
}

maybe_problem check_http(const http_options& x) {
  if (auto p = check_listen("http.listen", x.listen))
    return p;
  for (auto& [key, value] : {std::pair{"http.read_timeout", x.read_timeout},
                             std::pair{"http.idle_timeout", x.idle_timeout},
                             std::pair{"http.drain_timeout", x.drain_timeout},
                             std::pair{"http.ask_timeout", x.ask_timeout},
                             std::pair{"http.sse_heartbeat", x.sse_heartbeat}})
    if (auto p = check_at_least(key, value, 1ms))
      return p;
  if (x.max_ask_timeout < x.ask_timeout)
    return problem{"http.max_ask_timeout",
                   detail::render_duration(x.max_ask_timeout)
                     + " is less than http.ask_timeout ("
                     + detail::render_duration(x.ask_timeout) + ")",
                   "http.ask_timeout"};
  for (const auto& origin : x.cors_allowed_origins)
    if (origin.empty())
      return problem{"http.cors_allowed_origins", "an origin is empty", {}};
  return std::nullopt;
}

maybe_problem check_openai(const openai_options& x) {
  if (auto p = check("openai.base_url", http_url_problem(x.base_url)))
    return p;
  if (auto p = check_at_least("openai.timeout", x.timeout, 1ms))
    return p;
  if (auto p = check_at_least("openai.connect_timeout", x.connect_timeout, 1ms))
    return p;
  if (auto p
      = check_at_most("openai.max_retries", x.max_retries, max_model_retries))
    return p;
  if (x.max_concurrency == 0 || x.max_concurrency > max_model_concurrency)
    return problem{"openai.max_concurrency",
                   detail::out_of_range(std::to_string(x.max_concurrency), 1,
                                        max_model_concurrency),
                   {}};
  if (auto p = check_at_least("openai.retry_backoff_initial",
                              x.retry_backoff_initial, 1ms))
    return p;
  if (x.retry_backoff_max >= x.retry_backoff_initial)
    return std::nullopt;
  return problem{"openai.retry_backoff_max",
                 detail::render_duration(x.retry_backoff_max)
                   + " is less than openai.retry_backoff_initial ("
                   + detail::render_duration(x.retry_backoff_initial) + ")",
                 "openai.retry_backoff_initial"};
}

maybe_problem check_mcp_server(const std::string& key,
                               const mcp_server_config& x) {
  if (auto p = check(key + ".name", server_name_problem(x.name)))
    return p;
  if (auto p
      = check(key + ".command", x.command.empty() ? "must not be empty" : ""))
    return p;
  for (const auto& entry : x.env)
    if (auto p
        = check(key + ".env." + entry.first, env_name_problem(entry.first)))
      return p;
  if (x.call_timeout)
    return check_at_least(key + ".call_timeout", *x.call_timeout, 1ms);
  return std::nullopt;
}

maybe_problem check_tools(const tools_options& x) {
  if (auto p = check_at_least("tools.call_timeout", x.call_timeout, 1ms))
    return p;
  if (auto p = check_at_least("tools.startup_timeout", x.startup_timeout, 1ms))
    return p;
  std::set<std::string> names;
  for (size_t i = 0; i < x.mcp_servers.size(); ++i) {
    auto key = "tools.mcp_servers[" + std::to_string(i) + "]";
    const auto& server = x.mcp_servers[i];
    if (auto p = check_mcp_server(key, server))
      return p;
    if (!names.insert(server.name).second)
      return problem{
        key + ".name", "duplicate server name " + quote(server.name), {}};
  }
  return std::nullopt;
}

maybe_problem first_problem(const node_config& cfg) {
  if (auto p = check_node(cfg.node))
    return p;
  if (auto p = check_http(cfg.http))
    return p;
  if (auto p = check_cluster(cfg.cluster))
    return p;
  if (auto p = check("logging.level", level_problem(cfg.logging.level)))
    return p;
  if (auto p = check_supervision(cfg.supervision))
    return p;
  if (auto p = check_mailbox(cfg.mailbox))
    return p;
  if (auto p = check_openai(cfg.openai))
    return p;
  if (auto p = check_tools(cfg.tools))
    return p;
  return check_at_most("scheduler.threads", cfg.scheduler.threads, max_threads);
}

// -- schema -------------------------------------------------------------------

using field_reader = caf::error (*)(const yaml_field&, node_config&);

struct field_spec {
  std::string_view name;
  field_reader read;
  /// Takes a sequence; decides how `--set` parses its value.
  bool sequence = false;
  /// Too structured for `--set` (a list of maps): only the file sets it.
  bool file_only = false;
};

struct section_spec {
  std::string_view name;
  std::vector<field_spec> fields;
};

// The single list of keys: reading, unknown-key errors and `--set` use it.
const std::vector<section_spec>& schema() {
  static const std::vector<section_spec> result{
    {"node",
     {{"name",
       [](auto& in, auto& cfg) {
         return in.text(cfg.node.name);
       }},
      {"data_dir",
       [](auto& in, auto& cfg) {
         return in.parsed(cfg.node.data_dir, assign<fs::path>);
       }}}},
    {"http",
     {{"listen",
       [](auto& in, auto& cfg) {
         return in.parsed(cfg.http.listen, parse_address);
       }},
      {"io_threads",
       [](auto& in, auto& cfg) {
         return in.integer(cfg.http.io_threads, 1, 64);
       }},
      {"max_connections",
       [](auto& in, auto& cfg) {
         return in.integer(cfg.http.max_connections, 1, 1'000'000);
       }},
      {"max_header_bytes",
       [](auto& in, auto& cfg) {
         return in.integer(cfg.http.max_header_bytes, 1024, mib);
       }},
      {"max_uri_bytes",
       [](auto& in, auto& cfg) {
         return in.integer(cfg.http.max_uri_bytes, 256, mib);
       }},
      {"max_body_bytes",
       [](auto& in, auto& cfg) {
         return in.integer(cfg.http.max_body_bytes, 1024, 256 * mib);
       }},
      {"max_json_depth",
       [](auto& in, auto& cfg) {
         return in.integer(cfg.http.max_json_depth, 1, 1000);
       }},
      {"read_timeout",
       [](auto& in, auto& cfg) {
         return in.duration(cfg.http.read_timeout);
       }},
      {"idle_timeout",
       [](auto& in, auto& cfg) {
         return in.duration(cfg.http.idle_timeout);
       }},
      {"drain_timeout",
       [](auto& in, auto& cfg) {
         return in.duration(cfg.http.drain_timeout);
       }},
      {"ask_timeout",
       [](auto& in, auto& cfg) {
         return in.duration(cfg.http.ask_timeout);
       }},
      {"max_ask_timeout",
       [](auto& in, auto& cfg) {
         return in.duration(cfg.http.max_ask_timeout);
       }},
      {"cors_allowed_origins",
       [](auto& in, auto& cfg) {
         return in.sequence(cfg.http.cors_allowed_origins, assign<std::string>);
       },
       true},
      {"sse_heartbeat",
       [](auto& in, auto& cfg) {
         return in.duration(cfg.http.sse_heartbeat);
       }},
      {"sse_max_queued_bytes",
       [](auto& in, auto& cfg) {
         return in.integer(cfg.http.sse_max_queued_bytes, 4096, 256 * mib);
       }}}},
    {"cluster",
     {{"listen",
       [](auto& in, auto& cfg) {
         return in.parsed(cfg.cluster.listen, parse_address);
       }},
      {"advertise",
       [](auto& in, auto& cfg) {
         return in.parsed(cfg.cluster.advertise, parse_advertise);
       }},
      {"seeds",
       [](auto& in, auto& cfg) {
         return in.sequence(cfg.cluster.seeds, parse_seed);
       },
       true},
      {"membership",
       [](auto& in, auto& cfg) {
         return in.text(cfg.cluster.membership);
       }},
      {"heartbeat_interval",
       [](auto& in, auto& cfg) {
         return in.duration(cfg.cluster.heartbeat_interval);
       }},
      {"suspect_after",
       [](auto& in, auto& cfg) {
         return in.duration(cfg.cluster.suspect_after);
       }},
      {"down_after",
       [](auto& in, auto& cfg) {
         return in.duration(cfg.cluster.down_after);
       }},
      {"connect_timeout",
       [](auto& in, auto& cfg) {
         return in.duration(cfg.cluster.connect_timeout);
       }},
      {"membership_ttl",
       [](auto& in, auto& cfg) {
         return in.duration(cfg.cluster.membership_ttl);
       }}}},
    {"store",
     {{"durability",
       [](auto& in, auto& cfg) {
         return in.one_of(cfg.store.durability, durability_names);
       }},
      {"block_cache_bytes",
       [](auto& in, auto& cfg) {
         return in.integer(cfg.store.block_cache_bytes, mib, 65536 * mib);
       }},
      {"write_buffer_bytes",
       [](auto& in, auto& cfg) {
         return in.integer(cfg.store.write_buffer_bytes, mib, 4096 * mib);
       }},
      {"wal_recovery",
       [](auto& in, auto& cfg) {
         return in.one_of(cfg.store.wal_recovery, wal_recovery_names);
       }}}},
    {"memory",
     {{"max_key_bytes",
       [](auto& in, auto& cfg) {
         return in.integer(cfg.memory.max_key_bytes, 1, 64 * 1024);
       }},
      {"max_value_bytes",
       [](auto& in, auto& cfg) {
         return in.integer(cfg.memory.max_value_bytes, 1024, 64 * mib);
       }},
      {"max_turn_bytes",
       [](auto& in, auto& cfg) {
         return in.integer(cfg.memory.max_turn_bytes, 1024, 64 * mib);
       }}}},
    {"mailbox",
     {{"max_depth",
       [](auto& in, auto& cfg) {
         return in.integer(cfg.mailbox.max_depth, 1, 100'000'000);
       }},
      {"max_deliveries",
       [](auto& in, auto& cfg) {
         return in.integer(cfg.mailbox.max_deliveries, 1, 1000);
       }},
      {"delivery_timeout",
       [](auto& in, auto& cfg) {
         return in.duration(cfg.mailbox.delivery_timeout);
       }},
      {"redelivery_backoff_initial",
       [](auto& in, auto& cfg) {
         return in.duration(cfg.mailbox.redelivery_backoff_initial);
       }},
      {"redelivery_backoff_max",
       [](auto& in, auto& cfg) {
         return in.duration(cfg.mailbox.redelivery_backoff_max);
       }},
      {"idempotency_ttl",
       [](auto& in, auto& cfg) {
         return in.duration(cfg.mailbox.idempotency_ttl);
       }},
      {"max_envelope_bytes",
       [](auto& in, auto& cfg) {
         return in.integer(cfg.mailbox.max_envelope_bytes, 1024, 64 * mib);
       }}}},
    {"security",
     {{"enabled",
       [](auto& in, auto& cfg) {
         return in.boolean(cfg.security.enabled);
       }}}},
    {"logging",
     {{"level",
       [](auto& in, auto& cfg) {
         return in.text(cfg.logging.level);
       }},
      {"format",
       [](auto& in, auto& cfg) {
         return in.one_of(cfg.logging.format, format_names);
       }},
      {"file",
       [](auto& in, auto& cfg) {
         return in.parsed(cfg.logging.file, assign<fs::path>);
       }}}},
    {"supervision",
     {{"max_restarts",
       [](auto& in, auto& cfg) {
         return in.integer(cfg.supervision.max_restarts, 0, max_restarts_limit);
       }},
      {"period",
       [](auto& in, auto& cfg) {
         return in.duration(cfg.supervision.period);
       }},
      {"backoff_initial",
       [](auto& in, auto& cfg) {
         return in.duration(cfg.supervision.backoff_initial);
       }},
      {"backoff_max",
       [](auto& in, auto& cfg) {
         return in.duration(cfg.supervision.backoff_max);
       }},
      {"shutdown_timeout",
       [](auto& in, auto& cfg) {
         return in.duration(cfg.supervision.shutdown_timeout);
       }}}},
    {"scheduler",
     {{"threads",
       [](auto& in, auto& cfg) {
         return in.integer(cfg.scheduler.threads, 0, max_threads);
       }},
      {"policy",
       [](auto& in, auto& cfg) {
         return in.one_of(cfg.scheduler.policy, policy_names);
       }}}},
    {"agents",
     {{"paths",
       [](auto& in, auto& cfg) {
         return in.sequence(cfg.agents.paths, assign<fs::path>);
       },
       true}}},
    {"openai",
     {{"base_url",
       [](auto& in, auto& cfg) {
         return in.text(cfg.openai.base_url);
       }},
      {"api_key",
       [](auto& in, auto& cfg) {
         return in.text(cfg.openai.api_key);
       }},
      {"api_key_env",
       [](auto& in, auto& cfg) {
         return in.text(cfg.openai.api_key_env);
       }},
      {"timeout",
       [](auto& in, auto& cfg) {
         return in.duration(cfg.openai.timeout);
       }},
      {"connect_timeout",
       [](auto& in, auto& cfg) {
         return in.duration(cfg.openai.connect_timeout);
       }},
      {"max_retries",
       [](auto& in, auto& cfg) {
         return in.integer(cfg.openai.max_retries, 0, max_model_retries);
       }},
      {"retry_backoff_initial",
       [](auto& in, auto& cfg) {
         return in.duration(cfg.openai.retry_backoff_initial);
       }},
      {"retry_backoff_max",
       [](auto& in, auto& cfg) {
         return in.duration(cfg.openai.retry_backoff_max);
       }},
      {"max_concurrency",
       [](auto& in, auto& cfg) {
         return in.integer(cfg.openai.max_concurrency, 1,
                           max_model_concurrency);
       }}}},
    {"tools",
     {{"call_timeout",
       [](auto& in, auto& cfg) {
         return in.duration(cfg.tools.call_timeout);
       }},
      {"startup_timeout",
       [](auto& in, auto& cfg) {
         return in.duration(cfg.tools.startup_timeout);
       }},
      {"mcp_servers",
       [](auto& in, auto& cfg) { return read_mcp_servers(in, cfg.tools); },
       true, true}}},
  };
  return result;
}

const section_spec* find_section(std::string_view name) {
  const auto& xs = schema();
  auto i = std::find_if(xs.begin(), xs.end(),
                        [name](const auto& x) { return x.name == name; });
  return i != xs.end() ? &*i : nullptr;
}

const field_spec* find_field(const section_spec& section,
                             std::string_view name) {
  const auto& xs = section.fields;
  auto i = std::find_if(xs.begin(), xs.end(),
                        [name](const auto& x) { return x.name == name; });
  return i != xs.end() ? &*i : nullptr;
}

constexpr auto name_of = [](const auto& x) {
  return std::string{x.name};
};

std::string key_text(const YAML::Node& key) {
  return key.IsScalar() ? key.Scalar() : "<" + detail::describe(key) + ">";
}

std::string unknown_section(std::string_view name) {
  return "unknown section " + quote(name)
         + " (known sections: " + detail::join(schema(), ", ", name_of) + ")";
}

std::string unknown_key(const section_spec& section, std::string_view key) {
  return "unknown key " + quote(key)
         + " (known keys: " + detail::join(section.fields, ", ", name_of) + ")";
}

// -- overrides ----------------------------------------------------------------

std::string override_arg(const config_override& x) {
  return "--set " + x.key + "=" + x.value;
}

/// Where in the tree an override goes.
struct override_target {
  std::string section;
  std::string field;
  const field_spec* spec;
};

// "tools.mcp_servers" and "tools.mcp_servers[0].command" alike.
std::string file_only_problem(const section_spec& section,
                              std::string_view field_name) {
  for (const auto& field : section.fields) {
    if (!field.file_only
        || field_name.substr(0, field.name.size()) != field.name)
      continue;
    auto rest = field_name.substr(field.name.size());
    if (rest.empty() || rest.front() == '[' || rest.front() == '.')
      return "key "
             + quote(std::string{section.name} + "." + std::string{field.name})
             + " takes a list of maps and can only be set in the config file";
  }
  return {};
}

caf::expected<override_target> resolve(const std::string& key) {
  auto dot = std::min(key.find('.'), key.size());
  auto section_name = key.substr(0, dot);
  const auto* section = find_section(section_name);
  if (section == nullptr)
    return located_error("--set " + key, unknown_section(section_name));
  auto field_name = key.substr(std::min(dot + 1, key.size()));
  if (auto problem = file_only_problem(*section, field_name); !problem.empty())
    return located_error("--set " + key, problem);
  const auto* field = find_field(*section, field_name);
  if (field == nullptr)
    return located_error("--set " + key, unknown_key(*section, key));
  return override_target{section_name, field_name, field};
}

// A key that takes one value gets text that is not one YAML value verbatim,
// so "--set http.listen=[::1]:8080" stays an address instead of a list.
caf::expected<YAML::Node> override_value(const config_override& x,
                                         bool sequence) {
  try {
    auto node = YAML::Load(x.value);
    if (sequence || node.IsScalar())
      return node;
  } catch (const YAML::ParserException& ex) {
    if (sequence)
      return located_error(override_arg(x), detail::syntax_error(ex));
  }
  return YAML::Node{x.value};
}

// -- loading ------------------------------------------------------------------

caf::error file_error(const fs::path& file, const std::string& what) {
  return make_error(errc::invalid_argument,
                    "config file " + quote(file.string()) + what);
}

caf::expected<YAML::Node> parse_document(const fs::path& file,
                                         std::istream& in) {
  try {
    auto docs = YAML::LoadAll(in);
    if (docs.size() > 1)
      return file_error(file, ": expected one YAML document, found "
                                + std::to_string(docs.size()));
    return docs.empty() ? YAML::Node{} : docs.front();
  } catch (const YAML::ParserException& ex) {
    return file_error(file, ": " + detail::syntax_error(ex));
  }
}

// An empty path means no file: the defaults plus the overrides.
caf::expected<YAML::Node> read_document(const fs::path& file) {
  if (file.empty())
    return YAML::Node{};
  std::error_code ec;
  auto status = fs::status(file, ec);
  if (status.type() == fs::file_type::not_found)
    return file_error(file, " not found");
  if (ec)
    return file_error(file, " cannot be read: " + ec.message());
  if (fs::is_directory(status))
    return file_error(file, " is a directory");
  std::ifstream in{file};
  if (!in)
    return file_error(file, " cannot be opened");
  return parse_document(file, in);
}

/// Applies overrides to the YAML tree of one file and reads it into a
/// `node_config`, remembering where each value came from.
class config_reader {
public:
  config_reader(const fs::path& file, YAML::Node root)
    : source_(file.string()), root_(std::move(root)) {
    // nop
  }

  /// Checks the shape of the root and applies `overrides` to the tree.
  caf::error prepare(const std::vector<config_override>& overrides);

  /// Reads the tree into `cfg`; call after `prepare`.
  caf::error read(node_config& cfg);

  /// Renders `x` at the place that set its key.
  [[nodiscard]] caf::error locate(const problem& x) const;

private:
  std::string where_set(const problem& x) const;

  caf::error check_root() const;

  caf::error apply(const config_override& x);

  caf::error check_section(const std::string& name) const;

  caf::error expect_map(const YAML::Node& key, const YAML::Node& value) const;

  caf::error check_duplicates(const YAML::Node& map,
                              const std::string& prefix) const;

  caf::expected<const section_spec*> section_of(const YAML::Node& key,
                                                const YAML::Node& value) const;

  caf::error read_section(const YAML::Node& key, const YAML::Node& value,
                          node_config& cfg);

  caf::error read_field(const section_spec& section, const YAML::Node& key,
                        const YAML::Node& value, node_config& cfg);

  yaml_source source_;
  YAML::Node root_;
  /// Where each key that was read came from.
  std::map<std::string, std::string> seen_;
};

caf::error
config_reader::prepare(const std::vector<config_override>& overrides) {
  if (auto err = check_root())
    return err;
  for (const auto& x : overrides)
    if (auto err = apply(x))
      return err;
  return {};
}

caf::error config_reader::read(node_config& cfg) {
  if (auto err = check_duplicates(root_, ""))
    return err;
  for (const auto& entry : root_)
    if (auto err = read_section(entry.first, entry.second, cfg))
      return err;
  return {};
}

caf::error config_reader::locate(const problem& x) const {
  return located_error(where_set(x), "key " + quote(x.key) + ": " + x.text);
}

std::string config_reader::where_set(const problem& x) const {
  for (const auto* key : {&x.key, &x.related})
    if (auto i = seen_.find(*key); i != seen_.end())
      return i->second;
  // Both keys kept their defaults: nothing more precise to point at.
  return source_.file().empty() ? std::string{"config"} : source_.file();
}

caf::error config_reader::check_root() const {
  if (root_.IsMap() || root_.IsNull())
    return {};
  return located_error(source_.at(root_.Mark()),
                       "expected a map of sections, got "
                         + detail::describe(root_));
}

caf::error config_reader::apply(const config_override& x) {
  auto target = resolve(x.key);
  if (!target)
    return target.error();
  auto value = override_value(x, target->spec->sequence);
  if (!value)
    return value.error();
  if (auto err = check_section(target->section))
    return err;
  root_[target->section][target->field] = *value;
  source_.set_override(x.key, override_arg(x));
  return {};
}

// Overrides go into the file's section, so it must be a map already.
caf::error config_reader::check_section(const std::string& name) const {
  for (const auto& entry : root_)
    if (key_text(entry.first) == name)
      return expect_map(entry.first, entry.second);
  return {};
}

caf::error config_reader::expect_map(const YAML::Node& key,
                                     const YAML::Node& value) const {
  if (value.IsMap() || value.IsNull())
    return {};
  return located_error(source_.at(key.Mark()), "section " + quote(key_text(key))
                                                 + ": expected a map, got "
                                                 + detail::describe(value));
}

// yaml-cpp keeps repeated keys, and all but the first would go unread.
caf::error config_reader::check_duplicates(const YAML::Node& map,
                                           const std::string& prefix) const {
  std::set<std::string> keys;
  for (const auto& entry : map) {
    auto key = prefix + key_text(entry.first);
    if (!keys.insert(key).second)
      return located_error(source_.at(entry.first.Mark()),
                           "duplicate key " + quote(key));
  }
  return {};
}

caf::expected<const section_spec*>
config_reader::section_of(const YAML::Node& key,
                          const YAML::Node& value) const {
  const auto* section = find_section(key_text(key));
  if (section == nullptr)
    return located_error(source_.at(key.Mark()),
                         unknown_section(key_text(key)));
  if (auto err = expect_map(key, value))
    return err;
  if (auto err = check_duplicates(value, key_text(key) + "."))
    return err;
  return section;
}

caf::error config_reader::read_section(const YAML::Node& key,
                                       const YAML::Node& value,
                                       node_config& cfg) {
  auto section = section_of(key, value);
  if (!section)
    return section.error();
  for (const auto& entry : value)
    if (auto err = read_field(**section, entry.first, entry.second, cfg))
      return err;
  return {};
}

caf::error config_reader::read_field(const section_spec& section,
                                     const YAML::Node& key,
                                     const YAML::Node& value,
                                     node_config& cfg) {
  auto dotted = std::string{section.name} + "." + key_text(key);
  const auto* field = find_field(section, key_text(key));
  if (field == nullptr)
    return located_error(source_.at(key.Mark()), unknown_key(section, dotted));
  yaml_field in{source_, dotted, value, key.Mark()};
  seen_[dotted] = in.where();
  return field->read(in, cfg);
}

caf::expected<node_config> load(const fs::path& file,
                                const std::vector<config_override>& overrides) {
  auto root = read_document(file);
  if (!root)
    return root.error();
  config_reader reader{file, std::move(*root)};
  if (auto err = reader.prepare(overrides))
    return err;
  node_config cfg;
  cfg.source = file;
  if (auto err = reader.read(cfg))
    return err;
  if (auto p = first_problem(cfg))
    return reader.locate(*p);
  return cfg;
}

caf::error override_error(const std::string& arg, const std::string& what) {
  return make_error(errc::invalid_argument, "--set " + quote(arg) + ": " + what
                                              + ", expected section.key=value");
}

} // namespace

std::string to_string(const listen_address& x) {
  auto port = std::to_string(x.port);
  if (x.host.find(':') != std::string::npos)
    return "[" + x.host + "]:" + port;
  return x.host + ":" + port;
}

caf::expected<config_override> parse_override(const std::string& arg) {
  auto eq = arg.find('=');
  if (eq == std::string::npos)
    return override_error(arg, "missing '='");
  auto key = arg.substr(0, eq);
  if (key.empty())
    return override_error(arg, "empty key");
  auto dot = key.find('.');
  if (dot == 0 || dot == std::string::npos || dot + 1 == key.size())
    return override_error(arg, "no section in key " + quote(key));
  return config_override{std::move(key), arg.substr(eq + 1)};
}

std::string node_name_problem(std::string_view name) {
  return name_problem(name);
}

caf::expected<node_config>
load_node_config(const fs::path& file,
                 const std::vector<config_override>& overrides) {
  // yaml-cpp reports misuse by exceptions; none may cross this boundary.
  try {
    return load(file, overrides);
  } catch (const std::exception& ex) {
    return file_error(file, std::string{": "} + ex.what());
  }
}

caf::error validate(const node_config& cfg) {
  if (auto p = first_problem(cfg))
    return make_error(errc::invalid_argument,
                      "key " + quote(p->key) + ": " + p->text);
  return {};
}

} // namespace bsm
