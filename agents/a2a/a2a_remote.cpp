#include "agents/a2a/a2a_remote.hpp"

#include <caf/send.hpp>

#include "runtime/error.hpp"
#include "runtime/error_context.hpp"
#include "runtime/logging/logger.hpp"
#include "runtime/mailbox/message_id.hpp"

namespace bsm {

namespace {

spdlog::logger& null_logger() {
  static const auto log = make_null_logger();
  return *log;
}

} // namespace

std::string a2a_remote_child_name(const std::string& name) {
  return "a2a_" + name;
}

spdlog::logger& a2a_remote_state::log() const {
  return opts.log ? *opts.log : null_logger();
}

caf::error a2a_remote_state::start() {
  const auto& agent = opts.agent;
  headers.clear();
  for (const auto& [header, value] : agent.headers) {
    auto expanded = mcp::expand_env_refs(value, opts.environment);
    if (!expanded)
      return in_context(expanded.error(), "A2A agent '" + agent.name
                                            + "': header " + header + ": ");
    headers.emplace_back(header, std::move(*expanded));
  }
  auto request = a2a::http_request{
    a2a::card_url(agent.url), {}, headers, opts.startup_timeout};
  request.headers.emplace_back("A2A-Version", "1.0");
  auto fetched = http.exchange(request);
  if (!fetched)
    return in_context(fetched.error(),
                      "A2A agent '" + agent.name + "': its card: ");
  auto read = a2a::read_card(*fetched);
  if (!read)
    return in_context(read.error(), "A2A agent '" + agent.name + "': ");
  card = std::move(*read);
  tools.Clear();
  *tools.add_tools() = a2a::ask_tool(agent.name, card);
  log().info("A2A agent '{}' ready: '{}' at {} (A2A {})", agent.name, card.name,
             card.endpoint.substr(0, card.endpoint.find('?')),
             card.v1 ? "1.0" : "0.3");
  if (opts.names && !opts.host_path.empty())
    if (auto host = opts.names->get(opts.host_path))
      self->send(caf::actor_cast<tool_list_sink_actor>(*host),
                 atom::tools_changed::value, agent.name, tools);
  return caf::none;
}

caf::expected<v1::ToolCallResponse>
a2a_remote_state::call(const v1::ToolCallRequest& req) {
  if (tools.tools_size() == 0 || req.name() != tools.tools(0).name())
    return make_error(errc::not_found, "no tool '" + req.name()
                                         + "' of A2A agent '" + opts.agent.name
                                         + "'");
  auto ask = a2a::read_ask(req.arguments_json());
  if (!ask)
    return in_context(ask.error(), "tool '" + req.name() + "': ");
  auto body
    = a2a::send_request(*ask, card, next_request_id++, "m-" + new_message_id());
  auto request = a2a::http_request{
    card.endpoint,
    body.dump(-1, ' ', false, a2a::json::error_handler_t::replace), headers,
    req.timeout_ms() > 0 ? std::chrono::milliseconds{req.timeout_ms()}
                         : opts.call_timeout};
  request.headers.emplace_back("A2A-Version", card.v1 ? "1.0" : "0.3");
  auto response = http.exchange(request);
  if (!response)
    return in_context(response.error(), "tool '" + req.name() + "': ");
  auto answer = a2a::read_answer(*response);
  if (!answer) {
    // What the remote agent said went wrong is for the model to see.
    v1::ToolCallResponse failed;
    failed.set_content(render(answer.error()));
    failed.set_is_error(true);
    return failed;
  }
  return a2a::tool_result(*answer);
}

mcp_server_actor::behavior_type a2a_remote(a2a_remote_pointer self,
                                           a2a_remote_options opts) {
  self->state.self = self;
  self->state.opts = std::move(opts);
  if (auto err = self->state.start()) {
    self->state.log().warn("{}", render(err));
    self->quit(err);
    return mcp_server_actor::behavior_type::make_empty_behavior();
  }
  return {
    [self](const v1::ToolListRequest&) -> v1::ToolListResponse {
      return self->state.tools;
    },
    [self](
      const v1::ToolCallRequest& req) -> caf::result<v1::ToolCallResponse> {
      auto result = self->state.call(req);
      if (!result)
        return std::move(result.error());
      return std::move(*result);
    },
    // Only MCP servers poll; nobody sends it here.
    [](atom::mcp_poll) {},
  };
}

mcp_server_actor spawn_a2a_remote(caf::actor_system& sys,
                                  a2a_remote_options opts) {
  return sys.spawn<caf::detached>(a2a_remote, std::move(opts));
}

} // namespace bsm
