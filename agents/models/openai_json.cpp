#include "agents/models/openai_json.hpp"

#include <algorithm>

#include "agents/models/relayed_calls.hpp"

namespace bsm::models {

namespace {

using json = nlohmann::json;

constexpr size_t max_tool_name = 64;

caf::error bad_input(const std::string& what) {
  return make_error(errc::invalid_argument, what);
}

caf::error bad_upstream(const std::string& what) {
  return make_error(errc::invalid_argument, "upstream sent " + what);
}

const json* member(const json& x, const char* key) {
  if (!x.is_object())
    return nullptr;
  auto i = x.find(key);
  return i != x.end() ? &*i : nullptr;
}

// A member that must be a string if present; null counts as absent.
caf::expected<std::optional<std::string>> optional_text(const json& x,
                                                        const char* key) {
  const auto* value = member(x, key);
  if (value == nullptr || value->is_null())
    return std::optional<std::string>{};
  if (!value->is_string())
    return bad_input(std::string{"'"} + key + "' must be a string");
  return std::optional<std::string>{value->get<std::string>()};
}

std::string text_or_empty(const json& x, const char* key) {
  const auto* value = member(x, key);
  return value != nullptr && value->is_string() ? value->get<std::string>()
                                                : std::string{};
}

// Content as a string, null, or an array of {type:"text", text} parts.
caf::expected<std::string> content_text(const json& content) {
  if (content.is_null())
    return std::string{};
  if (content.is_string())
    return content.get<std::string>();
  if (!content.is_array())
    return bad_input("'content' must be a string or an array of parts");
  std::string result;
  bool first = true;
  for (const auto& part : content) {
    auto type = text_or_empty(part, "type");
    // "refusal" parts are what an assistant said instead of an answer.
    if (type != "text" && type != "refusal")
      return bad_input("content part type '" + type + "' is not supported");
    const auto* text = member(part, type.c_str());
    if (text == nullptr || !text->is_string())
      return bad_input("a content part of type '" + type + "' has no text");
    if (!first)
      result += '\n';
    result += text->get<std::string>();
    first = false;
  }
  return result;
}

bool valid_tool_name(const std::string& name) {
  auto ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '_' || c == '-';
  };
  return !name.empty() && name.size() <= max_tool_name
         && std::all_of(name.begin(), name.end(), ok);
}

json tool_call_json(const v1::ToolCall& call) {
  return {{"id", call.id()},
          {"type", "function"},
          {"function",
           {{"name", call.name()}, {"arguments", call.arguments_json()}}}};
}

// Arguments are a string of JSON; some clients send the object itself.
std::string arguments_text(const json& args) {
  if (args.is_string())
    return args.get<std::string>();
  if (args.is_null())
    return "{}";
  return args.dump(-1, ' ', false, json::error_handler_t::replace);
}

caf::error read_tool_calls(const json& calls, v1::ChatMessage& msg) {
  if (calls.is_null())
    return {};
  if (!calls.is_array())
    return bad_input("'tool_calls' must be an array");
  for (const auto& x : calls) {
    auto type = text_or_empty(x, "type");
    if (!type.empty() && type != "function")
      return bad_input("tool call type '" + type + "' is not supported");
    const auto* fn = member(x, "function");
    if (fn == nullptr || !fn->is_object())
      return bad_input("a tool call has no 'function' object");
    auto* call = msg.add_tool_calls();
    call->set_id(text_or_empty(x, "id"));
    call->set_name(text_or_empty(*fn, "name"));
    if (call->name().empty())
      return bad_input("a tool call has no function name");
    const auto* args = member(*fn, "arguments");
    call->set_arguments_json(args != nullptr ? arguments_text(*args) : "{}");
  }
  return {};
}

caf::error read_role(const json& x, v1::ChatMessage& msg) {
  auto role = optional_text(x, "role");
  if (!role)
    return role.error();
  if (!*role)
    return bad_input("a message has no 'role'");
  const auto& r = **role;
  if (r != "system" && r != "developer" && r != "user" && r != "assistant"
      && r != "tool")
    return bad_input("message role '" + r
                     + "' is not one of system, developer, user, "
                       "assistant, tool");
  msg.set_role(r == "developer" ? "system" : r);
  return {};
}

caf::error read_content(const json& x, v1::ChatMessage& msg) {
  const auto* content = member(x, "content");
  if (content == nullptr || content->is_null()) {
    if (msg.role() == "assistant")
      return {};
    return bad_input("a " + msg.role() + " message has no 'content'");
  }
  auto text = content_text(*content);
  if (!text)
    return text.error();
  msg.set_content(std::move(*text));
  return {};
}

caf::expected<v1::ChatMessage> read_message(const json& x) {
  if (!x.is_object())
    return bad_input("a message must be an object");
  v1::ChatMessage msg;
  if (auto err = read_role(x, msg))
    return err;
  if (auto err = read_content(x, msg))
    return err;
  auto name = optional_text(x, "name");
  if (!name)
    return name.error();
  msg.set_name(name->value_or(""));
  if (const auto* calls = member(x, "tool_calls")) {
    if (auto err = read_tool_calls(*calls, msg))
      return err;
  }
  if (msg.role() == "tool") {
    auto id = optional_text(x, "tool_call_id");
    if (!id)
      return id.error();
    if (!*id || (*id)->empty())
      return bad_input("a tool message has no 'tool_call_id'");
    msg.set_tool_call_id(**id);
  }
  return msg;
}

caf::expected<v1::ToolSpec> read_tool(const json& x) {
  auto type = text_or_empty(x, "type");
  if (type != "function")
    return bad_input("tool type '" + type + "' is not supported");
  const auto* fn = member(x, "function");
  if (fn == nullptr || !fn->is_object())
    return bad_input("a tool has no 'function' object");
  v1::ToolSpec tool;
  tool.set_name(text_or_empty(*fn, "name"));
  if (!valid_tool_name(tool.name()))
    return bad_input("tool name '" + tool.name()
                     + "' must be 1..64 characters of a-z, A-Z, 0-9, _ and -");
  tool.set_description(text_or_empty(*fn, "description"));
  const auto* params = member(*fn, "parameters");
  if (params == nullptr || params->is_null())
    tool.set_parameters_json("{}");
  else if (!params->is_object())
    return bad_input("parameters of tool '" + tool.name()
                     + "' must be an object");
  else
    tool.set_parameters_json(
      params->dump(-1, ' ', false, json::error_handler_t::replace));
  return tool;
}

json parameters_of(const std::string& text) {
  auto empty = json{{"type", "object"}, {"properties", json::object()}};
  if (text.empty())
    return empty;
  auto parsed = json::parse(text, nullptr, false);
  if (!parsed.is_object() || parsed.empty())
    return empty;
  return parsed;
}

uint64_t count_of(const json& x, const char* key) {
  const auto* value = member(x, key);
  if (value == nullptr || !value->is_number())
    return 0;
  if (value->is_number_unsigned())
    return value->get<uint64_t>();
  if (value->is_number_integer())
    return static_cast<uint64_t>(std::max<int64_t>(0, value->get<int64_t>()));
  return static_cast<uint64_t>(std::max(0.0, value->get<double>()));
}

v1::TokenUsage usage_of(const json& x) {
  v1::TokenUsage usage;
  usage.set_prompt_tokens(count_of(x, "prompt_tokens"));
  usage.set_completion_tokens(count_of(x, "completion_tokens"));
  auto total = count_of(x, "total_tokens");
  usage.set_total_tokens(
    total != 0 ? total : usage.prompt_tokens() + usage.completion_tokens());
  return usage;
}

std::string derived_finish_reason(const std::string& reported,
                                  const v1::ChatMessage& msg) {
  if (!reported.empty())
    return reported;
  return msg.tool_calls_size() > 0 ? "tool_calls" : "stop";
}

// The error object of a body, or the object itself.
const json& error_object(const json& x) {
  const auto* inner = member(x, "error");
  return inner != nullptr && inner->is_object() ? *inner : x;
}

std::string code_text(const json& err) {
  const auto* code = member(err, "code");
  if (code == nullptr)
    return {};
  if (code->is_string())
    return code->get<std::string>();
  if (code->is_number_integer())
    return std::to_string(code->get<int64_t>());
  return {};
}

errc code_of(const json& err, errc fallback) {
  auto type = text_or_empty(err, "type");
  auto code = code_text(err);
  if (type == "rate_limit_error" || type == "insufficient_quota"
      || code == "rate_limit_exceeded" || code == "insufficient_quota"
      || code == "429")
    return errc::resource_exhausted;
  if (type == "server_error" || type == "service_unavailable_error"
      || code == "server_error" || (code.size() == 3 && code[0] == '5'))
    return errc::unavailable;
  if (type == "invalid_request_error" || code == "400")
    return errc::invalid_argument;
  return fallback;
}

caf::expected<json> parse_object(std::string_view data, const char* what) {
  auto x = json::parse(data.begin(), data.end(), nullptr, false);
  if (x.is_discarded() || !x.is_object())
    return bad_upstream(std::string{what} + " that is not a JSON object");
  return x;
}

} // namespace

// -- messages and tools -------------------------------------------------------

json to_json(const v1::ChatMessage& msg) {
  json x{{"role", msg.role()}};
  bool calls = msg.tool_calls_size() > 0;
  if (calls && msg.content().empty())
    x["content"] = nullptr;
  else
    x["content"] = msg.content();
  if (calls) {
    auto& list = x["tool_calls"] = json::array();
    for (const auto& call : msg.tool_calls())
      list.push_back(tool_call_json(call));
  }
  if (msg.role() == "tool")
    x["tool_call_id"] = msg.tool_call_id();
  else if (!msg.name().empty())
    x["name"] = msg.name();
  return x;
}

caf::expected<v1::ChatMessage> message_from_json(const json& x) {
  // The accessors above check types first; this only guards against
  // surprises of the library (no exception may leave this module).
  try {
    return read_message(x);
  } catch (const std::exception& ex) {
    return bad_input(std::string{"malformed message: "} + ex.what());
  }
}

json to_json(const v1::ToolSpec& tool) {
  json fn{{"name", tool.name()},
          {"parameters", parameters_of(tool.parameters_json())}};
  if (!tool.description().empty())
    fn["description"] = tool.description();
  return {{"type", "function"}, {"function", std::move(fn)}};
}

caf::expected<v1::ToolSpec> tool_from_json(const json& x) {
  try {
    return read_tool(x);
  } catch (const std::exception& ex) {
    return bad_input(std::string{"malformed tool: "} + ex.what());
  }
}

std::string render_knowledge(
  const google::protobuf::RepeatedPtrField<v1::KnowledgePassage>& passages) {
  if (passages.empty())
    return {};
  std::string out = "Relevant knowledge:";
  int n = 0;
  for (const auto& p : passages) {
    out += n == 0 ? "\n" : "\n\n";
    out += "[" + std::to_string(++n) + "] " + p.source();
    if (!p.title().empty())
      out += " \u2014 " + p.title();
    out += "\n" + p.text();
  }
  return out;
}

// -- requests and responses ---------------------------------------------------

namespace {

// The client's settings, over the agent's.
void add_generation(const v1::GenerationSettings& gen, json& body) {
  if (gen.has_temperature())
    body["temperature"] = gen.temperature();
  if (gen.has_top_p())
    body["top_p"] = gen.top_p();
  if (gen.max_tokens() > 0)
    body["max_tokens"] = gen.max_tokens();
  if (gen.stop_size() > 0)
    body["stop"]
      = json(std::vector<std::string>{gen.stop().begin(), gen.stop().end()});
  if (gen.has_seed())
    body["seed"] = gen.seed();
  if (gen.has_presence_penalty())
    body["presence_penalty"] = gen.presence_penalty();
  if (gen.has_frequency_penalty())
    body["frequency_penalty"] = gen.frequency_penalty();
  const auto& format = gen.response_format();
  if (format.type() == "json_object")
    body["response_format"] = {{"type", "json_object"}};
  else if (format.type() == "json_schema")
    body["response_format"]
      = {{"type", "json_schema"},
         {"json_schema", json::parse(format.json_schema(), nullptr, false)}};
  // OpenAI refuses a tool choice without tools.
  if (!body.contains("tools"))
    return;
  const auto& choice = gen.tool_choice();
  if (choice.mode() == "required")
    body["tool_choice"] = "required";
  else if (choice.mode() == "function")
    body["tool_choice"]
      = {{"type", "function"}, {"function", {{"name", choice.function()}}}};
  if (gen.has_parallel_tool_calls())
    body["parallel_tool_calls"] = gen.parallel_tool_calls();
}

} // namespace

json to_chat_request(const v1::ModelRequest& req, bool stream) {
  json body{{"model", req.model().name()}};
  auto& messages = body["messages"] = json::array();
  auto knowledge = render_knowledge(req.knowledge());
  for (const auto& msg : req.messages()) {
    // The knowledge goes right after the leading system messages, where
    // models read instructions, and before the conversation.
    if (!knowledge.empty() && msg.role() != "system") {
      messages.push_back({{"role", "system"}, {"content", knowledge}});
      knowledge.clear();
    }
    messages.push_back(to_json(msg));
  }
  if (!knowledge.empty())
    messages.push_back({{"role", "system"}, {"content", knowledge}});
  if (req.tools_size() > 0) {
    auto& tools = body["tools"] = json::array();
    for (const auto& tool : req.tools())
      tools.push_back(to_json(tool));
  }
  if (req.model().has_temperature())
    body["temperature"] = req.model().temperature();
  if (req.model().max_tokens() > 0)
    body["max_tokens"] = req.model().max_tokens();
  add_generation(req.generation(), body);
  body["stream"] = stream;
  if (stream)
    body["stream_options"] = {{"include_usage", true}};
  return body;
}

caf::expected<v1::ModelResponse> from_chat_response(const json& x) {
  if (!x.is_object())
    return bad_upstream("a response that is not a JSON object");
  if (const auto* err = member(x, "error"); err != nullptr && !err->is_null())
    return upstream_error(x, errc::unavailable);
  const auto* choices = member(x, "choices");
  if (choices == nullptr || !choices->is_array() || choices->empty())
    return bad_upstream("a response without choices");
  const auto* message = member(choices->front(), "message");
  if (message == nullptr || !message->is_object())
    return bad_upstream("a choice without a message");
  v1::ModelResponse res;
  auto* msg = res.mutable_message();
  msg->set_role("assistant");
  try {
    if (const auto* content = member(*message, "content")) {
      auto text = content_text(*content);
      if (!text)
        return bad_upstream("a message with bad content: "
                            + render(text.error()));
      msg->set_content(std::move(*text));
    }
    if (const auto* calls = member(*message, "tool_calls"))
      if (auto err = read_tool_calls(*calls, *msg))
        return bad_upstream("bad tool calls: " + render(err));
  } catch (const std::exception& ex) {
    return bad_upstream(std::string{"a malformed message: "} + ex.what());
  }
  res.set_finish_reason(derived_finish_reason(
    text_or_empty(choices->front(), "finish_reason"), *msg));
  if (const auto* usage = member(x, "usage"); usage && usage->is_object())
    *res.mutable_usage() = usage_of(*usage);
  res.set_model(text_or_empty(x, "model"));
  return res;
}

caf::error upstream_error(const json& x, errc fallback) {
  // Ollama's native error shape is {"error": "<text>"}.
  if (const auto* inner = member(x, "error"); inner && inner->is_string())
    return make_error(fallback, "upstream error: " + inner->get<std::string>());
  const auto& err = error_object(x);
  auto text = text_or_empty(err, "message");
  if (text.empty())
    text = "no message";
  return make_error(code_of(err, fallback), "upstream error: " + text);
}

std::optional<std::string> upstream_error_message(const json& body) {
  const auto* err = member(body, "error");
  if (err == nullptr)
    return std::nullopt;
  if (err->is_string())
    return err->get<std::string>();
  auto text = text_or_empty(*err, "message");
  if (text.empty())
    return std::nullopt;
  return text;
}

// -- stream_accumulator -------------------------------------------------------

stream_accumulator::stream_accumulator(std::set<std::string> relayed)
  : relayed_(std::move(relayed)) {}

caf::expected<std::vector<v1::ChatDelta>>
stream_accumulator::feed(std::string_view data) {
  std::vector<v1::ChatDelta> out;
  if (done_)
    return out;
  if (data == "[DONE]") {
    done_ = true;
    return out;
  }
  auto chunk = parse_object(data, "a stream chunk");
  if (!chunk)
    return chunk.error();
  if (const auto* err = member(*chunk, "error"); err && !err->is_null())
    return upstream_error(*chunk, errc::unavailable);
  if (auto model = text_or_empty(*chunk, "model"); !model.empty())
    model_ = std::move(model);
  if (const auto* usage = member(*chunk, "usage"); usage && usage->is_object())
    usage_ = usage_of(*usage);
  const auto* choices = member(*chunk, "choices");
  if (choices == nullptr || choices->is_null())
    return out;
  if (!choices->is_array())
    return bad_upstream("a stream chunk whose choices are not an array");
  for (const auto& choice : *choices) {
    // Only the first choice (n = 1): the others would be other answers.
    const auto* index = member(choice, "index");
    if (index != nullptr && index->is_number() && index->get<int64_t>() != 0)
      continue;
    if (auto err = take_choice(choice, out))
      return err;
  }
  if (!out.empty())
    forwarded_ = true;
  return out;
}

caf::error stream_accumulator::take_choice(const json& choice,
                                           std::vector<v1::ChatDelta>& out) {
  if (auto reason = text_or_empty(choice, "finish_reason"); !reason.empty())
    finish_reason_ = std::move(reason);
  const auto* delta = member(choice, "delta");
  if (delta == nullptr || delta->is_null())
    return {};
  if (!delta->is_object())
    return bad_upstream("a stream chunk whose delta is not an object");
  if (const auto* content = member(*delta, "content")) {
    auto text = content_text(*content);
    if (!text)
      return bad_upstream("a delta with bad content: " + render(text.error()));
    if (!text->empty()) {
      content_ += *text;
      out.emplace_back().set_content(std::move(*text));
    }
  }
  const auto* calls = member(*delta, "tool_calls");
  if (calls == nullptr || calls->is_null())
    return {};
  if (!calls->is_array())
    return bad_upstream("a delta whose tool_calls are not an array");
  for (const auto& call : *calls)
    if (auto err = take_tool_call(call, out))
      return err;
  return {};
}

caf::error stream_accumulator::take_tool_call(const json& x,
                                              std::vector<v1::ChatDelta>& out) {
  const auto* index = member(x, "index");
  // Some servers (older Ollama) send whole calls without an index.
  int64_t i = static_cast<int64_t>(calls_.size());
  if (index != nullptr) {
    if (!index->is_number_integer())
      return bad_upstream("a tool call fragment with a bad index");
    i = index->get<int64_t>();
  }
  // id and name come with the first fragment; some servers repeat them in
  // every fragment, so later ones are ignored rather than appended.
  auto& call = calls_[i];
  auto known_arguments = call.arguments.size();
  if (call.id.empty())
    call.id = text_or_empty(x, "id");
  const auto* fn = member(x, "function");
  if (fn == nullptr || fn->is_null())
    return {};
  if (!fn->is_object())
    return bad_upstream("a tool call fragment whose function is not an object");
  if (call.name.empty())
    call.name = text_or_empty(*fn, "name");
  if (const auto* args = member(*fn, "arguments"); args && !args->is_null())
    call.arguments
      += args->is_string() ? args->get<std::string>() : arguments_text(*args);
  relay(i, call, known_arguments, out);
  return {};
}

void stream_accumulator::relay(int64_t index, partial_call& call,
                               size_t known_arguments,
                               std::vector<v1::ChatDelta>& out) {
  if (call.name.empty())
    return;
  if (!call.relayed) {
    call.relayed = relayed_.count(call.name) > 0;
    if (!*call.relayed)
      return;
    // The client learns the id now: the answer must keep naming the call
    // by it, even if a later fragment brings another one.
    if (call.id.empty())
      call.id = fallback_call_id(index);
    out.push_back(call_fragment(index, call.id, call.name, call.arguments));
    return;
  }
  if (*call.relayed && call.arguments.size() > known_arguments)
    out.push_back(
      call_fragment(index, {}, {}, call.arguments.substr(known_arguments)));
}

caf::expected<v1::ModelResponse> stream_accumulator::result() const {
  if (!done_ && finish_reason_.empty())
    return make_error(errc::unavailable,
                      "upstream ended the stream before it finished");
  v1::ModelResponse res;
  auto* msg = res.mutable_message();
  msg->set_role("assistant");
  msg->set_content(content_);
  for (const auto& [index, partial] : calls_) {
    if (partial.name.empty())
      return bad_upstream("a streamed tool call without a function name");
    auto* call = msg->add_tool_calls();
    call->set_id(partial.id.empty() ? fallback_call_id(index) : partial.id);
    call->set_name(partial.name);
    call->set_arguments_json(partial.arguments.empty() ? "{}"
                                                       : partial.arguments);
  }
  res.set_finish_reason(derived_finish_reason(finish_reason_, *msg));
  if (usage_)
    *res.mutable_usage() = *usage_;
  res.set_model(model_);
  return res;
}

} // namespace bsm::models
