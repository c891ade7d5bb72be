#include "agents/models/local_model.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "agents/models/relayed_calls.hpp"
#include "agents/tools/tool_names.hpp"
#include "runtime/ascii.hpp"
#include "runtime/error.hpp"
#include "runtime/http/json_depth.hpp"

namespace bsm::models {

namespace {

// -- limits of an answer ------------------------------------------------------

// Passages quoted in a knowledge answer, and bytes of each.
constexpr size_t max_quoted_passages = 3;
constexpr size_t max_quote_bytes = 600;
// Passages and bytes each after tool results.
constexpr size_t max_related_passages = 2;
constexpr size_t max_related_bytes = 300;
// Bytes of one tool result repeated in the answer.
constexpr size_t max_result_bytes = 1500;
// A passage scoring below this share of the best is not worth quoting.
constexpr double min_relative_score = 0.25;
// Nesting accepted in explicit call arguments.
constexpr uint32_t max_argument_depth = 32;

// -- text helpers -------------------------------------------------------------

// Drops trailing sentence punctuation and blanks: "recall colour?" asks
// for "colour".
std::string_view trim_end_punct(std::string_view x) {
  x = ascii_trim(x);
  while (!x.empty() && (x.back() == '?' || x.back() == '.' || x.back() == '!'))
    x.remove_suffix(1);
  return ascii_trim(x);
}

bool starts_with(std::string_view x, std::string_view prefix) {
  return x.substr(0, prefix.size()) == prefix;
}

// Cuts `x` to at most `n` bytes at a UTF-8 character boundary.
std::string_view cut_utf8(std::string_view x, size_t n) {
  if (x.size() <= n)
    return x;
  while (n > 0 && (static_cast<unsigned char>(x[n]) & 0xC0) == 0x80)
    --n;
  return x.substr(0, n);
}

// Cuts `x` to about `n` bytes at a word boundary, marking the cut.
std::string excerpt(std::string_view x, size_t n) {
  x = ascii_trim(x);
  if (x.size() <= n)
    return std::string{x};
  auto cut = cut_utf8(x, n);
  if (auto space = cut.find_last_of(" \n\t");
      space != std::string_view::npos && space > n / 2)
    cut = cut.substr(0, space);
  return std::string{ascii_trim(cut)} + " …";
}

std::string to_json(const nlohmann::json& x) {
  return x.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// -- the request --------------------------------------------------------------

bool has_tool(const v1::ModelRequest& req, std::string_view name) {
  return std::any_of(req.tools().begin(), req.tools().end(),
                     [&](const auto& x) { return x.name() == name; });
}

// Index of the last user message, or -1.
int last_user_index(const v1::ModelRequest& req) {
  for (int i = req.messages_size() - 1; i >= 0; --i)
    if (req.messages(i).role() == "user")
      return i;
  return -1;
}

// True if a tool result follows the last user message.
bool in_answer_phase(const v1::ModelRequest& req, int last_user) {
  for (int i = last_user + 1; i < req.messages_size(); ++i)
    if (req.messages(i).role() == "tool")
      return true;
  return false;
}

// -- rules --------------------------------------------------------------------

struct tool_request {
  std::string name;
  std::string arguments_json;
};

// What the rules made of the input: a tool call, a direct answer, or
// nothing (then notes say which rules matched without their tool).
struct rule_outcome {
  std::optional<tool_request> call;
  std::string answer;
  std::vector<std::string> notes;
};

std::string_view without_please(std::string_view input) {
  input = ascii_trim(input);
  if (starts_with(ascii_lower(input.substr(0, 7)), "please "))
    input = ascii_trim(input.substr(7));
  return input;
}

// "call <tool> [with] {json}", "use <tool> [with] {json}", "call <tool>".
bool explicit_call(const v1::ModelRequest& req, std::string_view input,
                   rule_outcome& out) {
  auto l = ascii_lower(input);
  size_t pos;
  if (starts_with(l, "call "))
    pos = 5;
  else if (starts_with(l, "use "))
    pos = 4;
  else
    return false;
  auto rest = ascii_trim(input.substr(pos));
  auto end = rest.find_first_of(" \t\r\n{");
  auto args = end == std::string_view::npos ? std::string_view{}
                                            : ascii_trim(rest.substr(end));
  // "call current_time." names current_time.
  auto name
    = std::string{args.empty() ? trim_end_punct(rest) : rest.substr(0, end)};
  if (starts_with(ascii_lower(args.substr(0, 5)), "with ")
      || ascii_lower(args) == "with")
    args = ascii_trim(args.substr(4));
  bool json_like = !args.empty() && (args[0] == '{' || args[0] == '[');
  if (!has_tool(req, name)) {
    if (json_like)
      out.notes.push_back("This agent has no tool named '" + name + "'.");
    return false;
  }
  if (trim_end_punct(args).empty()) {
    out.call = tool_request{name, "{}"};
    return true;
  }
  if (!json_like)
    return false;
  std::string text{args};
  if (args[0] == '{'
      && http::json_depth(text, max_argument_depth) <= max_argument_depth
      && nlohmann::json::accept(text)) {
    out.call = tool_request{name, std::move(text)};
    return true;
  }
  out.answer
    = "The arguments for " + name + " must be a JSON object, for example: call "
      + name + " {\"key\": \"value\"}. This is not one: " + excerpt(args, 200);
  return true;
}

std::optional<tool_request> time_question(std::string_view input) {
  auto l = ascii_lower(input);
  // Curly apostrophes as typed on phones: "what’s the time".
  for (size_t i = l.find("\xE2\x80\x99"); i != std::string::npos;
       i = l.find("\xE2\x80\x99"))
    l.replace(i, 3, "'");
  static constexpr std::array<std::string_view, 14> phrases{
    {"what time is it", "what's the time", "what is the time", "current time",
     "time is it", "time now", "what's the date", "what is the date",
     "today's date", "current date", "what date is it", "what day is it",
     "date today", "what's today"}};
  auto asked = std::any_of(phrases.begin(), phrases.end(), [&](auto phrase) {
    return l.find(phrase) != std::string::npos;
  });
  if (!asked)
    return std::nullopt;
  return tool_request{agents::current_time_tool, "{}"};
}

// Memory keys are compared lowercase and without a leading article.
std::string memory_key(std::string_view x) {
  auto key = ascii_lower(trim_end_punct(x));
  if (starts_with(key, "the "))
    key = std::string{ascii_trim(std::string_view{key}.substr(4))};
  return key;
}

std::optional<tool_request> remember(std::string_view input) {
  auto l = ascii_lower(input);
  if (!starts_with(l, "remember "))
    return std::nullopt;
  size_t pos = 9;
  if (starts_with(std::string_view{l}.substr(pos), "that "))
    pos += 5;
  auto split = l.find(" is ", pos);
  size_t gap = 4;
  if (split == std::string::npos) {
    split = l.find(':', pos);
    gap = 1;
  }
  if (split == std::string::npos)
    return std::nullopt;
  auto key = memory_key(input.substr(pos, split - pos));
  auto value = trim_end_punct(input.substr(split + gap));
  if (key.empty() || value.empty())
    return std::nullopt;
  return tool_request{agents::memory_put_tool,
                      to_json({{"key", key}, {"value", std::string{value}}})};
}

std::optional<tool_request> recall(std::string_view input) {
  auto l = ascii_lower(input);
  std::string_view rest;
  for (std::string_view prefix :
       {"recall ", "what do you remember about ", "do you remember "})
    if (starts_with(l, prefix)) {
      rest = input.substr(prefix.size());
      break;
    }
  auto key = memory_key(rest);
  if (key.empty())
    return std::nullopt;
  return tool_request{agents::memory_get_tool, to_json({{"key", key}})};
}

bool is_agent_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
         || c == '-';
}

// "ask <agent>: <question>", "ask the <agent> agent <question>", "ask
// <agent> to <task>", "ask <agent> about <topic>".
std::optional<tool_request> ask(std::string_view input) {
  auto l = ascii_lower(input);
  if (!starts_with(l, "ask "))
    return std::nullopt;
  size_t pos = 4;
  bool formal = false;
  if (starts_with(std::string_view{l}.substr(pos), "the ")) {
    pos += 4;
    formal = true;
  }
  auto end = pos;
  while (end < l.size() && is_agent_char(l[end]))
    ++end;
  auto agent = l.substr(pos, end - pos);
  static constexpr std::array<std::string_view, 12> not_agents{
    {"me", "you", "him", "her", "them", "us", "for", "about", "if", "whether",
     "a", "an"}};
  if (agent.empty() || agent.size() > 64
      || std::find(not_agents.begin(), not_agents.end(), agent)
           != not_agents.end())
    return std::nullopt;
  auto rest = std::string_view{input}.substr(end);
  auto lrest = std::string_view{l}.substr(end);
  if (starts_with(lrest, " agent")
      && (lrest.size() == 6 || lrest[6] == ' ' || lrest[6] == ':'
          || lrest[6] == ',')) {
    rest = rest.substr(6);
    lrest = lrest.substr(6);
    formal = true;
  }
  std::string_view question;
  if (starts_with(lrest, ":") || starts_with(lrest, ","))
    question = rest.substr(1);
  else if (starts_with(lrest, " to "))
    question = rest.substr(4);
  else if (starts_with(lrest, " about "))
    question = rest.substr(7);
  else if (formal && starts_with(lrest, " "))
    question = rest;
  question = ascii_trim(question);
  if (question.empty())
    return std::nullopt;
  return tool_request{
    agents::ask_agent_tool,
    to_json({{"agent", agent}, {"input", std::string{question}}})};
}

std::optional<tool_request> search(std::string_view input) {
  auto l = ascii_lower(input);
  std::string_view rest;
  for (std::string_view prefix : {"search the knowledge for ", "search for ",
                                  "search ", "look up ", "lookup "})
    if (starts_with(l, prefix)) {
      rest = input.substr(prefix.size());
      break;
    }
  auto query = trim_end_punct(rest);
  if (query.empty())
    return std::nullopt;
  return tool_request{agents::knowledge_search_tool,
                      to_json({{"query", std::string{query}}})};
}

rule_outcome match_rules(const v1::ModelRequest& req, std::string_view raw) {
  rule_outcome out;
  auto input = without_please(raw);
  if (explicit_call(req, input, out))
    return out;
  struct named_rule {
    const char* tool;
    const char* missing;
    std::optional<tool_request> (*match)(std::string_view);
  };
  // Anchored forms first, so "ask legal: what time is it?" asks legal.
  static constexpr std::array<named_rule, 5> rules{
    {{agents::memory_put_tool,
      "This agent has no memory_put tool, so it cannot remember things.",
      remember},
     {agents::memory_get_tool,
      "This agent has no memory_get tool, so it cannot recall things.", recall},
     {agents::ask_agent_tool,
      "This agent has no ask_agent tool, so it cannot ask other agents.", ask},
     {agents::knowledge_search_tool,
      "This agent has no knowledge_search tool; it answers from the passages "
      "retrieved for the question.",
      search},
     {agents::current_time_tool,
      "This agent has no current_time tool, so it cannot tell the time.",
      time_question}}};
  // The first rule whose form matches decides: its tool, or a note.
  for (const auto& rule : rules) {
    auto call = rule.match(input);
    if (!call)
      continue;
    if (has_tool(req, rule.tool))
      out.call = std::move(call);
    else
      out.notes.emplace_back(rule.missing);
    return out;
  }
  return out;
}

// -- answers ------------------------------------------------------------------

std::string citation(size_t n, const v1::KnowledgePassage& passage) {
  auto line = "[" + std::to_string(n) + "] " + passage.source();
  if (!passage.title().empty())
    line += " — " + passage.title();
  return line;
}

// The passages worth quoting: the best `n`, without those far below the
// best score (when scores are known).
std::vector<const v1::KnowledgePassage*> quotable(const v1::ModelRequest& req,
                                                  size_t n) {
  std::vector<const v1::KnowledgePassage*> result;
  double best = 0;
  for (const auto& x : req.knowledge())
    best = std::max(best, x.score());
  for (const auto& x : req.knowledge()) {
    if (result.size() == n)
      break;
    if (best <= 0 || x.score() >= best * min_relative_score)
      result.push_back(&x);
  }
  return result;
}

std::string capabilities(const v1::ModelRequest& req) {
  if (req.tools().empty())
    return "This agent has no tools.";
  std::string text = "What this agent can do:";
  for (const auto& tool : req.tools()) {
    text += "\n- " + tool.name();
    if (!tool.description().empty())
      text += ": " + excerpt(tool.description(), 160);
  }
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 5>
    examples{{{agents::knowledge_search_tool, "\"search <words>\""},
              {agents::memory_put_tool, "\"remember <key> is <value>\""},
              {agents::memory_get_tool, "\"recall <key>\""},
              {agents::ask_agent_tool, "\"ask <agent>: <question>\""},
              {agents::current_time_tool, "\"what time is it?\""}}};
  std::string phrases;
  for (auto [tool, phrase] : examples)
    if (has_tool(req, tool))
      phrases += std::string{phrases.empty() ? "" : ", "} + std::string{phrase};
  text += "\nTry " + (phrases.empty() ? std::string{} : phrases + ", or ")
          + "\"call <tool> {json arguments}\".";
  return text;
}

std::string knowledge_answer(const v1::ModelRequest& req,
                             const rule_outcome& rules) {
  std::string text{honesty_marker};
  text += '\n';
  for (const auto& note : rules.notes)
    text += note + '\n';
  auto passages = quotable(req, max_quoted_passages);
  if (passages.empty()) {
    text += "I found nothing in this agent's knowledge about that.\n";
    text += capabilities(req);
    return text;
  }
  text += "From this agent's knowledge:";
  for (size_t i = 0; i < passages.size(); ++i)
    text += "\n\n" + citation(i + 1, *passages[i]) + "\n"
            + excerpt(passages[i]->text(), max_quote_bytes);
  return text;
}

std::string results_answer(const v1::ModelRequest& req, int last_user) {
  std::map<std::string, std::string> names;
  for (int i = last_user + 1; i < req.messages_size(); ++i)
    for (const auto& call : req.messages(i).tool_calls())
      names[call.id()] = call.name();
  std::string text{honesty_marker};
  for (int i = last_user + 1; i < req.messages_size(); ++i) {
    const auto& msg = req.messages(i);
    if (msg.role() != "tool")
      continue;
    auto name = msg.name();
    if (name.empty()) {
      auto known = names.find(msg.tool_call_id());
      name = known != names.end() ? known->second : "a tool";
    }
    auto result = excerpt(msg.content(), max_result_bytes);
    if (result.empty())
      result = "(nothing)";
    text += "\n" + name + " returned:"
            + (result.find('\n') == std::string::npos ? " " : "\n") + result;
  }
  auto passages = quotable(req, max_related_passages);
  if (!passages.empty())
    text += "\n\nRelated knowledge:";
  for (size_t i = 0; i < passages.size(); ++i)
    text += "\n" + citation(i + 1, *passages[i]) + "\n"
            + excerpt(passages[i]->text(), max_related_bytes);
  return text;
}

uint64_t prompt_tokens(const v1::ModelRequest& req) {
  uint64_t n = 0;
  for (const auto& msg : req.messages())
    n += approximate_tokens(msg.content());
  return n;
}

// The client's limit wins over the agent's.
uint32_t max_tokens(const v1::ModelRequest& req) {
  auto client = req.generation().max_tokens();
  return client > 0 ? client : req.model().max_tokens();
}

// Ends the content before the first stop sequence, as a model stops there.
void cut_at_stop(std::string& content, const v1::GenerationSettings& gen) {
  auto end = content.size();
  for (const auto& stop : gen.stop())
    if (!stop.empty())
      end = std::min(end, content.find(stop));
  content.resize(end);
}

// -- a forced call (tool_choice)
// ------------------------------------------------

caf::error unfillable(const std::string& what) {
  return make_field_error(errc::invalid_argument, "tool_choice",
                          what
                            + " (the local provider has no language model "
                              "to write arguments; give the agent an "
                              "openai model)");
}

// The numbers written in `text`, in order ("36", "-2.5"; not the digits
// inside a word such as "v2").
std::vector<double> numbers_in(const std::string& text) {
  std::vector<double> result;
  size_t i = 0;
  while (i < text.size()) {
    auto starts = std::isdigit(static_cast<unsigned char>(text[i]))
                  || (text[i] == '-' && i + 1 < text.size()
                      && std::isdigit(static_cast<unsigned char>(text[i + 1])));
    auto in_word
      = i > 0 && std::isalnum(static_cast<unsigned char>(text[i - 1]));
    if (!starts || in_word) {
      ++i;
      continue;
    }
    // strtod, not stod: a number too large is HUGE_VAL, not an exception.
    char* end = nullptr;
    auto x = std::strtod(text.c_str() + i, &end);
    if (std::isfinite(x))
      result.push_back(x);
    i = std::max<size_t>(static_cast<size_t>(end - text.c_str()), i + 1);
  }
  return result;
}

// Arguments for `spec` as far as the message can give them without a
// language model: each property's default; for a required one without,
// the first of its enum, the message itself for one string, and the
// message's numbers in order for numbers (a whole one for an integer).
caf::expected<std::string> fill_arguments(const v1::ToolSpec& spec,
                                          const std::string& input) {
  auto schema = nlohmann::json::parse(spec.parameters_json(), nullptr, false);
  auto args = nlohmann::json::object();
  if (!schema.is_object())
    return args.dump();
  auto props = schema.value("properties", nlohmann::json::object());
  if (!props.is_object())
    props = nlohmann::json::object();
  for (const auto& [name, prop] : props.items())
    if (prop.is_object() && prop.contains("default"))
      args[name] = prop["default"];
  bool message_used = false;
  auto numbers = numbers_in(input);
  auto next_number = numbers.begin();
  for (const auto& r : schema.value("required", nlohmann::json::array())) {
    if (!r.is_string() || args.contains(r.get<std::string>()))
      continue;
    auto name = r.get<std::string>();
    auto prop = props.value(name, nlohmann::json::object());
    auto type = prop.is_object() ? prop.value("type", nlohmann::json{})
                                 : nlohmann::json{};
    auto choices = prop.is_object() ? prop.value("enum", nlohmann::json{})
                                    : nlohmann::json{};
    if (choices.is_array() && !choices.empty()) {
      args[name] = choices.front();
    } else if (type == "string" && !message_used) {
      args[name] = input;
      message_used = true;
    } else if (type == "integer") {
      next_number = std::find_if(next_number, numbers.end(), [](double x) {
        return std::abs(x) < 9e15 && x == std::trunc(x);
      });
      if (next_number == numbers.end())
        return unfillable("cannot fill the required argument '" + name
                          + "' of '" + spec.name()
                          + "' from the message (it has no whole number "
                            "for it)");
      args[name] = static_cast<int64_t>(*next_number++);
    } else if (type == "number" && next_number != numbers.end()) {
      args[name] = *next_number++;
    } else {
      return unfillable("cannot fill the required argument '" + name + "' of '"
                        + spec.name() + "' from the message");
    }
  }
  return args.dump();
}

// The call tool_choice forces on the turn's first model call, if any: the
// named function, or for "required" the tool the rules chose, else the
// first tool offered.
caf::expected<std::optional<tool_request>>
forced_call(const v1::ModelRequest& req, const std::string& input,
            const rule_outcome& rules) {
  const auto& choice = req.generation().tool_choice();
  if (choice.mode() != "required" && choice.mode() != "function")
    return std::optional<tool_request>{};
  if (rules.call
      && (choice.mode() == "required" || rules.call->name == choice.function()))
    return std::optional<tool_request>{*rules.call};
  const v1::ToolSpec* spec = nullptr;
  for (const auto& t : req.tools())
    if (choice.mode() == "required" || t.name() == choice.function()) {
      spec = &t;
      break;
    }
  if (spec == nullptr)
    return unfillable("tool_choice names a tool the model is not offered");
  auto args = fill_arguments(*spec, input);
  if (!args)
    return args.error();
  return std::optional<tool_request>{tool_request{spec->name(), *args}};
}

std::string last_user_input(const v1::ModelRequest& req, int last_user) {
  return last_user >= 0 ? req.messages(last_user).content() : std::string{};
}

} // namespace

caf::error refuse_locally(const v1::ModelRequest& req) {
  auto last_user = last_user_index(req);
  if (!in_answer_phase(req, last_user)) {
    auto input = last_user_input(req, last_user);
    auto forced = forced_call(req, input, match_rules(req, input));
    if (!forced)
      return forced.error();
  }
  if (req.generation().response_format().type() == "json_schema")
    return make_error(errc::invalid_argument,
                      "response_format json_schema needs a language model: "
                      "the local provider cannot follow a JSON schema (give "
                      "the agent an openai model, or ask for json_object)");
  return {};
}

std::vector<std::string_view> word_pieces(std::string_view text) {
  std::vector<std::string_view> result;
  size_t begin = 0;
  while (begin < text.size()) {
    auto end = text.find_first_of(" \n\t", begin);
    end = end == std::string_view::npos ? text.size()
                                        : text.find_first_not_of(" \n\t", end);
    if (end == std::string_view::npos)
      end = text.size();
    result.push_back(text.substr(begin, end - begin));
    begin = end;
  }
  return result;
}

std::vector<v1::ChatDelta> local_deltas(const v1::ModelRequest& req,
                                        const v1::ModelResponse& res) {
  std::vector<v1::ChatDelta> result;
  for (auto piece : word_pieces(res.message().content()))
    result.emplace_back().set_content(std::string{piece});
  for (auto& call : whole_call_fragments(res.message(), relayed_tools(req)))
    result.push_back(std::move(call));
  return result;
}

uint64_t approximate_tokens(std::string_view text) {
  return (text.size() + 3) / 4;
}

v1::ModelResponse complete_locally(const v1::ModelRequest& req) {
  v1::ModelResponse resp;
  resp.set_model("local");
  auto* msg = resp.mutable_message();
  msg->set_role("assistant");
  auto last_user = last_user_index(req);
  auto input = last_user_input(req, last_user);
  std::string content;
  auto call_tool = [&](const tool_request& x) {
    auto* call = msg->add_tool_calls();
    call->set_id("call_" + std::to_string(req.messages_size()) + "_0");
    call->set_name(x.name);
    call->set_arguments_json(x.arguments_json);
    resp.set_finish_reason("tool_calls");
  };
  if (in_answer_phase(req, last_user)) {
    content = results_answer(req, last_user);
  } else {
    auto rules = match_rules(req, input);
    // refuse_locally() turned away a forced call that cannot be made.
    auto forced = forced_call(req, input, rules);
    if (forced && *forced)
      call_tool(**forced);
    else if (rules.call)
      call_tool(*rules.call);
    else if (!rules.answer.empty())
      content = std::string{honesty_marker} + "\n" + rules.answer;
    else
      content = knowledge_answer(req, rules);
  }
  if (resp.finish_reason().empty()) {
    resp.set_finish_reason("stop");
    cut_at_stop(content, req.generation());
    auto limit = static_cast<size_t>(max_tokens(req)) * 4;
    if (limit > 0 && content.size() > limit) {
      content = std::string{cut_utf8(content, limit)};
      resp.set_finish_reason("length");
    }
    if (req.generation().response_format().type() == "json_object")
      content = nlohmann::json{{"content", content}}.dump();
  }
  msg->set_content(std::move(content));
  uint64_t completion = approximate_tokens(msg->content());
  for (const auto& call : msg->tool_calls())
    completion += approximate_tokens(call.name())
                  + approximate_tokens(call.arguments_json());
  auto* usage = resp.mutable_usage();
  usage->set_prompt_tokens(prompt_tokens(req));
  usage->set_completion_tokens(completion);
  usage->set_total_tokens(usage->prompt_tokens() + completion);
  return resp;
}

} // namespace bsm::models
