#include "http_api/openai_request.hpp"

#include <cmath>
#include <limits>
#include <optional>

#include "agents/models/openai_json.hpp"
#include "runtime/error.hpp"
#include "runtime/http/error_response.hpp"

namespace bsm::openai_format {

namespace {

using json = nlohmann::json;

/// A refusal naming its field.
struct field_error {
  std::string param;
  std::string message;
};

using checked = std::optional<field_error>;

const char* type_name(const json& x) {
  if (x.is_string())
    return "a string";
  if (x.is_boolean())
    return "a boolean";
  if (x.is_number())
    return "a number";
  if (x.is_array())
    return "an array";
  if (x.is_object())
    return "an object";
  return "null";
}

field_error wrong_type(const std::string& field, const char* expected,
                       const json& got) {
  return {field, "Invalid type for '" + field + "': expected " + expected
                   + ", but got " + type_name(got) + " instead."};
}

/// The field's value, or nullptr when absent or null (OpenAI's clients
/// send null for "not set").
const json* present(const json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null())
    return nullptr;
  return &*it;
}

checked read_number(const json& body, const char* field, double lo, double hi,
                    std::optional<double>& out) {
  const auto* x = present(body, field);
  if (x == nullptr)
    return std::nullopt;
  if (!x->is_number())
    return wrong_type(field, "a number", *x);
  auto value = x->get<double>();
  if (!std::isfinite(value) || value < lo || value > hi)
    return field_error{field, "Invalid '" + std::string{field}
                                + "': expected a value between "
                                + json(lo).dump() + " and " + json(hi).dump()
                                + ", but got " + x->dump() + " instead."};
  out = value;
  return std::nullopt;
}

checked read_integer(const json& body, const char* field, int64_t lo,
                     int64_t hi, std::optional<int64_t>& out) {
  const auto* x = present(body, field);
  if (x == nullptr)
    return std::nullopt;
  if (!x->is_number_integer())
    return wrong_type(field, "an integer", *x);
  auto above = [&] {
    return field_error{field, "Invalid '" + std::string{field}
                                + "': integer above maximum value. Expected "
                                  "a value <= "
                                + std::to_string(hi) + ", but got " + x->dump()
                                + " instead."};
  };
  if (x->is_number_unsigned() && x->get<uint64_t>() > static_cast<uint64_t>(hi))
    return above();
  auto value = x->get<int64_t>();
  if (value < lo)
    return field_error{field, "Invalid '" + std::string{field}
                                + "': integer below minimum value. Expected "
                                  "a value >= "
                                + std::to_string(lo) + ", but got " + x->dump()
                                + " instead."};
  if (value > hi)
    return above();
  out = value;
  return std::nullopt;
}

checked read_flag(const json& body, const char* field, bool& out) {
  const auto* x = present(body, field);
  if (x == nullptr)
    return std::nullopt;
  if (!x->is_boolean())
    return wrong_type(field, "a boolean", *x);
  out = x->get<bool>();
  return std::nullopt;
}

checked read_stop(const json& body, v1::GenerationSettings& gen) {
  const auto* x = present(body, "stop");
  if (x == nullptr)
    return std::nullopt;
  if (x->is_string()) {
    gen.add_stop(x->get<std::string>());
    return std::nullopt;
  }
  if (!x->is_array())
    return wrong_type("stop", "a string or an array of strings", *x);
  if (x->size() > 4)
    return field_error{"stop", "Invalid 'stop': at most 4 stop sequences, "
                               "but got "
                                 + std::to_string(x->size()) + "."};
  for (const auto& s : *x) {
    if (!s.is_string())
      return wrong_type("stop", "an array of strings", *x);
    gen.add_stop(s.get<std::string>());
  }
  return std::nullopt;
}

checked read_response_format(const json& body, v1::ResponseFormat& out) {
  const auto* x = present(body, "response_format");
  if (x == nullptr)
    return std::nullopt;
  if (!x->is_object())
    return wrong_type("response_format", "an object", *x);
  auto type = x->find("type");
  if (type == x->end() || !type->is_string())
    return field_error{"response_format.type",
                       "Missing required parameter: 'response_format.type'."};
  auto name = type->get<std::string>();
  if (name != "text" && name != "json_object" && name != "json_schema")
    return field_error{"response_format.type",
                       "Invalid value: '" + name
                         + "'. Supported values are: 'text', 'json_object', "
                           "and 'json_schema'."};
  out.set_type(name);
  if (name != "json_schema")
    return std::nullopt;
  auto schema = x->find("json_schema");
  if (schema == x->end() || !schema->is_object())
    return field_error{
      "response_format.json_schema",
      "Missing required parameter: 'response_format.json_schema'."};
  auto schema_name = schema->find("name");
  if (schema_name == schema->end() || !schema_name->is_string()
      || schema_name->get<std::string>().empty())
    return field_error{
      "response_format.json_schema.name",
      "Missing required parameter: 'response_format.json_schema.name'."};
  if (auto s = schema->find("schema"); s != schema->end() && !s->is_object())
    return wrong_type("response_format.json_schema.schema", "an object", *s);
  out.set_json_schema(schema->dump());
  return std::nullopt;
}

// The number fields of the settings: their range and setter.
struct number_field {
  const char* name;
  double lo;
  double hi;
  void (v1::GenerationSettings::*set)(double);
};

constexpr number_field number_fields[] = {
  {"temperature", 0, 2, &v1::GenerationSettings::set_temperature},
  {"top_p", 0, 1, &v1::GenerationSettings::set_top_p},
  {"presence_penalty", -2, 2, &v1::GenerationSettings::set_presence_penalty},
  {"frequency_penalty", -2, 2, &v1::GenerationSettings::set_frequency_penalty},
};

checked read_generation(const json& body, v1::GenerationSettings& gen) {
  for (const auto& field : number_fields) {
    std::optional<double> number;
    if (auto err = read_number(body, field.name, field.lo, field.hi, number))
      return err;
    if (number)
      (gen.*field.set)(*number);
  }
  constexpr int64_t max_u32 = std::numeric_limits<uint32_t>::max();
  std::optional<int64_t> integer;
  // max_completion_tokens replaced max_tokens; a client may send both.
  for (const char* field : {"max_tokens", "max_completion_tokens"}) {
    if (auto err = read_integer(body, field, 1, max_u32, integer))
      return err;
    if (integer)
      gen.set_max_tokens(static_cast<uint32_t>(*integer));
    integer.reset();
  }
  if (auto err = read_integer(body, "seed", std::numeric_limits<int64_t>::min(),
                              std::numeric_limits<int64_t>::max(), integer))
    return err;
  if (integer)
    gen.set_seed(*integer);
  if (auto err = read_stop(body, gen))
    return err;
  return read_response_format(body, *gen.mutable_response_format());
}

// Fields whose meaning an agent cannot give: refused, not ignored.
checked refuse_unsupported(const json& body) {
  std::optional<int64_t> n;
  if (auto err = read_integer(body, "n", 1, 128, n))
    return err;
  if (n && *n > 1)
    return field_error{"n", "Invalid 'n': only 1 is supported (each "
                            "request is one turn of the agent), but got "
                              + std::to_string(*n) + "."};
  bool logprobs = false;
  if (auto err = read_flag(body, "logprobs", logprobs))
    return err;
  if (logprobs || present(body, "top_logprobs"))
    return field_error{"logprobs", "'logprobs' is not supported: an agent's "
                                   "answer has no token probabilities."};
  return std::nullopt;
}

checked read_messages(const json& body, v1::ChatRequest& chat) {
  auto messages = body.find("messages");
  if (messages == body.end() || !messages->is_array() || messages->empty())
    return field_error{"messages", "'messages' must be a non-empty array"};
  for (size_t i = 0; i < messages->size(); ++i) {
    auto msg = models::message_from_json((*messages)[i]);
    auto at = "messages[" + std::to_string(i) + "]";
    if (!msg)
      return field_error{at, at + ": " + http::message_of(msg.error())};
    *chat.add_messages() = std::move(*msg);
  }
  return std::nullopt;
}

// tool_choice: "none", "auto", "required" or {"type": "function",
// "function": {"name": ...}} naming one of `tools`.
checked read_tool_choice(const json& body, const v1::ChatRequest& chat,
                         v1::ToolChoice& out) {
  const auto* choice = present(body, "tool_choice");
  if (choice == nullptr)
    return std::nullopt;
  auto no_tools = [] {
    return field_error{"tool_choice", "Invalid value for 'tool_choice': "
                                      "'tool_choice' is only allowed when "
                                      "'tools' are specified."};
  };
  if (choice->is_string()) {
    const auto& mode = choice->get_ref<const std::string&>();
    if (mode == "none" || mode == "auto")
      return std::nullopt;
    if (mode != "required")
      return field_error{"tool_choice",
                         "Invalid value for 'tool_choice': '" + mode
                           + "'. Supported values are: 'none', 'auto' and "
                             "'required', or a function."};
    if (chat.client_tools().empty())
      return no_tools();
    out.set_mode("required");
    return std::nullopt;
  }
  const json* name = nullptr;
  if (choice->is_object() && choice->value("type", json{}) == "function")
    if (auto f = choice->find("function"); f != choice->end() && f->is_object())
      if (auto n = f->find("name"); n != f->end() && n->is_string())
        name = &*n;
  if (name == nullptr)
    return field_error{"tool_choice",
                       "Invalid value for 'tool_choice': an object must be "
                       "{\"type\": \"function\", \"function\": {\"name\": "
                       "...}}."};
  if (chat.client_tools().empty())
    return no_tools();
  const auto& wanted = name->get_ref<const std::string&>();
  auto listed
    = std::any_of(chat.client_tools().begin(), chat.client_tools().end(),
                  [&](const v1::ToolSpec& t) { return t.name() == wanted; });
  if (!listed)
    return field_error{"tool_choice", "Invalid value for 'tool_choice': "
                                      "the function '"
                                        + wanted + "' is not in 'tools'."};
  out.set_mode("function");
  out.set_function(wanted);
  return std::nullopt;
}

checked read_tools(const json& body, v1::ChatRequest& chat) {
  // tool_choice "none" means the model must not call the client's tools.
  if (const auto* choice = present(body, "tool_choice");
      choice != nullptr && choice->is_string()
      && choice->get<std::string>() == "none")
    return std::nullopt;
  const auto* tools = present(body, "tools");
  if (tools != nullptr && !tools->is_array())
    return wrong_type("tools", "an array", *tools);
  for (size_t i = 0; tools != nullptr && i < tools->size(); ++i) {
    auto tool = models::tool_from_json((*tools)[i]);
    auto at = "tools[" + std::to_string(i) + "]";
    if (!tool)
      return field_error{at, at + ": " + http::message_of(tool.error())};
    *chat.add_client_tools() = std::move(*tool);
  }
  auto& gen = *chat.mutable_generation();
  if (auto err = read_tool_choice(body, chat, *gen.mutable_tool_choice()))
    return err;
  bool parallel = true;
  if (auto err = read_flag(body, "parallel_tool_calls", parallel))
    return err;
  if (present(body, "parallel_tool_calls"))
    gen.set_parallel_tool_calls(parallel);
  return std::nullopt;
}

checked read_stream(const json& body, completion_request& out) {
  if (auto err = read_flag(body, "stream", out.stream))
    return err;
  const auto* opts = present(body, "stream_options");
  if (opts == nullptr)
    return std::nullopt;
  if (!opts->is_object())
    return wrong_type("stream_options", "an object", *opts);
  if (!out.stream)
    return field_error{"stream_options", "The 'stream_options' parameter is "
                                         "only allowed when 'stream' is "
                                         "enabled."};
  if (auto err = read_flag(*opts, "include_usage", out.include_usage))
    return field_error{"stream_options.include_usage", err->message};
  return std::nullopt;
}

checked read_request(const json& body, completion_request& out) {
  if (!body.is_object())
    return field_error{{}, "the body must be a JSON object"};
  const auto* model = present(body, "model");
  if (model == nullptr || !model->is_string() || model->empty())
    return field_error{"model", "'model' must be the name of an agent"};
  out.chat.set_agent(model->get<std::string>());
  for (auto step : {read_messages, read_tools})
    if (auto err = step(body, out.chat))
      return err;
  if (auto err = refuse_unsupported(body))
    return err;
  if (auto err = read_generation(body, *out.chat.mutable_generation()))
    return err;
  if (const auto* user = present(body, "user"); user && !user->is_string())
    return wrong_type("user", "a string", *user);
  return read_stream(body, out);
}

} // namespace

caf::expected<completion_request> parse_request(const nlohmann::json& body,
                                                std::string* param) {
  completion_request result;
  if (auto err = read_request(body, result)) {
    if (param != nullptr)
      *param = std::move(err->param);
    return make_error(errc::invalid_argument, std::move(err->message));
  }
  return result;
}

} // namespace bsm::openai_format
