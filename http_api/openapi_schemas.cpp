#include "http_api/openapi.hpp"

namespace bsm {

namespace {

using json = nlohmann::json;

json str() {
  return {{"type", "string"}};
}

json integer() {
  return {{"type", "integer"}};
}

json boolean() {
  return {{"type", "boolean"}};
}

json ref(const std::string& name) {
  return {{"$ref", "#/components/schemas/" + name}};
}

json array_of(json items) {
  return {{"type", "array"}, {"items", std::move(items)}};
}

json number(double lo, double hi) {
  return {{"type", "number"}, {"minimum", lo}, {"maximum", hi}};
}

json strings() {
  return array_of(str());
}

json enum_of(std::vector<std::string> values) {
  return {{"type", "string"}, {"enum", std::move(values)}};
}

/// An object with `props`, of which `required` must be present. Other
/// properties are allowed: answers may grow fields.
json object(json props, std::vector<std::string> required = {}) {
  json result{{"type", "object"}, {"properties", std::move(props)}};
  if (!required.empty())
    result["required"] = std::move(required);
  return result;
}

json error_shapes() {
  return {
    {"Error",
     object(
       {{"error",
         object({{"code", str()}, {"message", str()}, {"request_id", str()}},
                {"code", "message", "request_id"})}},
       {"error"})},
    {"OpenAIError",
     object({{"error", object({{"message", str()},
                               {"type", str()},
                               {"param", {{"type", {"string", "null"}}}},
                               {"code", {{"type", {"string", "null"}}}}},
                              {"message", "type"})}},
            {"error"})},
  };
}

json health_shapes() {
  return {
    {"Health", object({{"status", str()},
                       {"node", str()},
                       {"version", str()},
                       {"uptime_s", integer()}},
                      {"status", "node", "version", "uptime_s"})},
    {"Ready", object({{"status", str()}, {"node", str()}, {"cluster", str()}},
                     {"status"})},
    {"OpenApiDocument",
     object({{"openapi", str()}, {"info", {{"type", "object"}}}},
            {"openapi", "info"})},
  };
}

json actor_shapes() {
  json tree = object({{"name", str()},
                      {"strategy", {{"type", {"string", "null"}}}},
                      {"restarts", integer()},
                      {"state", str()},
                      {"children", array_of(ref("TreeNode"))}},
                     {"name", "children"});
  return {
    {"ActorList",
     object({{"actors", array_of(object({{"name", str()},
                                         {"mailbox_depth", integer()},
                                         {"handles", strings()}},
                                        {"name"}))}},
            {"actors"})},
    {"MessageRequest",
     object({{"type", {{"type", "string"}, {"pattern", "^bsm\\.v1\\."}}},
             {"payload", {{"type", "object"}}},
             {"mode", {{"type", "string"}, {"enum", {"tell", "ask"}}}},
             {"timeout_ms", integer()}},
            {"type"})},
    {"MessageAnswer",
     {{"description", "A tell's receipt (202) or an ask's reply (200)."},
      {"oneOf",
       {object({{"message_id", str()}, {"durable", boolean()}},
               {"message_id", "durable"}),
        object({{"type", str()}, {"payload", {{"type", "object"}}}},
               {"type", "payload"})}}}},
    {"TreeNode", std::move(tree)},
  };
}

json cluster_shapes() {
  json handoff = object({{"phase", str()},
                         {"agents", integer()},
                         {"handed", integer()},
                         {"failures", integer()},
                         {"entries", integer()},
                         {"bytes", integer()}});
  json member = object({{"name", str()},
                        {"address", str()},
                        {"http_address", str()},
                        {"state", str()},
                        {"agents", integer()},
                        {"incarnation", integer()},
                        {"last_seen", {{"type", {"string", "null"}}}}},
                       {"name", "state"});
  return {
    {"Handoff", std::move(handoff)},
    {"ClusterView", object({{"self", str()},
                            {"joined", boolean()},
                            {"members", array_of(std::move(member))},
                            {"memory", {{"type", "object"}}},
                            {"handoff", ref("Handoff")}},
                           {"self", "members"})},
    {"LeaveAccepted",
     object({{"node", str()}, {"state", str()}, {"handoff", ref("Handoff")}},
            {"node", "state"})},
    {"BudgetList",
     object({{"budgets", array_of(object({{"name", str()},
                                          {"scope", str()},
                                          {"key", str()},
                                          {"limit_kind", str()},
                                          {"limit", {{"type", "number"}}},
                                          {"used", {{"type", "number"}}},
                                          {"remaining", {{"type", "number"}}},
                                          {"resets_at", str()},
                                          {"node", str()}},
                                         {"name", "scope", "limit", "used",
                                          "remaining", "resets_at"}))},
             {"unreachable", strings()}},
            {"budgets"})},
  };
}

json agent_shapes() {
  json agent = object({{"name", str()},
                       {"description", str()},
                       {"node", str()},
                       {"state", str()},
                       {"model", str()},
                       {"tools", strings()},
                       {"tool_sources",
                        {{"type", "object"},
                         {"additionalProperties", str()},
                         {"description", "builtin, mcp:<server> or "
                                         "unresolved, by tool"}}},
                       {"node_state", str()},
                       {"mailbox_depth", integer()},
                       {"restarts", integer()}},
                      {"name", "state"});
  json usage = object({{"prompt_tokens", integer()},
                       {"completion_tokens", integer()},
                       {"total_tokens", integer()}});
  json step = object({{"tool", str()},
                      {"arguments", json::object()},
                      {"result", str()},
                      {"is_error", boolean()},
                      {"questions", array_of(ref("Question"))}},
                     {"tool"});
  json question = object({{"id", str()},
                          {"agent", str()},
                          {"session_id", str()},
                          {"turn_id", str()},
                          {"server", str()},
                          {"tool", str()},
                          {"message", str()},
                          {"schema", json::object()},
                          {"asked_at", str()},
                          {"deadline", str()},
                          {"state", enum_of({"pending", "accepted",
                                             "declined", "cancelled"})},
                          {"content", json::object()},
                          {"answered_by", str()}},
                         {"id", "agent", "turn_id", "message", "schema",
                          "state"});
  json turn = object({{"role", str()},
                      {"content", str()},
                      {"tool_calls", array_of(step)},
                      {"usage", {{"type", {"object", "null"}}}},
                      {"time", str()}},
                     {"role", "content"});
  return {
    {"Agent", std::move(agent)},
    {"AgentList", object({{"agents", array_of(ref("Agent"))}}, {"agents"})},
    {"ChatRequest",
     object({{"input", str()}, {"session_id", str()}}, {"input"})},
    {"ChatReply", object({{"agent", str()},
                          {"session_id", str()},
                          {"output", str()},
                          {"steps", array_of(std::move(step))},
                          {"usage", std::move(usage)},
                          {"finish_reason", str()},
                          {"model", str()}},
                         {"agent", "session_id", "output"})},
    {"SessionList",
     object({{"sessions", array_of(object({{"session_id", str()},
                                           {"turns", integer()},
                                           {"last_activity", str()},
                                           {"node", str()}},
                                          {"session_id"}))}},
            {"sessions"})},
    {"Session",
     object({{"session_id", str()}, {"turns", array_of(std::move(turn))}},
            {"session_id", "turns"})},
    {"Question", std::move(question)},
    {"QuestionList",
     object({{"questions", array_of(ref("Question"))}}, {"questions"})},
    {"QuestionAnswer",
     object({{"action", enum_of({"accept", "decline", "cancel"})},
             {"content", json::object()}},
            {"action"})},
  };
}

json openai_shapes() {
  json model = object({{"id", str()},
                       {"object", str()},
                       {"created", integer()},
                       {"owned_by", str()}},
                      {"id", "object"});
  json message
    = object({{"role", str()}, {"content", json::object()}}, {"role"});
  return {
    {"Model", std::move(model)},
    {"ModelList", object({{"object", str()}, {"data", array_of(ref("Model"))}},
                         {"object", "data"})},
    {"ChatCompletionRequest",
     object({{"model", str()},
             {"messages", array_of(std::move(message))},
             {"stream", boolean()},
             {"stream_options", object({{"include_usage", boolean()}})},
             {"tools", {{"type", "array"}}},
             {"tool_choice", json::object()},
             {"temperature", number(0, 2)},
             {"top_p", number(0, 1)},
             {"max_tokens", {{"type", "integer"}, {"minimum", 1}}},
             {"max_completion_tokens", {{"type", "integer"}, {"minimum", 1}}},
             {"presence_penalty", number(-2, 2)},
             {"frequency_penalty", number(-2, 2)},
             {"stop", json::object()},
             {"seed", integer()},
             {"n", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1}}},
             {"response_format",
              object({{"type",
                       {{"type", "string"},
                        {"enum", {"text", "json_object", "json_schema"}}}},
                      {"json_schema", {{"type", "object"}}}},
                     {"type"})},
             {"user", str()}},
            {"model", "messages"})},
    {"ChatCompletion",
     {{"description", "A chat.completion object, or with stream: true "
                      "chat.completion.chunk events then data: [DONE]."},
      {"type", "object"},
      {"properties",
       {{"id", str()},
        {"object", str()},
        {"created", integer()},
        {"model", str()},
        {"choices", {{"type", "array"}}},
        {"usage", {{"type", "object"}}}}}}},
  };
}

json security_shapes() {
  json user = object({{"name", str()},
                      {"roles", strings()},
                      {"created_at", integer()},
                      {"disabled", boolean()}},
                     {"name", "roles"});
  json key = object({{"id", str()},
                     {"name", str()},
                     {"principal", str()},
                     {"roles", strings()},
                     {"created_at", integer()},
                     {"expires_at", integer()},
                     {"revoked", boolean()}},
                    {"id", "name"});
  json created = key;
  created["properties"]["api_key"] = str();
  created["required"] = {"id", "name", "api_key"};
  return {
    {"TokenRequest",
     object({{"username", str()}, {"password", str()}, {"api_key", str()}})},
    {"Token", object({{"access_token", str()},
                      {"token_type", str()},
                      {"expires_in", integer()}},
                     {"access_token", "token_type", "expires_in"})},
    {"User", std::move(user)},
    {"UserList", object({{"users", array_of(ref("User"))}}, {"users"})},
    {"UserRequest",
     object({{"password", str()}, {"roles", strings()}}, {"password"})},
    {"ApiKey", std::move(key)},
    {"ApiKeyList",
     object({{"api_keys", array_of(ref("ApiKey"))}}, {"api_keys"})},
    {"ApiKeyRequest", object({{"name", str()},
                              {"principal", str()},
                              {"roles", strings()},
                              {"expires_in_s", integer()}},
                             {"name", "roles"})},
    {"ApiKeyCreated", std::move(created)},
    {"JsonRpcMessage", object({{"jsonrpc", str()},
                               {"id", json::object()},
                               {"method", str()},
                               {"params", json{{"type", "object"}}},
                               {"result", json::object()},
                               {"error", json{{"type", "object"}}}},
                              {"jsonrpc"})},
    {"AgentCard",
     object(
       {{"name", str()},
        {"description", str()},
        {"version", str()},
        {"url", str()},
        {"protocolVersion", str()},
        {"preferredTransport", str()},
        {"supportedInterfaces", array_of(object({{"url", str()},
                                                 {"protocolBinding", str()},
                                                 {"protocolVersion", str()}}))},
        {"capabilities", json{{"type", "object"}}},
        {"defaultInputModes", strings()},
        {"defaultOutputModes", strings()},
        {"skills", array_of(json{{"type", "object"}})}},
       {"name", "description", "version", "supportedInterfaces", "capabilities",
        "defaultInputModes", "defaultOutputModes", "skills"})},
    {"ReloadResult", object({{"reload", str()},
                             {"added", strings()},
                             {"updated", strings()},
                             {"removed", strings()},
                             {"errors", strings()}},
                            {"reload"})},
    {"DeadLetterList",
     object({{"dead_letters",
              array_of(
                object({{"id", str()},
                        {"actor", str()},
                        {"type", str()},
                        {"reason",
                         {{"type", "string"},
                          {"enum",
                           {"type_not_handled", "refused", "attempts_exhausted",
                            "corrupt", "unspecified"}}}},
                        {"attempts", integer()},
                        {"first_error", str()},
                        {"last_error", str()},
                        {"time", str()},
                        {"message_id", str()},
                        {"node", str()}},
                       {"id", "actor", "type", "reason"}))},
             {"next_after", {{"type", {"string", "null"}}}}},
            {"dead_letters"})},
    {"DeadLettersPurged", object({{"purged", integer()}}, {"purged"})},
    {"RoleList",
     object(
       {{"roles", array_of(object({{"name", str()}, {"permissions", strings()}},
                                  {"name", "permissions"}))}},
       {"roles"})},
  };
}

json plugin_shapes() {
  json kind = object({{"kind", str()}, {"path", str()}, {"handles", strings()}},
                     {"kind", "path", "handles"});
  json plugin = object(
    {{"name", str()},
     {"version", str()},
     {"description", str()},
     {"path", str()},
     {"state",
      {{"type", "string"}, {"enum", json::array({"loaded", "failed"})}}},
     {"reason", str()},
     {"tools", strings()},
     {"actor_kinds", array_of(std::move(kind))}},
    {"name", "path", "state"});
  return {
    {"PluginList",
     object({{"plugins", array_of(std::move(plugin))}}, {"plugins"})},
  };
}

json task_shapes() {
  json state{
    {"type", "string"},
    {"enum",
     {"queued", "running", "succeeded", "failed", "dead", "cancelled"}}};
  json labels{{"type", "object"}, {"additionalProperties", str()}};
  json task
    = object({{"task_id", str()},
              {"state", state},
              {"agent", str()},
              {"input", str()},
              {"session_id", str()},
              {"actor", str()},
              {"type", str()},
              {"priority", integer()},
              {"attempts", integer()},
              {"max_attempts", integer()},
              {"result", str()},
              {"error", str()},
              {"labels", labels},
              {"idempotency_key", str()},
              {"not_before", integer()},
              {"deadline", integer()},
              {"next_run_at", integer()},
              {"created_at", integer()},
              {"updated_at", integer()},
              {"node", str()},
              {"lease_owner", str()},
              {"lease_expires_at", integer()}},
             {"task_id", "state", "attempts", "created_at", "updated_at"});
  return {
    {"TaskRequest",
     object(
       {{"agent", str()},
        {"input", str()},
        {"session_id", str()},
        {"actor", str()},
        {"type", str()},
        {"payload", json{{"type", "object"}}},
        {"priority", json{{"type", "integer"}, {"minimum", 0}, {"maximum", 9}}},
        {"delay_ms", integer()},
        {"not_before", integer()},
        {"deadline_ms", integer()},
        {"deadline", integer()},
        {"max_attempts", integer()},
        {"backoff_initial_ms", integer()},
        {"backoff_max_ms", integer()},
        {"timeout_ms", integer()},
        {"idempotency_key", str()},
        {"labels", labels}})},
    {"TaskAccepted",
     object({{"task_id", str()}, {"state", state}, {"existed", boolean()}},
            {"task_id", "state", "existed"})},
    {"Task", task},
    {"TaskList",
     object({{"tasks", array_of(ref("Task"))}, {"next", str()}}, {"tasks"})},
  };
}

json workflow_shapes() {
  json run_state = enum_of({"running", "succeeded", "failed", "cancelled"});
  json step = object({{"id", str()},
                      {"state", enum_of({"pending", "running", "waiting",
                                         "succeeded", "failed", "skipped",
                                         "cancelled"})},
                      {"attempts", integer()},
                      {"output", json::object()},
                      {"error", str()},
                      {"started_at", integer()},
                      {"finished_at", integer()},
                      {"task_id", str()},
                      {"wake_at", integer()},
                      {"child_run_id", str()},
                      {"signal", str()}},
                     {"id", "state", "attempts"});
  json run_fields{{"run_id", str()},
                  {"workflow", str()},
                  {"version", str()},
                  {"state", run_state},
                  {"input", json::object()},
                  {"output", json::object()},
                  {"error", str()},
                  {"created_at", integer()},
                  {"updated_at", integer()},
                  {"node", str()},
                  {"parent_run_id", str()},
                  {"parent_step", str()},
                  {"started_by", str()}};
  json run_summary = object(run_fields, {"run_id", "workflow", "version",
                                         "state", "created_at", "updated_at"});
  json run = run_fields;
  run["steps"] = array_of(step);
  run["existed"] = boolean();
  json version = object({{"name", str()},
                         {"version", str()},
                         {"created_at", integer()},
                         {"created_by", str()}},
                        {"name", "version", "created_at"});
  json workflow = version;
  workflow["properties"]["definition"] = json{{"type", "object"}};
  workflow["properties"]["versions"] = array_of(str());
  json stored = version;
  stored["properties"]["existed"] = boolean();
  return {
    {"WorkflowDefinition",
     object({{"name", str()},
             {"description", str()},
             {"node", str()},
             {"input", json{{"type", "object"}}},
             {"output", json::object()},
             {"steps", array_of(json{{"type", "object"}})}},
            {"steps"})},
    {"WorkflowStored", stored},
    {"Workflow", workflow},
    {"WorkflowList",
     object({{"workflows", array_of(version)}}, {"workflows"})},
    {"RunRequest",
     object({{"input", json::object()}, {"run_id", str()}})},
    {"RunAccepted",
     object({{"run_id", str()},
             {"state", run_state},
             {"version", str()},
             {"existed", boolean()}},
            {"run_id", "state", "version", "existed"})},
    {"Run", object(run, {"run_id", "workflow", "version", "state",
                         "created_at", "updated_at"})},
    {"RunList",
     object({{"runs", array_of(run_summary)}, {"next", str()}}, {"runs"})},
    {"SignalRequest",
     object({{"payload",
              object({{"decision", enum_of({"approve", "reject"})}},
                     {"decision"})}},
            {"payload"})},
  };
}

} // namespace

nlohmann::json openapi_schemas() {
  json result = json::object();
  for (auto part :
       {error_shapes(), health_shapes(), actor_shapes(), cluster_shapes(),
        agent_shapes(), openai_shapes(), security_shapes(), plugin_shapes(),
        task_shapes(), workflow_shapes()})
    result.update(part);
  return result;
}

} // namespace bsm
