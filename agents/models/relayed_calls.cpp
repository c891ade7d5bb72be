#include "agents/models/relayed_calls.hpp"

namespace bsm::models {

std::set<std::string> relayed_tools(const v1::ModelRequest& req) {
  return {req.relay_tool_calls().begin(), req.relay_tool_calls().end()};
}

std::string fallback_call_id(int64_t index) {
  return "call_" + std::to_string(index);
}

v1::ChatDelta call_fragment(int64_t index, std::string id, std::string name,
                            std::string arguments) {
  v1::ChatDelta delta;
  auto* fragment = delta.mutable_tool_call_fragment();
  fragment->set_index(index);
  fragment->set_id(std::move(id));
  fragment->set_name(std::move(name));
  fragment->set_arguments(std::move(arguments));
  return delta;
}

std::vector<v1::ChatDelta>
whole_call_fragments(const v1::ChatMessage& answer,
                     const std::set<std::string>& relayed) {
  std::vector<v1::ChatDelta> result;
  for (int i = 0; i < answer.tool_calls_size(); ++i) {
    const auto& call = answer.tool_calls(i);
    if (relayed.count(call.name()) > 0)
      result.push_back(
        call_fragment(i, call.id(), call.name(), call.arguments_json()));
  }
  return result;
}

} // namespace bsm::models
