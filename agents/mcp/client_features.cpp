#include "agents/mcp/client_features.hpp"

#include <algorithm>
#include <cmath>

#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <nlohmann/json.hpp>

#include "actors/event_bus.hpp"
#include "actors/interfaces.hpp"
#include "agents/mcp/sampling.hpp"
#include "agents/models/model_provider.hpp"
#include "runtime/clock.hpp"
#include "runtime/error.hpp"

namespace bsm::mcp {

namespace {

using namespace std::chrono_literals;

/// JSON-RPC: the request is not valid here (sampling outside a call).
constexpr int64_t rpc_invalid_request = -32600;
constexpr int64_t rpc_internal_error = -32603;

std::optional<caf::actor> lookup(const client_features_env& env,
                                 const std::string& path) {
  if (!env.names)
    return std::nullopt;
  auto found = env.names->get(path);
  if (!found)
    return std::nullopt;
  return std::move(*found);
}

void add(v1::TokenUsage& sum, const v1::TokenUsage& x) {
  sum.set_prompt_tokens(sum.prompt_tokens() + x.prompt_tokens());
  sum.set_completion_tokens(sum.completion_tokens() + x.completion_tokens());
  sum.set_total_tokens(sum.prompt_tokens() + sum.completion_tokens());
}

rpc_answer sample(const client_features_env& env, const std::string& server,
                  running_call& call, const std::string& params_json) {
  const auto& model = call.request.model();
  if (!call.request.has_model() || model.provider().empty())
    return rpc_answer::error(rpc_invalid_request,
                             "sampling needs a tool call of an agent (its "
                             "model answers)");
  auto req = sampling_request(params_json, model);
  if (!req)
    return rpc_answer::error(rpc_invalid_params, render(req.error()));
  auto provider = lookup(env, model_provider_path);
  if (!provider || env.sys == nullptr)
    return rpc_answer::error(rpc_internal_error,
                             "no model provider is running");
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
    call.deadline - std::chrono::steady_clock::now());
  left = std::max(left, std::chrono::milliseconds{1});
  req->set_timeout_ms(static_cast<uint32_t>(left.count()));
  req->set_request_id("mcp-sampling-" + server);
  rpc_answer out;
  caf::scoped_actor blocking{*env.sys};
  blocking
    ->request(caf::actor_cast<model_provider_actor>(*provider), left + 1s,
              std::move(*req))
    .receive(
      [&](v1::ModelResponse& resp) {
        add(call.sampling_usage, resp.usage());
        out = rpc_answer::ok(sampling_result(resp));
      },
      [&](caf::error& err) {
        out = rpc_answer::error(rpc_internal_error,
                                "the model failed: " + render(err));
      });
  return out;
}

// Asks the caller of the call's turn through its agent; blocks until the
// question is settled (answered, declined at its deadline, or cancelled
// with the turn).
rpc_answer ask_caller(const client_features_env& env,
                      const mcp_server_config& cfg, running_call& call,
                      const form_request& form) {
  const auto& req = call.request;
  auto declined = answer_of_question("decline", "");
  auto agent
    = req.agent().empty() ? std::nullopt : lookup(env, agent_path(req.agent()));
  if (!agent || req.turn_id().empty() || env.sys == nullptr)
    return declined;
  auto now = std::chrono::steady_clock::now();
  auto wait = std::min<std::chrono::milliseconds>(
    cfg.ask_timeout, std::chrono::duration_cast<std::chrono::milliseconds>(
                       call.deadline - now - 1s));
  if (wait <= 0ms)
    return declined;
  v1::QuestionAskRequest ask;
  auto* q = ask.mutable_question();
  q->set_session_id(req.session_id());
  q->set_turn_id(req.turn_id());
  q->set_server(cfg.name);
  q->set_tool(call.tool);
  q->set_message(form.message);
  q->set_schema_json(form.schema_json);
  q->set_deadline_unix_ms(unix_now_ms() + wait.count());
  rpc_answer out = declined;
  caf::scoped_actor blocking{*env.sys};
  blocking
    ->request(caf::actor_cast<agent_actor>(*agent), wait + 5s, std::move(ask))
    .receive(
      [&](v1::Question& settled) {
        out = answer_of_question(settled.action(), settled.content_json());
        call.questions.push_back(std::move(settled));
      },
      [&](caf::error&) {});
  return out;
}

// 2 rather than 2.0, as the server most likely sent it.
nlohmann::json number(double x) {
  if (std::isfinite(x) && std::floor(x) == x && std::abs(x) < 1e15)
    return static_cast<int64_t>(x);
  return x;
}

void publish_progress(const client_features_env& env, const std::string& server,
                      const running_call& call, const progress_update& update) {
  auto bus = lookup(env, event_bus_path);
  if (!bus)
    return;
  const auto& req = call.request;
  nlohmann::json data{
    {"agent", req.agent()},     {"session_id", req.session_id()},
    {"turn_id", req.turn_id()}, {"server", server},
    {"tool", call.tool},        {"progress", number(update.progress)}};
  if (update.total)
    data["total"] = number(*update.total);
  if (!update.message.empty())
    data["message"] = update.message;
  v1::PublishRequest pub;
  auto* ev = pub.mutable_event();
  ev->set_topic("mcp.progress");
  ev->set_time_unix_ms(unix_now_ms());
  ev->set_source("tools/mcp_" + server);
  ev->set_data_json(
    data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  caf::anon_send(caf::actor_cast<event_bus_actor>(*bus), std::move(pub));
}

// To the calling agent, which shows it in a streamed turn.
void tell_agent(const client_features_env& env, const std::string& server,
                const running_call& call, const progress_update& update) {
  const auto& req = call.request;
  if (req.agent().empty() || req.turn_id().empty())
    return;
  auto agent = lookup(env, agent_path(req.agent()));
  if (!agent)
    return;
  v1::ToolProgress progress;
  progress.set_agent(req.agent());
  progress.set_turn_id(req.turn_id());
  progress.set_server(server);
  progress.set_tool(call.tool);
  progress.set_progress(update.progress);
  progress.set_total(update.total.value_or(0));
  progress.set_message(update.message);
  caf::anon_send(caf::actor_cast<agent_actor>(*agent), std::move(progress));
}

} // namespace

void install_client_features(client_options& copts,
                             const mcp_server_config& cfg,
                             client_features_env env, running_call_slot call) {
  copts.on_elicitation = [env, call, cfg](const std::string& params) {
    if (cfg.elicitation != elicitation_policy::ask)
      return answer_elicitation(cfg.elicitation, params);
    auto form = parse_form_request(params);
    if (auto* answer = std::get_if<rpc_answer>(&form))
      return std::move(*answer);
    if (!*call)
      return answer_of_question("decline", "");
    return ask_caller(env, cfg, **call, std::get<form_request>(form));
  };
  if (cfg.allow_sampling)
    copts.on_sampling = [env, call,
                         server = cfg.name](const std::string& params) {
      if (!*call)
        return rpc_answer::error(rpc_invalid_request,
                                 "sampling needs a tool call of an agent (its "
                                 "model answers)");
      return sample(env, server, **call, params);
    };
  if (!cfg.roots.empty())
    copts.roots = cfg.roots;
  copts.on_progress
    = [env, call, server = cfg.name](const progress_update& update) {
        if (!*call)
          return;
        publish_progress(env, server, **call, update);
        tell_agent(env, server, **call, update);
      };
}

} // namespace bsm::mcp
