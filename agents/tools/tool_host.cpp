#include "agents/tools/tool_host.hpp"

#include <algorithm>
#include <iterator>
#include <optional>

#include <spdlog/sinks/null_sink.h>

#include "agents/a2a/a2a_remote.hpp"
#include "agents/mcp/mcp_server.hpp"
#include "agents/tools/tool_names.hpp"
#include "runtime/error.hpp"
#include "runtime/messages/handled_types.hpp"

namespace bsm {

namespace {

using namespace std::chrono_literals;

/// Extra time the host gives a call on top of its timeout, so the server's
/// own, more precise deadline_exceeded usually arrives first.
constexpr auto call_margin = 1s;

std::string parent_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string{} : path.substr(0, slash);
}

std::string milliseconds_text(std::chrono::milliseconds x) {
  return std::to_string(x.count()) + "ms";
}

/// CAF's errors of a request, in the host's words.
caf::error call_error(const caf::error& err, const std::string& tool,
                      const std::string& server,
                      std::chrono::milliseconds timeout) {
  if (err == caf::sec::request_timeout)
    return make_error(errc::deadline_exceeded, "tool '" + tool
                                                 + "' did not finish within "
                                                 + milliseconds_text(timeout));
  if (err == caf::sec::request_receiver_down)
    return make_error(errc::unavailable, "MCP server '" + server
                                           + "' stopped during the call of '"
                                           + tool + "'");
  return err;
}

/// Gathers the lists of all servers for one ToolListRequest.
struct list_gather {
  caf::typed_response_promise<v1::ToolListResponse> rp;
  std::vector<std::optional<v1::ToolListResponse>> parts;
  /// Servers not running now (restarting).
  std::vector<std::string> restarting;
  size_t pending = 0;

  void finish() {
    v1::ToolListResponse result;
    for (auto& part : parts)
      if (part)
        for (auto& tool : *part->mutable_tools())
          *result.add_tools() = std::move(tool);
    for (auto& name : restarting)
      result.add_pending_servers(std::move(name));
    rp.deliver(std::move(result));
  }
};

spdlog::logger& null_logger() {
  static const auto log = std::make_shared<spdlog::logger>(
    "null", std::make_shared<spdlog::sinks::null_sink_mt>());
  return *log;
}

} // namespace

std::string mcp_server_child_name(const std::string& server) {
  return "mcp_" + server;
}

// -- state --------------------------------------------------------------------

void tool_host_state::init(tool_host_options options, const std::string& path) {
  opts = std::move(options);
  done = finished_calls{finished_calls::default_max_calls, opts.metrics};
  auto parent = parent_of(path);
  servers.clear();
  for (const auto& cfg : opts.tools.mcp_servers)
    servers.push_back(
      server{cfg.name,
             child_path(parent, mcp_server_child_name(cfg.name)),
             cfg.call_timeout.value_or(opts.tools.call_timeout),
             cfg.max_call_time.value_or(opts.tools.max_call_time),
             std::nullopt,
             {}});
  // A remote A2A agent sends no progress: its deadline is its timeout.
  for (const auto& cfg : opts.a2a_agents) {
    auto timeout = cfg.call_timeout.value_or(opts.tools.call_timeout);
    servers.push_back(
      server{cfg.name,
             child_path(parent, a2a_remote_child_name(cfg.name)),
             timeout,
             timeout,
             std::nullopt,
             {}});
  }
  for (const auto& x : opts.hosted)
    servers.push_back(server{x.name,
                             child_path(parent, x.child),
                             x.call_timeout,
                             x.call_timeout,
                             std::nullopt,
                             {}});
}

bool tool_host_state::any_restarting(
  const std::vector<std::string>& names) const {
  for (const auto& s : servers)
    if (std::find(names.begin(), names.end(), s.name) != names.end()
        && !opts.names->get(s.path))
      return true;
  return false;
}

tool_host_state::server* tool_host_state::find(const std::string& server_name) {
  auto i = std::find_if(servers.begin(), servers.end(),
                        [&](const server& s) { return s.name == server_name; });
  return i != servers.end() ? &*i : nullptr;
}

caf::expected<tool_host_state::route>
tool_host_state::resolve(const v1::ToolCallRequest& req) {
  auto parts = mcp::split_tool_name(req.name());
  if (!parts)
    return make_error(errc::not_found,
                      "no tool '" + req.name()
                        + "' (tool names are <server>__<tool>)");
  auto* s = find(std::string{parts->first});
  if (s == nullptr)
    return make_error(errc::not_found, "no MCP server '"
                                         + std::string{parts->first}
                                         + "' for tool '" + req.name() + "'");
  auto target = opts.names->get(s->path);
  if (!target)
    return make_error(errc::unavailable,
                      "MCP server '" + s->name + "' is restarting");
  // The caller's deadline (an agent's time left) can only shorten the
  // server's call_timeout.
  auto timeout
    = req.timeout_ms() > 0
        ? std::min(std::chrono::milliseconds{req.timeout_ms()}, s->call_timeout)
        : s->call_timeout;
  auto max_time = req.timeout_ms() > 0
                    ? std::min(std::chrono::milliseconds{req.timeout_ms()},
                               s->max_call_time)
                    : s->max_call_time;
  return route{std::move(*target), s->name, timeout,
               std::max(timeout, max_time)};
}

void tool_host_state::keep(const std::string& server_name,
                           const caf::actor_addr& from,
                           v1::ToolListResponse tools) {
  if (auto* s = find(server_name)) {
    s->tools = std::move(tools);
    s->listed_by = from;
  }
}

const v1::ToolListResponse*
tool_host_state::cached(const server& s, const caf::actor& running) const {
  if (!s.tools || s.listed_by != running.address())
    return nullptr;
  return &*s.tools;
}

spdlog::logger& tool_host_state::log() const {
  return opts.log ? *opts.log : null_logger();
}

// -- behavior -----------------------------------------------------------------

namespace {

// Answers `rp` with the tools of every running server.
void gather_tools(tool_host_pointer self,
                  caf::typed_response_promise<v1::ToolListResponse> rp) {
  auto& st = self->state;
  auto gather = std::make_shared<list_gather>();
  gather->rp = std::move(rp);
  gather->parts.resize(st.servers.size());
  for (size_t i = 0; i < st.servers.size(); ++i) {
    const auto& s = st.servers[i];
    auto running = st.opts.names->get(s.path);
    if (!running) {
      // Restarting: its tools come back with it.
      gather->restarting.push_back(s.name);
      continue;
    }
    if (const auto* tools = st.cached(s, *running)) {
      gather->parts[i] = *tools;
      continue;
    }
    ++gather->pending;
    auto from = running->address();
    self
      ->request(caf::actor_cast<mcp_server_actor>(*running),
                st.opts.tools.startup_timeout, v1::ToolListRequest{})
      .then(
        [self, gather, i, from, name = s.name](v1::ToolListResponse& resp) {
          self->state.keep(name, from, resp);
          gather->parts[i] = std::move(resp);
          if (--gather->pending == 0)
            gather->finish();
        },
        [self, gather, name = s.name](caf::error& err) {
          self->state.log().warn("MCP server '{}' did not list its tools: {}",
                                 name, render(err));
          if (--gather->pending == 0)
            gather->finish();
        });
  }
  if (gather->pending == 0)
    gather->finish();
}

// A request naming servers that restart waits for them (parked) until
// they are back or its wait is over; the others are answered at once.
caf::result<v1::ToolListResponse> list_tools(tool_host_pointer self,
                                             const v1::ToolListRequest& req) {
  auto& st = self->state;
  auto rp = self->make_response_promise<v1::ToolListResponse>();
  std::vector<std::string> wanted{req.wait_for_servers().begin(),
                                  req.wait_for_servers().end()};
  if (req.wait_ms() == 0 || !st.any_restarting(wanted)) {
    gather_tools(self, rp);
    return rp;
  }
  auto id = st.next_parked_id++;
  st.parked.push_back({id, std::move(wanted), rp});
  self->delayed_send(self, std::chrono::milliseconds{req.wait_ms()},
                     atom::tick::value, id);
  return rp;
}

// Answers the parked requests whose servers all run now (or, with `id`,
// that one whatever it waits for).
void release_parked(tool_host_pointer self, std::optional<uint64_t> id) {
  auto& parked = self->state.parked;
  auto ready = [&](const tool_host_state::parked_list& x) {
    return id ? x.id == *id : !self->state.any_restarting(x.servers);
  };
  auto i = std::stable_partition(parked.begin(), parked.end(),
                                 [&](const auto& x) { return !ready(x); });
  std::vector<tool_host_state::parked_list> done{
    std::make_move_iterator(i), std::make_move_iterator(parked.end())};
  parked.erase(i, parked.end());
  for (auto& x : done)
    gather_tools(self, std::move(x.rp));
}

caf::result<v1::ToolCallResponse> call_tool(tool_host_pointer self,
                                            v1::ToolCallRequest req) {
  auto& st = self->state;
  if (const auto* resp = st.done.find(req.idempotency_key()))
    return *resp;
  auto route = st.resolve(req);
  if (!route)
    return std::move(route.error());
  req.set_timeout_ms(static_cast<uint32_t>(route->timeout.count()));
  req.set_max_time_ms(static_cast<uint32_t>(route->max_time.count()));
  auto rp = self->make_response_promise<v1::ToolCallResponse>();
  auto key = req.idempotency_key();
  auto tool = req.name();
  self
    ->request(caf::actor_cast<mcp_server_actor>(route->target),
              route->max_time + call_margin, std::move(req))
    .then(
      [self, rp, key](v1::ToolCallResponse& resp) mutable {
        // A repeated call spent no tokens.
        auto recorded = resp;
        recorded.clear_sampling_usage();
        self->state.done.record(key, recorded);
        rp.deliver(std::move(resp));
      },
      [rp, tool, server = route->server,
       timeout = route->max_time](caf::error& err) mutable {
        rp.deliver(call_error(err, tool, server, timeout));
      });
  return rp;
}

} // namespace

tool_host_internal_actor::behavior_type
tool_host(tool_host_pointer self, tool_host_options opts, std::string path) {
  self->state.init(std::move(opts), path);
  return {
    [self](const v1::ToolListRequest& req) { return list_tools(self, req); },
    [self](const v1::ToolCallRequest& req) { return call_tool(self, req); },
    [self](atom::tools_changed, const std::string& name,
           v1::ToolListResponse& tools) {
      auto from = caf::actor_cast<caf::actor_addr>(self->current_sender());
      self->state.keep(name, from, std::move(tools));
      release_parked(self, std::nullopt);
    },
    [self](atom::tick, uint64_t id) { release_parked(self, id); },
  };
}

// -- supervision --------------------------------------------------------------

child_spec tool_host_child(tool_host_options opts,
                           const supervision_options& sup,
                           supervision_env env) {
  supervisor_options tools;
  tools.strategy = restart_strategy::one_for_one;
  // Never escalate: tool servers restart with backoff for as long as they
  // fail, and the rest of the node keeps running.
  tools.max_restarts = 10'000;
  tools.period = std::chrono::minutes{1};
  tools.backoff_initial = sup.backoff_initial;
  tools.backoff_max = sup.backoff_max;
  tools.tree_timeout = sup.tree_timeout;
  // A server stops in at most two grace periods; a start in progress
  // (up to startup_timeout) finishes first.
  auto server_stop = 2 * opts.stop_grace + opts.tools.startup_timeout + 1s;
  for (const auto& cfg : opts.tools.mcp_servers) {
    mcp_server_options server;
    server.server = cfg;
    server.call_timeout = cfg.call_timeout.value_or(opts.tools.call_timeout);
    server.max_call_time = cfg.max_call_time.value_or(opts.tools.max_call_time);
    server.startup_timeout = opts.tools.startup_timeout;
    server.stop_grace = opts.stop_grace;
    server.poll_interval = opts.poll_interval;
    server.names = opts.names;
    server.log = opts.log;
    child_spec spec;
    spec.name = mcp_server_child_name(cfg.name);
    spec.handles = handled_types<mcp_server_actor>();
    spec.shutdown_timeout = std::max(sup.shutdown_timeout, server_stop);
    spec.start
      = [server](caf::actor_system& sys,
                 const std::string& path) -> caf::expected<caf::actor> {
      auto with_host = server;
      with_host.host_path = child_path(parent_of(path), tool_host_name);
      return caf::actor_cast<caf::actor>(
        spawn_mcp_server(sys, std::move(with_host)));
    };
    tools.children.push_back(std::move(spec));
  }
  for (const auto& cfg : opts.a2a_agents) {
    a2a_remote_options remote;
    remote.agent = cfg;
    remote.call_timeout = cfg.call_timeout.value_or(opts.tools.call_timeout);
    remote.startup_timeout = opts.tools.startup_timeout;
    remote.names = opts.names;
    remote.log = opts.log;
    child_spec spec;
    spec.name = a2a_remote_child_name(cfg.name);
    spec.handles = handled_types<mcp_server_actor>();
    // A call in progress (up to its call_timeout) finishes first.
    spec.shutdown_timeout
      = std::max(sup.shutdown_timeout, remote.call_timeout + 1s);
    spec.start
      = [remote](caf::actor_system& sys,
                 const std::string& path) -> caf::expected<caf::actor> {
      auto with_host = remote;
      with_host.host_path = child_path(parent_of(path), tool_host_name);
      return caf::actor_cast<caf::actor>(
        spawn_a2a_remote(sys, std::move(with_host)));
    };
    tools.children.push_back(std::move(spec));
  }
  for (const auto& x : opts.hosted) {
    child_spec spec;
    spec.name = x.child;
    spec.handles = handled_types<mcp_server_actor>();
    // A call in progress (up to its call_timeout) finishes first.
    spec.shutdown_timeout = std::max(sup.shutdown_timeout, x.call_timeout + 1s);
    spec.start = x.start;
    tools.children.push_back(std::move(spec));
  }
  child_spec host;
  host.name = tool_host_name;
  host.handles = handled_types<tool_host_actor>();
  host.shutdown_timeout = sup.shutdown_timeout;
  host.start = [opts](caf::actor_system& sys,
                      const std::string& path) -> caf::expected<caf::actor> {
    return caf::actor_cast<caf::actor>(sys.spawn(tool_host, opts, path));
  };
  tools.children.push_back(std::move(host));
  return supervisor_child(tools_supervisor_name, std::move(tools),
                          std::move(env));
}

} // namespace bsm
