// The example plugin (docs/PLUGINS.md): text statistics for agents and
// for anyone who sends the node a message.
//
// Tools (an agent lists them as textstats__count, textstats__crc32):
//   count {"text"} -> {"characters","bytes","words","lines"}
//   crc32 {"text"} -> {"crc32": "<8 hex digits>"}
// Actor kind "textstats" at plugins/textstats: a bsm.v1.ChatRequest's
// input -> a bsm.v1.ChatReply whose output is the input's counts.

#include <string>

#include <nlohmann/json.hpp>

#include "plugins/plugin_api.hpp"
#include "text_stats.hpp"

namespace {

using nlohmann::json;

constexpr const char* text_schema = R"({
  "type": "object",
  "properties": {"text": {"type": "string", "description": "The text"}},
  "required": ["text"],
  "additionalProperties": false
})";

json counts_json(const textstats::counts& x) {
  return {{"characters", x.characters},
          {"bytes", x.bytes},
          {"words", x.words},
          {"lines", x.lines}};
}

// The "text" argument, or the error the model sees.
bool read_text(const std::string& arguments, std::string& text,
               std::string& problem) {
  auto args = json::parse(arguments, nullptr, false);
  if (!args.is_object() || !args.contains("text")
      || !args["text"].is_string()) {
    problem = "expected arguments {\"text\": \"...\"}";
    return false;
  }
  text = args["text"].get<std::string>();
  return true;
}

bsm::plugin::tool_result count_tool(const std::string& arguments) {
  std::string text;
  std::string problem;
  if (!read_text(arguments, text, problem))
    return bsm::plugin::tool_result::error(problem);
  return bsm::plugin::tool_result::ok(
    counts_json(textstats::count(text)).dump());
}

bsm::plugin::tool_result crc32_tool(const std::string& arguments) {
  std::string text;
  std::string problem;
  if (!read_text(arguments, text, problem))
    return bsm::plugin::tool_result::error(problem);
  json result{{"crc32", textstats::hex8(textstats::crc32(text))}};
  return bsm::plugin::tool_result::ok(result.dump());
}

bsm::plugin::message_result on_chat(const bsm::plugin::json_message& in) {
  auto request = json::parse(in.json, nullptr, false);
  if (!request.is_object())
    return bsm::plugin::message_result::failure("the request is no JSON "
                                                "object");
  auto input = request.value("input", std::string{});
  json reply{{"agent", "textstats"},
             {"output", counts_json(textstats::count(input)).dump()},
             {"finish_reason", "stop"}};
  return bsm::plugin::message_result::answer("bsm.v1.ChatReply", reply.dump());
}

void register_textstats(bsm::plugin::registrar& r) {
  r.describe("textstats", "1.0.0",
             "Counts characters, bytes, words and lines of a text, and its "
             "CRC-32");
  r.add_tool({"count",
              "Counts the characters (Unicode code points), bytes, words "
              "and lines of a text.",
              text_schema, count_tool});
  r.add_tool({"crc32",
              "The CRC-32 (as zlib computes it) of a text's UTF-8 bytes, "
              "as 8 hex digits.",
              text_schema, crc32_tool});
  r.add_actor_kind({"textstats", {"bsm.v1.ChatRequest"}, on_chat});
}

} // namespace

BSM_PLUGIN(register_textstats)
