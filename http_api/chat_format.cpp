#include "http_api/chat_format.hpp"

#include "actors/sse_stream.hpp"
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
    if (x.questions_size() > 0) {
      auto questions = nlohmann::json::array();
      for (const auto& q : x.questions())
        questions.push_back(question(q));
      result["questions"] = std::move(questions);
    }
  }
  return result;
}

nlohmann::json progress(const v1::ToolProgress& x) {
  nlohmann::json out{{"tool", x.server() + "__" + x.tool()},
                     {"server", x.server()},
                     {"progress", x.progress()}};
  if (x.total() > 0)
    out["total"] = x.total();
  if (!x.message().empty())
    out["message"] = x.message();
  return out;
}

nlohmann::json question(const v1::Question& x) {
  auto object_or_empty = [](const std::string& text) {
    auto parsed = nlohmann::json::parse(text, nullptr, false);
    return parsed.is_object() ? parsed : nlohmann::json::object();
  };
  nlohmann::json out{{"id", x.id()},
                     {"agent", x.agent()},
                     {"session_id", x.session_id()},
                     {"turn_id", x.turn_id()},
                     {"server", x.server()},
                     {"tool", x.tool()},
                     {"message", x.message()},
                     {"schema", object_or_empty(x.schema_json())},
                     {"asked_at", rfc3339_ms(x.asked_unix_ms())},
                     {"deadline", rfc3339_ms(x.deadline_unix_ms())}};
  const auto& action = x.action();
  if (action.empty())
    out["state"] = "pending";
  else if (action == "accept")
    out["state"] = "accepted";
  else if (action == "decline")
    out["state"] = "declined";
  else
    out["state"] = "cancelled";
  if (action == "accept")
    out["content"] = object_or_empty(x.content_json());
  if (!x.answered_by().empty())
    out["answered_by"] = x.answered_by();
  return out;
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
