#include "http_api/openai_format.hpp"

#include "runtime/error.hpp"
#include "runtime/http/error_response.hpp"

namespace bsm::openai_format {

namespace {

nlohmann::json usage_json(const v1::TokenUsage& usage) {
  return {{"prompt_tokens", usage.prompt_tokens()},
          {"completion_tokens", usage.completion_tokens()},
          {"total_tokens", usage.total_tokens()}};
}

nlohmann::json tool_call_json(const v1::ToolCall& call) {
  return {{"id", call.id()},
          {"type", "function"},
          {"function",
           {{"name", call.name()}, {"arguments", call.arguments_json()}}}};
}

} // namespace

std::string completion_id(const v1::ChatReply& reply) {
  return "chatcmpl-" + reply.turn_id();
}

nlohmann::json completion(const v1::ChatReply& reply, const std::string& model,
                          int64_t created) {
  nlohmann::json message{{"role", "assistant"}, {"refusal", nullptr}};
  if (reply.output().empty() && !reply.tool_calls().empty())
    message["content"] = nullptr;
  else
    message["content"] = reply.output();
  if (!reply.tool_calls().empty()) {
    auto calls = nlohmann::json::array();
    for (const auto& call : reply.tool_calls())
      calls.push_back(tool_call_json(call));
    message["tool_calls"] = std::move(calls);
  }
  nlohmann::json choice{{"index", 0},
                        {"message", std::move(message)},
                        {"logprobs", nullptr},
                        {"finish_reason", reply.finish_reason().empty()
                                            ? "stop"
                                            : reply.finish_reason()}};
  return {{"id", completion_id(reply)},
          {"object", "chat.completion"},
          {"created", created},
          {"model", model},
          {"choices", nlohmann::json::array({std::move(choice)})},
          {"usage", usage_json(reply.usage())}};
}

nlohmann::json chunk(const std::string& id, const std::string& model,
                     int64_t created, nlohmann::json delta,
                     const std::string& finish_reason) {
  nlohmann::json choice{{"index", 0},
                        {"delta", std::move(delta)},
                        {"logprobs", nullptr},
                        {"finish_reason", nullptr}};
  if (!finish_reason.empty())
    choice["finish_reason"] = finish_reason;
  return {{"id", id},
          {"object", "chat.completion.chunk"},
          {"created", created},
          {"model", model},
          {"choices", nlohmann::json::array({std::move(choice)})}};
}

nlohmann::json usage_chunk(const std::string& id, const std::string& model,
                           int64_t created, const v1::TokenUsage& usage) {
  return {{"id", id},
          {"object", "chat.completion.chunk"},
          {"created", created},
          {"model", model},
          {"choices", nlohmann::json::array()},
          {"usage", usage_json(usage)}};
}

nlohmann::json tool_call_delta(int index, const v1::ToolCallFragment& piece,
                               bool first) {
  if (!first)
    return {{"index", index}, {"function", {{"arguments", piece.arguments()}}}};
  return {
    {"index", index},
    {"id", piece.id()},
    {"type", "function"},
    {"function", {{"name", piece.name()}, {"arguments", piece.arguments()}}}};
}

std::vector<nlohmann::json>
tool_call_chunks(const std::string& id, const std::string& model,
                 int64_t created, const v1::ToolCall& call, int index) {
  auto with = [&](nlohmann::json entry) {
    return chunk(id, model, created,
                 {{"tool_calls", nlohmann::json::array({std::move(entry)})}});
  };
  v1::ToolCallFragment head;
  head.set_id(call.id());
  head.set_name(call.name());
  v1::ToolCallFragment arguments;
  arguments.set_arguments(call.arguments_json());
  return {with(tool_call_delta(index, head, true)),
          with(tool_call_delta(index, arguments, false))};
}

nlohmann::json error_body(const caf::error& err, const std::string& field) {
  auto [status, code] = http::status_of(err);
  std::string type = "server_error";
  auto value = static_cast<unsigned>(status);
  if (value == 400 || value == 401 || value == 403 || value == 404
      || value == 413 || value == 415)
    type = "invalid_request_error";
  // OpenAI's clients know a bad key by this code.
  if (value == 401)
    code = "invalid_api_key";
  else if (value == 429)
    type = "rate_limit_error";
  else if (value == 504)
    type = "timeout_error";
  nlohmann::json param = nullptr;
  if (!field.empty())
    param = field;
  else if (auto named = field_of(err); !named.empty())
    param = named;
  else if (code == "not_found")
    param = "model";
  return {{"error",
           {{"message", http::message_of(err)},
            {"type", type},
            {"param", param},
            {"code", code}}}};
}

std::string sse_data(const nlohmann::json& x) {
  return "data: " + x.dump() + "\n\n";
}

} // namespace bsm::openai_format
