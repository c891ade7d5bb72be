#include "http_api/chat_format.hpp"

#include "http_api/json_body.hpp"

namespace bsm::chat_format {

nlohmann::json step(const v1::ChatStep& x, bool with_result) {
  auto args = nlohmann::json::parse(x.arguments_json(), nullptr, false);
  nlohmann::json result{{"tool", x.tool()},
                        {"arguments", args.is_discarded()
                                        ? nlohmann::json(x.arguments_json())
                                        : args}};
  if (with_result) {
    result["result"] = x.result();
    result["is_error"] = x.is_error();
  }
  return result;
}

nlohmann::json usage(const v1::TokenUsage& x) {
  return {{"prompt_tokens", x.prompt_tokens()},
          {"completion_tokens", x.completion_tokens()},
          {"total_tokens", x.total_tokens()}};
}

nlohmann::json answer(const v1::ChatReply& reply) {
  auto steps = nlohmann::json::array();
  for (const auto& x : reply.steps())
    steps.push_back(step(x));
  return {
    {"agent", reply.agent()},        {"session_id", reply.session_id()},
    {"output", reply.output()},      {"steps", std::move(steps)},
    {"usage", usage(reply.usage())}, {"finish_reason", reply.finish_reason()},
    {"model", reply.model()}};
}

bool wants_event_stream(std::string_view accept) {
  return http_handlers::asks_for_instead_of_json(accept, "text/event-stream");
}

std::string sse_event(const char* name, const nlohmann::json& data) {
  return std::string{"event: "} + name + "\ndata: " + data.dump() + "\n\n";
}

} // namespace bsm::chat_format
