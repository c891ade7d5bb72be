#include "http_api/routes.hpp"

#include <stdexcept>

#include "http_api/budget_routes.hpp"
#include "http_api/dashboard.hpp"
#include "http_api/handlers.hpp"
#include "http_api/openapi.hpp"
#include "http_api/task_routes.hpp"
#include "http_api/workflow_routes.hpp"
#include "runtime/error.hpp"
#include "runtime/http/error_response.hpp"

namespace bsm {

namespace {

http_route from_memory(
  std::string_view needs,
  std::function<void(const http_bridge_env&, const http::exchange_ptr&)> f) {
  http_route result;
  result.permission = permission(needs);
  result.from_memory = std::move(f);
  return result;
}

http_route by_actor(
  std::string_view needs,
  std::function<void(http_bridge_pointer, const http::exchange_ptr&)> f) {
  http_route result;
  result.permission = permission(needs);
  result.by_actor = std::move(f);
  return result;
}

// Counts in the principal's limit of concurrent chats or streams.
http_route counted(http_route::concurrency group, http_route route) {
  route.counts_in = group;
  return route;
}

// Answers the text `*body` holds by the time the first request comes (the
// document of the table the route is in).
std::function<void(const http_bridge_env&, const http::exchange_ptr&)>
serve_text(std::shared_ptr<const std::string> body) {
  return [body](const http_bridge_env&, const http::exchange_ptr& ex) {
    ex->respond(
      http::make_json_response(boost::beast::http::status::ok, *body));
  };
}

// The OpenAI-compatible routes answer errors in OpenAI's shape.
http_route openai(http_route route) {
  route.respond_error = http_handlers::respond_openai_error;
  return route;
}

} // namespace

security::permission_template permission(std::string_view text) {
  auto result = security::permission_template::parse(text);
  if (!result)
    throw std::invalid_argument(render(result.error()));
  return std::move(*result);
}

std::shared_ptr<const http_routes> make_http_routes() {
  using boost::beast::http::verb;
  using doc = http::route_doc;
  namespace h = http_handlers;
  auto routes = std::make_shared<http_routes>();
  // Each route with the one permission it needs (runtime/security/
  // permission_template.hpp): {x} is a path parameter, <x> a part the
  // handler reads from the body and checks again; and with what it reads
  // and answers (route_doc.hpp), for /openapi.json and the front.
  auto add
    = [&routes](verb method, std::string pattern, http_route route, doc about) {
        route.doc = std::move(about);
        routes->add(method, std::move(pattern), std::move(route));
      };
  using limit = http_route::concurrency;
  const auto json_or_protobuf = http::body_kind::json_or_protobuf;
  auto openapi_text = std::make_shared<std::string>();
  add(verb::get, "/healthz", from_memory("open", h::healthz),
      doc("Whether the node runs").returns("Health"));
  add(verb::get, "/metrics", from_memory("metrics:read", h::metrics),
      doc("Prometheus metrics (open with security.metrics_open)")
        .as("text/plain"));
  add(verb::get, "/readyz", by_actor("open", h::readyz),
      doc("Whether the node serves: its tree runs, its cluster joined")
        .returns("Ready"));
  add(verb::get, "/openapi.json",
      from_memory("openapi:read", serve_text(openapi_text)),
      doc("This document (open with security.openapi_open)")
        .returns("OpenApiDocument"));
  add(verb::get, "/v1/actors", by_actor("actors:read", h::list_actors),
      doc("The named actors and their mailbox depth").returns("ActorList"));
  add(verb::post, "/v1/actors/{name}/messages",
      by_actor("actors:{name}:inject:<type>", h::post_message),
      doc("Tell (202) or ask (200) an actor a typed message")
        .takes("MessageRequest", json_or_protobuf)
        .returns("MessageAnswer")
        .also(202)
        .fails({409, 422, 504}));
  add(verb::get, "/v1/tree", by_actor("actors:read", h::tree),
      doc("The supervision tree (text for Accept: text/plain)")
        .returns("TreeNode"));
  add(verb::get, "/v1/deadletters",
      by_actor("deadletters:read", h::list_dead_letters),
      doc("This node's dead letters, paged")
        .returns("DeadLetterList")
        .param("actor", "string", "only this actor's")
        .param("limit", "integer", "1..1000, default 100")
        .param("after", "string", "the last id of the previous page"));
  add(verb::delete_, "/v1/deadletters",
      by_actor("deadletters:<actor>:delete", h::purge_dead_letters),
      doc("Purge one actor's dead letters")
        .returns("DeadLettersPurged")
        .param("actor", "string", "the actor (required)"));
  add(verb::post, "/v1/deadletters/{id}/retry",
      by_actor("deadletters:<actor>:retry", h::retry_dead_letter),
      doc("Put a dead letter back into its actor's durable mailbox, once")
        .returns("MessageAnswer", 202));
  add(verb::delete_, "/v1/deadletters/{id}",
      by_actor("deadletters:<actor>:delete", h::delete_dead_letter),
      doc("Delete a dead letter").returns("", 204));
  add(verb::post, "/v1/tasks", by_actor("tasks:submit", h::submit_task),
      doc("Submit a task for an agent (a chat turn) or an actor (a typed "
          "message); also needs the target's own permission")
        .takes("TaskRequest")
        .returns("TaskAccepted", 202)
        .fails({429}));
  add(verb::get, "/v1/tasks", by_actor("tasks:read", h::list_tasks),
      doc("Tasks, paged by id (oldest first)")
        .returns("TaskList")
        .param("state", "string",
               "queued, running, succeeded, failed, dead or cancelled")
        .param("agent", "string", "only this agent's")
        .param("label", "string", "key=value: only tasks with that label")
        .param("limit", "integer",
               "default 100, clamped to "
               "tasks.list_limit_max")
        .param("after", "string", "the `next` of the previous page"));
  add(verb::get, "/v1/tasks/{id}", by_actor("tasks:read", h::get_task),
      doc("One task").returns("Task"));
  add(verb::delete_, "/v1/tasks/{id}", by_actor("tasks:cancel", h::cancel_task),
      doc("Cancel a task (a running turn is cancelled too)").returns("Task"));
  add(verb::post, "/v1/tasks/{id}/retry",
      by_actor("tasks:retry", h::retry_task),
      doc("Queue a dead task again with fresh attempts").returns("Task", 202));
  add(verb::put, "/v1/workflows/{name}",
      by_actor("workflows:{name}:write", h::put_workflow),
      doc("Store a workflow definition (JSON, or YAML as application/yaml) "
          "as a version; the same definition again is the same version")
        .takes("WorkflowDefinition", http::body_kind::json_or_yaml)
        .returns("WorkflowStored"));
  add(verb::get, "/v1/workflows", by_actor("workflows:read", h::list_workflows),
      doc("The newest version of every workflow").returns("WorkflowList"));
  add(verb::get, "/v1/workflows/{name}",
      by_actor("workflows:read", h::get_workflow),
      doc("A workflow's newest version (or `version`) with its definition "
          "and every version's id")
        .returns("Workflow")
        .param("version", "string", "one version instead of the newest"));
  add(verb::post, "/v1/workflows/{name}/runs",
      by_actor("workflows:{name}:run", h::start_run),
      doc("Start a run of the newest version; the same run_id again is the "
          "same run. Also needs what each step's target needs")
        .takes("RunRequest")
        .returns("RunAccepted", 202)
        .fails({429}));
  add(verb::get, "/v1/runs", by_actor("workflows:read", h::list_runs),
      doc("Runs of this node, paged by id")
        .returns("RunList")
        .param("workflow", "string", "only this workflow's")
        .param("state", "string", "running, succeeded, failed or cancelled")
        .param("limit", "integer", "default 100, at most 1000")
        .param("after", "string", "the `next` of the previous page"));
  add(verb::get, "/v1/runs/{id}", by_actor("workflows:read", h::get_run),
      doc("A run with every step's state, attempts, timings, output and "
          "error")
        .returns("Run"));
  add(verb::post, "/v1/runs/{id}/cancel",
      by_actor("workflows:cancel", h::cancel_run),
      doc("Cancel a run: its running steps' tasks and child runs are "
          "cancelled")
        .returns("Run"));
  add(verb::post, "/v1/runs/{id}/signals/{name}",
      by_actor("workflows:signal", h::signal_run),
      doc("Answer the approval step `name` (payload.decision approve or "
          "reject); the same answer again changes nothing")
        .takes("SignalRequest")
        .returns("Run"));
  add(verb::get, "/v1/events",
      counted(limit::stream, by_actor("events:read", h::events)),
      doc("Server-Sent Events of Event objects")
        .as("text/event-stream")
        .param("topic", "string", "a pattern: * one segment, # the rest"));
  add(verb::get, "/v1/cluster", by_actor("cluster:read", h::cluster_view),
      doc("The members as this node sees them, and its memory budget")
        .returns("ClusterView"));
  add(verb::post, "/v1/cluster/members/{node}/leave",
      by_actor("cluster:{node}:leave", h::cluster_leave),
      doc("Decommission a member").returns("LeaveAccepted", 202).fails({409}));
  add(verb::get, "/v1/budgets", by_actor("budgets:read", h::list_budgets),
      doc("Every model budget counter of the cluster: use and remaining")
        .returns("BudgetList"));
  add(verb::get, "/v1/agents", by_actor("agents:read", h::list_agents),
      doc("The agents").returns("AgentList"));
  add(verb::get, "/v1/agents/{name}",
      by_actor("agents:{name}:read", h::get_agent),
      doc("One agent").returns("Agent"));
  add(verb::get, "/v1/agents/{name}/sessions",
      by_actor("agents:{name}:read", h::list_sessions),
      doc("An agent's sessions, paged")
        .returns("SessionList")
        .param("limit", "integer", "1..1000, default 20")
        .param("after", "string", "the last session id of the previous page"));
  add(verb::get, "/v1/agents/{name}/sessions/{id}",
      by_actor("agents:{name}:read", h::get_session),
      doc("A session's turns, oldest first, paged")
        .returns("Session")
        .param("limit", "integer", "1..1000, default 20")
        .param("after", "integer", "the turns read so far"));
  add(verb::get, "/v1/agents/{name}/questions",
      by_actor("agents:{name}:chat", h::list_questions),
      doc("The questions a tool's server asked of the caller's running "
          "turns (MCP elicitation), oldest first")
        .returns("QuestionList")
        .param("session_id", "string", "only this session's"));
  add(verb::post, "/v1/agents/{name}/questions/{id}",
      by_actor("agents:{name}:chat", h::answer_question),
      doc("Answer a question: accept with content, decline or cancel")
        .takes("QuestionAnswer")
        .returns("Question")
        .fails({403}));
  add(verb::post, "/v1/agents/{name}/chat",
      counted(limit::chat, by_actor("agents:{name}:chat", h::chat)),
      doc("One turn of a chat with an agent (Accept: text/event-stream "
          "streams its steps)")
        .takes("ChatRequest")
        .returns("ChatReply")
        .fails({409, 422, 504}));
  add(verb::get, "/v1/models", openai(by_actor("agents:read", h::list_models)),
      doc("The agents as OpenAI models").returns("ModelList"));
  add(verb::get, "/v1/models/{name}",
      openai(by_actor("agents:{name}:read", h::get_model)),
      doc("One agent as an OpenAI model").returns("Model"));
  add(verb::post, "/v1/chat/completions",
      counted(limit::chat,
              openai(by_actor("agents:<model>:chat", h::chat_completions))),
      doc("OpenAI chat completion by an agent (stream: true for SSE)")
        .takes("ChatCompletionRequest")
        .returns("ChatCompletion")
        .fails({504}));
  add(verb::post, "/mcp",
      counted(limit::chat, by_actor("agents:<agent>:chat", h::mcp_post)),
      doc("The MCP server (Streamable HTTP): one JSON-RPC message; the "
          "agents as tools ask_<agent>")
        .takes("JsonRpcMessage")
        .returns("JsonRpcMessage")
        .also(202)
        .fails({400, 406}));
  add(verb::delete_, "/mcp", by_actor("agents:<agent>:chat", h::mcp_delete),
      doc("End an MCP session (Mcp-Session-Id)").returns("", 204).fails({400}));
  add(verb::get, "/a2a/agents/{name}/.well-known/agent-card.json",
      by_actor("agents:{name}:read", h::a2a_card),
      doc("An agent's A2A Agent Card").returns("AgentCard"));
  add(verb::post, "/a2a/agents/{name}",
      counted(limit::chat, by_actor("agents:{name}:chat", h::a2a_post)),
      doc("The agent's A2A endpoint (JSON-RPC): SendMessage, "
          "SendStreamingMessage (SSE), GetTask, CancelTask and their 0.3 "
          "names")
        .takes("JsonRpcMessage")
        .returns("JsonRpcMessage"));
  add(verb::post, "/v1/auth/token", by_actor("open", h::auth_token),
      doc("A JWT for a user's password or an API key")
        .takes("TokenRequest")
        .returns("Token")
        .fails({401}));
  add(verb::get, "/v1/users", by_actor("admin:users:read", h::list_users),
      doc("The users").returns("UserList"));
  add(verb::put, "/v1/users/{name}", by_actor("admin:users:write", h::put_user),
      doc("Create (201) or replace (200) a user")
        .takes("UserRequest")
        .returns("User")
        .also(201));
  add(verb::delete_, "/v1/users/{name}",
      by_actor("admin:users:write", h::delete_user),
      doc("Delete a user and revoke its API keys").returns("", 204));
  add(verb::get, "/v1/api-keys", by_actor("admin:keys:read", h::list_api_keys),
      doc("The API keys, without their secrets").returns("ApiKeyList"));
  add(verb::post, "/v1/api-keys",
      by_actor("admin:keys:write", h::create_api_key),
      doc("Create an API key, shown once")
        .takes("ApiKeyRequest")
        .returns("ApiKeyCreated", 201));
  add(verb::delete_, "/v1/api-keys/{id}",
      by_actor("admin:keys:write", h::revoke_api_key),
      doc("Revoke an API key for good").returns("", 204));
  add(verb::get, "/v1/roles", from_memory("admin:roles:read", h::list_roles),
      doc("The roles and their permissions").returns("RoleList"));
  add(verb::get, "/v1/plugins", from_memory("plugins:read", h::list_plugins),
      doc("The plugins loaded at start, and those skipped with why")
        .returns("PluginList"));
  add(verb::post, "/v1/admin/reload", by_actor("admin:reload", h::admin_reload),
      doc("Reload agent definitions and TLS files, as SIGHUP does")
        .returns("ReloadResult")
        .fails({409}));
  add_dashboard_routes(*routes);
  *openapi_text = openapi_document(*routes).dump();
  return routes;
}

} // namespace bsm
