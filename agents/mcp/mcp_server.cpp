#include "agents/mcp/mcp_server.hpp"

#include <algorithm>

#include <caf/send.hpp>

#include "agents/tools/tool_names.hpp"
#include "runtime/error.hpp"
#include "runtime/error_context.hpp"
#include "runtime/logging/logger.hpp"

namespace bsm {

namespace {

spdlog::logger& null_logger() {
  static const auto log = make_null_logger();
  return *log;
}

} // namespace

mcp_server_state::~mcp_server_state() {
  if (!client)
    return;
  auto how = client->shutdown(opts.stop_grace);
  log().info("MCP server '{}' stopped ({})", opts.server.name, how);
}

spdlog::logger& mcp_server_state::log() const {
  return opts.log ? *opts.log : null_logger();
}

caf::expected<std::unique_ptr<mcp::client>>
mcp_server_state::connect(mcp::client_options copts) {
  const auto& cfg = opts.server;
  if (!cfg.url.empty()) {
    mcp::http_transport_options http;
    http.url = cfg.url;
    for (const auto& [header, value] : cfg.headers) {
      auto expanded = mcp::expand_env_refs(value, opts.environment);
      if (!expanded)
        return in_context(expanded.error(), "header " + header + ": ");
      http.headers.emplace_back(header, std::move(*expanded));
    }
    if (cfg.auth) {
      auto authorizer = make_authorizer(*cfg.auth);
      if (!authorizer)
        return authorizer.error();
      http.authorizer = std::move(*authorizer);
    }
    return mcp::client::connect_http(std::move(http), std::move(copts),
                                     opts.startup_timeout);
  }
  const auto& server = cfg.name;
  mcp::spawn_options spawn;
  spawn.command = cfg.command;
  spawn.args = cfg.args;
  spawn.env = cfg.env;
  // The drain thread outlives nothing it captures: the logger is shared.
  spawn.on_stderr = [log = opts.log, server](std::string_view line) {
    if (log)
      log->info("MCP server '{}' stderr: {}", server, line);
  };
  return mcp::client::connect(std::move(spawn), std::move(copts),
                              opts.startup_timeout);
}

caf::expected<std::shared_ptr<mcp::http_authorizer>>
mcp_server_state::make_authorizer(const mcp_auth_config& auth) {
  auto credentials = resolve_mcp_auth(auth, opts.environment);
  if (!credentials)
    return in_context(credentials.error(), "auth: ");
  mcp::oauth::token_source_options source;
  source.server_url = opts.server.url;
  source.credentials = std::move(*credentials);
  source.log = [log = opts.log, server = opts.server.name](std::string_view x) {
    if (log)
      log->info("MCP server '{}': {}", server, x);
  };
  auto made = mcp::oauth::token_source::make(std::move(source));
  if (!made)
    return in_context(made.error(), "auth: ");
  return std::shared_ptr<mcp::http_authorizer>{std::move(*made)};
}

caf::error mcp_server_state::start() {
  const auto& server = opts.server.name;
  mcp::client_options copts;
  copts.version = BSM_VERSION;
  copts.log = [log = opts.log, server](std::string_view what) {
    if (log)
      log->debug("MCP server '{}': {}", server, what);
  };
  mcp::install_client_features(
    copts, opts.server,
    {self != nullptr ? &self->system() : nullptr, opts.names}, running);
  auto started = std::chrono::steady_clock::now();
  auto connected = connect(std::move(copts));
  if (!connected)
    return in_context(connected.error(),
                      "MCP server '" + server + "' did not start: ");
  client = std::move(*connected);
  if (auto err = relist())
    return in_context(err, "MCP server '" + server + "' did not list tools: ");
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
    std::chrono::steady_clock::now() - started);
  auto* proc = client->process();
  log().info(
    "MCP server '{}' started: {}, {} {}, protocol {}, {} tools "
    "in {}ms",
    server,
    proc != nullptr
      ? "pid " + std::to_string(proc->pid())
      : "url " + opts.server.url.substr(0, opts.server.url.find_first_of("?#")),
    client->server().name, client->server().version,
    client->server().protocol_version, tools.tools_size(), took.count());
  return caf::none;
}

caf::error mcp_server_state::relist() {
  const auto& server = opts.server.name;
  client->take_tools_changed();
  auto listed = client->list_tools(opts.call_timeout);
  if (!listed)
    return listed.error();
  v1::ToolListResponse fresh;
  std::map<std::string, std::string> names;
  for (const auto& tool : *listed) {
    auto exposed = mcp::exposed_tool_name(server, tool.name);
    if (!exposed) {
      log().warn("MCP server '{}': skipped tool '{}': '{}{}{}' would be "
                 "longer than {} characters",
                 server, tool.name, server, mcp::tool_separator, tool.name,
                 mcp::max_tool_name_length);
      continue;
    }
    if (auto [i, added] = names.emplace(*exposed, tool.name); !added) {
      log().warn("MCP server '{}': skipped tool '{}': its name '{}' is taken "
                 "by tool '{}'",
                 server, tool.name, *exposed, i->second);
      continue;
    }
    if (exposed->compare(server.size() + mcp::tool_separator.size(),
                         std::string::npos, tool.name)
        != 0)
      log().info("MCP server '{}': tool '{}' is named '{}' for models", server,
                 tool.name, *exposed);
    auto* spec = fresh.add_tools();
    spec->set_name(*exposed);
    spec->set_description(tool.description);
    spec->set_parameters_json(tool.input_schema_json);
  }
  tools = std::move(fresh);
  originals = std::move(names);
  push_tools();
  return caf::none;
}

void mcp_server_state::push_tools() {
  if (!opts.names || opts.host_path.empty() || self == nullptr)
    return;
  if (auto host = opts.names->get(opts.host_path))
    self->send(caf::actor_cast<tool_list_sink_actor>(*host),
               atom::tools_changed::value, opts.server.name, tools);
}

caf::expected<v1::ToolListResponse> mcp_server_state::list() {
  if (client->take_tools_changed())
    if (auto err = relist())
      return err;
  return tools;
}

caf::expected<v1::ToolCallResponse>
mcp_server_state::call(const v1::ToolCallRequest& req) {
  auto i = originals.find(req.name());
  if (i == originals.end() && client->take_tools_changed()) {
    if (auto err = relist())
      return err;
    i = originals.find(req.name());
  }
  if (i == originals.end())
    return make_error(errc::not_found, "no tool '" + req.name()
                                         + "' on MCP server '"
                                         + opts.server.name + "'");
  auto timeout = req.timeout_ms() > 0
                   ? std::chrono::milliseconds{req.timeout_ms()}
                   : opts.call_timeout;
  auto max_time = req.max_time_ms() > 0
                    ? std::chrono::milliseconds{req.max_time_ms()}
                    : opts.max_call_time;
  *running = mcp::running_call{req,
                               i->second,
                               std::chrono::steady_clock::now()
                                 + std::max(timeout, max_time),
                               {},
                               {}};
  auto result
    = client->call_tool(i->second, req.arguments_json(), timeout, max_time);
  auto usage = std::move((*running)->sampling_usage);
  auto questions = std::move((*running)->questions);
  running->reset();
  if (!result)
    return in_context(result.error(), "tool '" + req.name() + "': ");
  v1::ToolCallResponse resp;
  *resp.mutable_sampling_usage() = std::move(usage);
  for (auto& q : questions)
    *resp.add_questions() = std::move(q);
  resp.set_content(std::move(result->content));
  resp.set_is_error(result->is_error);
  resp.set_structured_json(std::move(result->structured_json));
  return resp;
}

caf::error mcp_server_state::poll() {
  if (auto err = client->poll())
    return err;
  if (client->take_tools_changed())
    return relist();
  return caf::none;
}

caf::error mcp_server_state::broken() const {
  if (client->usable())
    return caf::none;
  // Ask for the reason the same way any call would get it.
  return client->poll();
}

mcp_server_actor::behavior_type mcp_server(mcp_server_pointer self,
                                           mcp_server_options opts) {
  self->state.self = self;
  self->state.opts = std::move(opts);
  if (auto err = self->state.start()) {
    self->state.log().warn("{}", render(err));
    self->quit(err);
    return mcp_server_actor::behavior_type::make_empty_behavior();
  }
  self->delayed_send(self, self->state.opts.poll_interval,
                     atom::mcp_poll::value);
  // A dead server ends the actor after the answer, so its supervisor
  // restarts it.
  auto end_if_broken = [self] {
    if (auto err = self->state.broken())
      self->quit(err);
  };
  return {
    [self, end_if_broken](
      const v1::ToolListRequest&) -> caf::result<v1::ToolListResponse> {
      auto rp = self->make_response_promise<v1::ToolListResponse>();
      auto result = self->state.list();
      if (result)
        rp.deliver(std::move(*result));
      else
        rp.deliver(result.error());
      end_if_broken();
      return rp;
    },
    [self, end_if_broken](
      const v1::ToolCallRequest& req) -> caf::result<v1::ToolCallResponse> {
      auto rp = self->make_response_promise<v1::ToolCallResponse>();
      auto result = self->state.call(req);
      if (result)
        rp.deliver(std::move(*result));
      else
        rp.deliver(result.error());
      end_if_broken();
      return rp;
    },
    [self, end_if_broken](atom::mcp_poll) {
      if (auto err = self->state.poll())
        self->state.log().warn("MCP server '{}': {}",
                               self->state.opts.server.name, render(err));
      end_if_broken();
      self->delayed_send(self, self->state.opts.poll_interval,
                         atom::mcp_poll::value);
    },
  };
}

mcp_server_actor spawn_mcp_server(caf::actor_system& sys,
                                  mcp_server_options opts) {
  return sys.spawn<caf::detached>(mcp_server, std::move(opts));
}

} // namespace bsm
