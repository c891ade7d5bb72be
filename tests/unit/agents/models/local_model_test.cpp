#include "agents/models/local_model.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <initializer_list>
#include <string>

#include <nlohmann/json.hpp>

#include "agents/knowledge/knowledge_index.hpp"
#include "runtime/error.hpp"

#ifndef BSM_SOURCE_DIR
#  define BSM_SOURCE_DIR "."
#endif

namespace {

using bsm::models::approximate_tokens;
using bsm::models::complete_locally;
using bsm::models::honesty_marker;
using bsm::v1::ModelRequest;
using bsm::v1::ModelResponse;

const std::initializer_list<const char*> builtin_tools = {
  "knowledge_search", "memory_get", "memory_put", "ask_agent", "current_time"};

/// A request with a system prompt, the given tools and one user message.
ModelRequest request(const std::string& input,
                     std::initializer_list<const char*> tools = builtin_tools) {
  ModelRequest req;
  req.mutable_model()->set_provider("local");
  req.mutable_model()->set_name("local");
  auto* sys = req.add_messages();
  sys->set_role("system");
  sys->set_content("You are a test agent.");
  auto* user = req.add_messages();
  user->set_role("user");
  user->set_content(input);
  for (const char* name : tools) {
    auto* tool = req.add_tools();
    tool->set_name(name);
    tool->set_description(std::string{"Does "} + name + ".");
    tool->set_parameters_json("{}");
  }
  return req;
}

void add_passage(ModelRequest& req, const std::string& source,
                 const std::string& title, const std::string& text,
                 double score) {
  auto* x = req.add_knowledge();
  x->set_source(source);
  x->set_title(title);
  x->set_text(text);
  x->set_score(score);
}

bool starts_with(const std::string& x, std::string_view prefix) {
  return x.compare(0, prefix.size(), prefix) == 0;
}

bool contains(const std::string& x, std::string_view needle) {
  return x.find(needle) != std::string::npos;
}

/// Expects exactly one call of `tool` and returns its parsed arguments.
nlohmann::json single_call(const ModelResponse& resp, const std::string& tool) {
  EXPECT_EQ(resp.finish_reason(), "tool_calls") << resp.message().content();
  EXPECT_EQ(resp.message().role(), "assistant");
  if (resp.message().tool_calls_size() != 1) {
    ADD_FAILURE() << "expected one tool call, got "
                  << resp.message().tool_calls_size()
                  << "; content: " << resp.message().content();
    return nullptr;
  }
  const auto& call = resp.message().tool_calls(0);
  EXPECT_EQ(call.name(), tool);
  auto args = nlohmann::json::parse(call.arguments_json(), nullptr, false);
  EXPECT_TRUE(args.is_object()) << call.arguments_json();
  return args;
}

/// Expects a final answer (no tool calls) that starts with the marker.
void expect_answer(const ModelResponse& resp) {
  EXPECT_EQ(resp.finish_reason(), "stop");
  EXPECT_EQ(resp.message().tool_calls_size(), 0);
  EXPECT_TRUE(starts_with(resp.message().content(), honesty_marker))
    << resp.message().content();
}

bool valid_utf8(const std::string& x) {
  for (size_t i = 0; i < x.size();) {
    auto c = static_cast<unsigned char>(x[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    if (i + n > x.size())
      return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(x[i + k]) & 0xC0) != 0x80)
        return false;
    i += n;
  }
  return true;
}

// -- explicit calls -----------------------------------------------------------

TEST(LocalModel, ExplicitCallPassesJsonArgumentsToAnyListedTool) {
  auto req = request(R"(call everything__echo {"message": "hi"})",
                     {"everything__echo"});
  auto resp = complete_locally(req);
  auto args = single_call(resp, "everything__echo");
  EXPECT_EQ(resp.message().tool_calls(0).arguments_json(),
            R"({"message": "hi"})");
  EXPECT_EQ(args["message"], "hi");
  EXPECT_EQ(resp.message().tool_calls(0).id(), "call_2_0");
}

TEST(LocalModel, UseToolWithJsonIsAnExplicitCall) {
  auto req = request(R"(Use client_lookup with {"id": 7})", {"client_lookup"});
  auto args = single_call(complete_locally(req), "client_lookup");
  EXPECT_EQ(args["id"], 7);
}

TEST(LocalModel, ExplicitCallWithoutArgumentsSendsAnEmptyObject) {
  for (const char* input :
       {"call current_time", "Call current_time.", "please use current_time"}) {
    auto args = single_call(complete_locally(request(input, {"current_time"})),
                            "current_time");
    EXPECT_TRUE(args.empty()) << input;
  }
}

TEST(LocalModel, ExplicitCallWithInvalidJsonExplainsTheArguments) {
  for (const char* input :
       {"call everything__echo {message: hi}", "call everything__echo [1, 2]",
        R"(call everything__echo {"a": 1} trailing)"}) {
    auto resp = complete_locally(request(input, {"everything__echo"}));
    expect_answer(resp);
    EXPECT_TRUE(contains(resp.message().content(), "must be a JSON object"))
      << input << ": " << resp.message().content();
  }
}

TEST(LocalModel, ExplicitCallOfAnUnlistedToolIsNotACall) {
  auto resp = complete_locally(
    request(R"(call rm_rf {"path": "/"})", {"current_time"}));
  expect_answer(resp);
  EXPECT_TRUE(contains(resp.message().content(), "no tool named 'rm_rf'"));
}

TEST(LocalModel, CallInPlainEnglishIsNotAnExplicitCall) {
  auto resp = complete_locally(
    request("use knowledge_search to find things", {"knowledge_search"}));
  expect_answer(resp);
}

// -- rules --------------------------------------------------------------------

TEST(LocalModel, TimeQuestionsCallCurrentTime) {
  for (const char* input :
       {"What time is it?", "what's the date today", "Current time please",
        "What\xE2\x80\x99s the time?"}) {
    auto resp = complete_locally(request(input));
    auto args = single_call(resp, "current_time");
    EXPECT_TRUE(args.empty()) << input;
  }
}

TEST(LocalModel, RememberCallsMemoryPut) {
  auto args = single_call(
    complete_locally(request("Remember that my favourite colour is Blue.")),
    "memory_put");
  EXPECT_EQ(
    args, (nlohmann::json{{"key", "my favourite colour"}, {"value", "Blue"}}));
  args = single_call(
    complete_locally(request("please remember the Project deadline: 1 May")),
    "memory_put");
  EXPECT_EQ(args,
            (nlohmann::json{{"key", "project deadline"}, {"value", "1 May"}}));
}

TEST(LocalModel, RecallCallsMemoryGet) {
  auto args = single_call(
    complete_locally(request("recall my favourite colour?")), "memory_get");
  EXPECT_EQ(args, (nlohmann::json{{"key", "my favourite colour"}}));
  args = single_call(complete_locally(request(
                       "What do you remember about the Project deadline")),
                     "memory_get");
  EXPECT_EQ(args, (nlohmann::json{{"key", "project deadline"}}));
}

TEST(LocalModel, AskCallsAskAgentInThreeForms) {
  auto args = single_call(
    complete_locally(request("ask legal: is MIT compatible with GPL?")),
    "ask_agent");
  EXPECT_EQ(args, (nlohmann::json{{"agent", "legal"},
                                  {"input", "is MIT compatible with GPL?"}}));
  args = single_call(
    complete_locally(request("Ask the security agent how to rotate API keys")),
    "ask_agent");
  EXPECT_EQ(args, (nlohmann::json{{"agent", "security"},
                                  {"input", "how to rotate API keys"}}));
  args = single_call(
    complete_locally(request("ask runner to check the health of node-b")),
    "ask_agent");
  EXPECT_EQ(args, (nlohmann::json{{"agent", "runner"},
                                  {"input", "check the health of node-b"}}));
}

TEST(LocalModel, AnchoredFormsWinOverTimeQuestions) {
  auto args = single_call(
    complete_locally(request("ask legal: what time is it in Berlin?")),
    "ask_agent");
  EXPECT_EQ(args["agent"], "legal");
  args = single_call(complete_locally(request("search for what time is it")),
                     "knowledge_search");
  EXPECT_EQ(args["query"], "what time is it");
  auto resp = complete_locally(
    request("ask legal: what time is it?", {"current_time"}));
  expect_answer(resp);
  EXPECT_TRUE(contains(resp.message().content(), "no ask_agent tool"));
}

TEST(LocalModel, AskWithoutAQuestionOrAgentIsNoCall) {
  for (const char* input :
       {"ask legal", "ask me anything about contracts", "ask for a raise"})
    expect_answer(complete_locally(request(input)));
}

TEST(LocalModel, SearchCallsKnowledgeSearch) {
  auto args = single_call(complete_locally(request("search for GDPR fines?")),
                          "knowledge_search");
  EXPECT_EQ(args, (nlohmann::json{{"query", "GDPR fines"}}));
  args = single_call(complete_locally(request("look up RACI")),
                     "knowledge_search");
  EXPECT_EQ(args, (nlohmann::json{{"query", "RACI"}}));
}

TEST(LocalModel, RulesApplyOnlyWhenTheAgentHasTheTool) {
  auto resp = complete_locally(request("remember x is y", {"current_time"}));
  expect_answer(resp);
  EXPECT_TRUE(contains(resp.message().content(), "no memory_put tool"));
  resp = complete_locally(request("what time is it", {}));
  expect_answer(resp);
  EXPECT_TRUE(contains(resp.message().content(), "no current_time tool"));
}

TEST(LocalModel, ToolCallIdsCountTheMessages) {
  auto req = request("earlier question");
  auto* answer = req.add_messages();
  answer->set_role("assistant");
  answer->set_content("earlier answer");
  auto* user = req.add_messages();
  user->set_role("user");
  user->set_content("what time is it");
  auto resp = complete_locally(req);
  single_call(resp, "current_time");
  EXPECT_EQ(resp.message().tool_calls(0).id(), "call_4_0");
}

TEST(LocalModel, OnlyTheLastUserMessageIsTheInput) {
  auto req = request("what time is it");
  auto* answer = req.add_messages();
  answer->set_role("assistant");
  answer->set_content("(local provider...) current_time returned: noon");
  auto* user = req.add_messages();
  user->set_role("user");
  user->set_content("thanks");
  expect_answer(complete_locally(req));
}

// -- answers ------------------------------------------------------------------

TEST(LocalModel, AnswerPhaseNamesToolResultsAndAddsKnowledge) {
  auto req = request("what time is it");
  auto* call_msg = req.add_messages();
  call_msg->set_role("assistant");
  auto* call = call_msg->add_tool_calls();
  call->set_id("call_2_0");
  call->set_name("current_time");
  call->set_arguments_json("{}");
  auto* result = req.add_messages();
  result->set_role("tool");
  result->set_tool_call_id("call_2_0");
  result->set_content("2025-01-02T03:04:05Z");
  add_passage(req, "time.md", "Clocks", "Clocks use UTC.", 1.0);
  auto resp = complete_locally(req);
  expect_answer(resp);
  const auto& text = resp.message().content();
  EXPECT_TRUE(contains(text, "current_time returned: 2025-01-02T03:04:05Z"))
    << text;
  EXPECT_TRUE(contains(text, "[1] time.md — Clocks")) << text;
  EXPECT_TRUE(contains(text, "Clocks use UTC.")) << text;
}

TEST(LocalModel, AnswerPhaseUsesTheToolMessageNameAndShowsEveryResult) {
  auto req = request("recall colour");
  auto* call_msg = req.add_messages();
  call_msg->set_role("assistant");
  for (const char* id : {"call_2_0", "call_2_1"}) {
    auto* call = call_msg->add_tool_calls();
    call->set_id(id);
    call->set_name("memory_get");
  }
  auto* first = req.add_messages();
  first->set_role("tool");
  first->set_tool_call_id("call_2_0");
  first->set_name("memory_get");
  first->set_content("blue");
  auto* second = req.add_messages();
  second->set_role("tool");
  second->set_tool_call_id("call_2_1");
  second->set_content("line one\nline two");
  auto resp = complete_locally(req);
  expect_answer(resp);
  const auto& text = resp.message().content();
  EXPECT_TRUE(contains(text, "memory_get returned: blue")) << text;
  EXPECT_TRUE(contains(text, "memory_get returned:\nline one\nline two"))
    << text;
  EXPECT_FALSE(contains(text, "Related knowledge")) << text;
}

TEST(LocalModel, KnowledgeAnswerQuotesTheBestPassagesWithSources) {
  auto req = request("How do I end a contract?");
  add_passage(req, "contracts.md", "Termination",
              "Either party may terminate on thirty days' notice.", 3.0);
  add_passage(req, "nda.md", "", "NDAs survive termination.", 2.0);
  add_passage(req, "weak.md", "Noise", "barely related", 0.1);
  auto resp = complete_locally(req);
  expect_answer(resp);
  const auto& text = resp.message().content();
  EXPECT_TRUE(contains(text, "[1] contracts.md — Termination\nEither party"))
    << text;
  EXPECT_TRUE(contains(text, "[2] nda.md\nNDAs survive")) << text;
  EXPECT_FALSE(contains(text, "weak.md")) << text;
}

TEST(LocalModel, LongPassagesAreShortenedAtAWord) {
  auto req = request("question");
  std::string text;
  for (int i = 0; i < 300; ++i)
    text += "word" + std::to_string(i) + " ";
  add_passage(req, "long.md", "Long", text, 1.0);
  auto resp = complete_locally(req);
  const auto& out = resp.message().content();
  EXPECT_LT(out.size(), text.size());
  EXPECT_TRUE(contains(out, " …")) << out;
  EXPECT_FALSE(contains(out, "word299")) << out;
}

TEST(LocalModel, WithoutKnowledgeItSaysSoAndListsWhatTheAgentCanDo) {
  auto resp = complete_locally(request("Tell me about quantum gravity"));
  expect_answer(resp);
  const auto& text = resp.message().content();
  EXPECT_TRUE(contains(text, "found nothing")) << text;
  for (const char* tool : builtin_tools)
    EXPECT_TRUE(contains(text, std::string{"- "} + tool + ": Does " + tool))
      << text;
  EXPECT_TRUE(contains(text, "\"remember <key> is <value>\"")) << text;
}

TEST(LocalModel, AnAgentWithoutToolsSaysItHasNone) {
  auto resp = complete_locally(request("hello", {}));
  expect_answer(resp);
  EXPECT_TRUE(contains(resp.message().content(), "has no tools"));
}

TEST(LocalModel, NoUserMessageStillAnswersHonestly) {
  ModelRequest req;
  expect_answer(complete_locally(req));
}

// -- response fields ----------------------------------------------------------

TEST(LocalModel, NamesItselfLocalAndIsHonestInEveryAnswer) {
  auto resp = complete_locally(request("hello"));
  EXPECT_EQ(resp.model(), "local");
  EXPECT_EQ(resp.message().role(), "assistant");
  EXPECT_EQ(resp.message().content().substr(0, honesty_marker.size() + 1),
            std::string{honesty_marker} + "\n");
  EXPECT_TRUE(contains(std::string{honesty_marker}, "no language model"));
}

TEST(LocalModel, IsDeterministic) {
  for (const char* input :
       {"what time is it", "remember a is b", "How do I end a contract?",
        "call current_time {\"tz\": \"UTC\"}"}) {
    auto req = request(input);
    add_passage(req, "contracts.md", "Termination", "Notice periods.", 1.0);
    EXPECT_EQ(complete_locally(req).SerializeAsString(),
              complete_locally(req).SerializeAsString())
      << input;
  }
}

TEST(LocalModel, MaxTokensCutsTheOutputAtACharacter) {
  auto req = request("contract question");
  add_passage(req, "ü.md", "Überblick",
              "Verträge über Lizenzen für Software, äöü ÄÖÜ ß ñ é. Mehr Text "
              "folgt hier für die Länge.",
              1.0);
  req.mutable_model()->set_max_tokens(30);
  auto resp = complete_locally(req);
  EXPECT_EQ(resp.finish_reason(), "length");
  EXPECT_LE(resp.message().content().size(), 120u);
  EXPECT_TRUE(valid_utf8(resp.message().content()));
  EXPECT_TRUE(starts_with(resp.message().content(), honesty_marker));
  for (uint32_t max_tokens = 24; max_tokens < 40; ++max_tokens) {
    req.mutable_model()->set_max_tokens(max_tokens);
    EXPECT_TRUE(valid_utf8(complete_locally(req).message().content()))
      << max_tokens;
  }
  req.mutable_model()->set_max_tokens(4096);
  EXPECT_EQ(complete_locally(req).finish_reason(), "stop");
}

TEST(LocalModel, UsageCountsPromptAndCompletion) {
  auto req = request("how do contracts end?");
  auto resp = complete_locally(req);
  uint64_t prompt = approximate_tokens("You are a test agent.")
                    + approximate_tokens("how do contracts end?");
  EXPECT_EQ(resp.usage().prompt_tokens(), prompt);
  EXPECT_EQ(resp.usage().completion_tokens(),
            approximate_tokens(resp.message().content()));
  EXPECT_EQ(resp.usage().total_tokens(),
            resp.usage().prompt_tokens() + resp.usage().completion_tokens());
  auto call = complete_locally(request("what time is it"));
  EXPECT_GT(call.usage().completion_tokens(), 0u);
}

TEST(LocalModel, ApproximateTokensIsAboutFourBytesEach) {
  EXPECT_EQ(approximate_tokens(""), 0u);
  EXPECT_EQ(approximate_tokens("a"), 1u);
  EXPECT_EQ(approximate_tokens("abcd"), 1u);
  EXPECT_EQ(approximate_tokens("abcde"), 2u);
  EXPECT_EQ(approximate_tokens(std::string(400, 'x')), 100u);
}

// -- with real retrieval ------------------------------------------------------

TEST(LocalModel, AnswersFromTheLegalAgentsKnowledge) {
  auto folder = std::filesystem::path{BSM_SOURCE_DIR} / "agents" / "seed"
                / "knowledge" / "legal";
  auto index = bsm::knowledge::knowledge_index::load({folder});
  ASSERT_TRUE(index) << bsm::render(index.error());
  const std::string input = "How soon must a data breach be reported?";
  auto req = request(input);
  for (auto& x : index->search(input, 4))
    *req.add_knowledge() = std::move(x);
  auto resp = complete_locally(req);
  expect_answer(resp);
  EXPECT_TRUE(
    contains(resp.message().content(), "[1] data-protection-gdpr.md — "))
    << resp.message().content();
  EXPECT_TRUE(contains(resp.message().content(), "72 hours"))
    << resp.message().content();
}

} // namespace

// -- the client's generation settings -----------------------------------------

namespace {

using bsm::models::refuse_locally;
using bsm::models::word_pieces;

TEST(LocalModel, TheClientsMaxTokensWinsOverTheAgents) {
  auto req = request("hello there");
  req.mutable_model()->set_max_tokens(4096);
  req.mutable_generation()->set_max_tokens(10);
  auto res = complete_locally(req);
  EXPECT_LE(res.message().content().size(), 40u);
  EXPECT_EQ(res.finish_reason(), "length");
}

TEST(LocalModel, AStopSequenceEndsTheContentBeforeIt) {
  auto req = request("hello there");
  auto whole = complete_locally(req).message().content();
  auto newline = whole.find('\n');
  ASSERT_NE(newline, std::string::npos);
  req.mutable_generation()->add_stop("\n");
  auto res = complete_locally(req);
  EXPECT_EQ(res.message().content(), whole.substr(0, newline));
  EXPECT_EQ(res.finish_reason(), "stop");
}

TEST(LocalModel, JsonObjectFormatGivesAJsonObjectWithTheAnswer) {
  auto req = request("hello there");
  auto plain = complete_locally(req).message().content();
  req.mutable_generation()->mutable_response_format()->set_type("json_object");
  auto res = complete_locally(req);
  auto parsed = nlohmann::json::parse(res.message().content());
  ASSERT_TRUE(parsed.is_object());
  EXPECT_EQ(parsed["content"], plain);
}

TEST(LocalModel, AJsonSchemaIsRefusedWithAClearError) {
  auto req = request("hello there");
  EXPECT_FALSE(refuse_locally(req));
  req.mutable_generation()->mutable_response_format()->set_type("json_schema");
  auto err = refuse_locally(req);
  ASSERT_TRUE(bsm::is(err, bsm::errc::invalid_argument));
  EXPECT_NE(bsm::render(err).find("json_schema"), std::string::npos);
}

TEST(LocalModel, WordPiecesAreWordsWithTheirSpaceAndJoinToTheText) {
  std::string text = "Two words\nand  more ";
  auto pieces = word_pieces(text);
  std::vector<std::string> got{pieces.begin(), pieces.end()};
  EXPECT_EQ(got,
            (std::vector<std::string>{"Two ", "words\n", "and  ", "more "}));
  EXPECT_TRUE(word_pieces("").empty());
  std::string joined;
  for (auto piece : word_pieces("  leading"))
    joined += piece;
  EXPECT_EQ(joined, "  leading");
}

// A call of a client tool (relayed) streams as one whole fragment; the
// agent's own tools and plain answers stream as word deltas only.
TEST(LocalModel, StreamsARelayedCallAsOneWholeFragment) {
  auto req = request(R"(call get_weather {"city":"Paris"})",
                     {"get_weather", "current_time"});
  req.add_relay_tool_calls("get_weather");
  auto resp = complete_locally(req);
  auto deltas = bsm::models::local_deltas(req, resp);
  ASSERT_EQ(deltas.size(), 1u);
  ASSERT_TRUE(deltas[0].has_tool_call_fragment());
  const auto& fragment = deltas[0].tool_call_fragment();
  const auto& call = resp.message().tool_calls(0);
  EXPECT_EQ(fragment.index(), 0);
  EXPECT_EQ(fragment.id(), call.id());
  EXPECT_EQ(fragment.name(), "get_weather");
  EXPECT_EQ(fragment.arguments(), call.arguments_json());
  EXPECT_EQ(nlohmann::json::parse(fragment.arguments()),
            (nlohmann::json{{"city", "Paris"}}));
  auto own = request("what time is it?", {"get_weather", "current_time"});
  own.add_relay_tool_calls("get_weather");
  EXPECT_TRUE(bsm::models::local_deltas(own, complete_locally(own)).empty());
  auto plain = request("hello", {});
  plain.add_relay_tool_calls("get_weather");
  auto answer = complete_locally(plain);
  auto words = bsm::models::local_deltas(plain, answer);
  ASSERT_GT(words.size(), 1u);
  std::string joined;
  for (const auto& x : words) {
    EXPECT_FALSE(x.has_tool_call_fragment());
    joined += x.content();
  }
  EXPECT_EQ(joined, answer.message().content());
}

} // namespace

// -- tool_choice
// ----------------------------------------------------------------

namespace {

/// `req` with a client tool `name` of `schema`, forced by tool_choice.
void force(ModelRequest& req, const std::string& name,
           const nlohmann::json& schema, const std::string& mode = "function") {
  auto* tool = req.add_tools();
  tool->set_name(name);
  tool->set_parameters_json(schema.dump());
  auto* choice = req.mutable_generation()->mutable_tool_choice();
  choice->set_mode(mode);
  if (mode == "function")
    choice->set_function(name);
}

TEST(LocalModel, ANamedFunctionIsCalledWithArgumentsFromTheMessage) {
  auto req = request("Alice is 30 and lives in Paris", {});
  force(req, "extract",
        {{"type", "object"},
         {"properties",
          {{"text", {{"type", "string"}}},
           {"unit", {{"type", "string"}, {"enum", {"years", "months"}}}},
           {"limit", {{"type", "integer"}, {"default", 5}}},
           {"note", {{"type", "string"}}}}},
         {"required", {"text", "unit"}}});
  EXPECT_FALSE(refuse_locally(req));
  auto res = complete_locally(req);
  ASSERT_EQ(res.message().tool_calls_size(), 1);
  EXPECT_EQ(res.finish_reason(), "tool_calls");
  const auto& call = res.message().tool_calls(0);
  EXPECT_EQ(call.name(), "extract");
  EXPECT_EQ(nlohmann::json::parse(call.arguments_json()),
            (nlohmann::json{{"text", "Alice is 30 and lives in Paris"},
                            {"unit", "years"},
                            {"limit", 5}}));
}

TEST(LocalModel, RequiredTakesTheToolTheRulesChoseElseTheFirst) {
  auto ruled = request("remember owner is alice");
  ruled.mutable_generation()->mutable_tool_choice()->set_mode("required");
  auto res = complete_locally(ruled);
  ASSERT_EQ(res.message().tool_calls_size(), 1);
  EXPECT_EQ(res.message().tool_calls(0).name(), "memory_put");
  auto plain = request("hello there", {"current_time"});
  plain.mutable_generation()->mutable_tool_choice()->set_mode("required");
  res = complete_locally(plain);
  ASSERT_EQ(res.message().tool_calls_size(), 1);
  EXPECT_EQ(res.message().tool_calls(0).name(), "current_time");
}

TEST(LocalModel, NumbersAreTheMessagesNumbersInOrder) {
  auto req = request("Alice is 30.5, v2 and -4 and 7", {});
  force(req, "person",
        {{"type", "object"},
         {"properties",
          {{"name", {{"type", "string"}}},
           {"age", {{"type", "integer"}}},
           {"score", {{"type", "number"}}}}},
         {"required", {"name", "age", "score"}}});
  EXPECT_FALSE(refuse_locally(req));
  auto res = complete_locally(req);
  ASSERT_EQ(res.message().tool_calls_size(), 1);
  // 30.5 is no whole number: the age is the next one, -4 (not the 2 of
  // "v2"); the score the number after it.
  EXPECT_EQ(nlohmann::json::parse(res.message().tool_calls(0).arguments_json()),
            (nlohmann::json{{"name", "Alice is 30.5, v2 and -4 and 7"},
                            {"age", -4},
                            {"score", 7.0}}));
}

TEST(LocalModel, AnArgumentTheMessageCannotFillIsRefusedNamingToolChoice) {
  auto req = request("Alice is thirty", {});
  force(req, "person",
        {{"type", "object"},
         {"properties",
          {{"name", {{"type", "string"}}}, {"age", {{"type", "integer"}}}}},
         {"required", {"name", "age"}}});
  auto err = refuse_locally(req);
  ASSERT_TRUE(bsm::is(err, bsm::errc::invalid_argument));
  EXPECT_EQ(bsm::field_of(err), "tool_choice");
  EXPECT_NE(bsm::render(err).find("'age'"), std::string::npos)
    << bsm::render(err);
  auto flag = request("Alice is 30", {});
  force(flag, "person",
        {{"type", "object"},
         {"properties", {{"ok", {{"type", "boolean"}}}}},
         {"required", {"ok"}}});
  EXPECT_TRUE(bsm::is(refuse_locally(flag), bsm::errc::invalid_argument));
}

TEST(LocalModel, AfterAToolResultTheForcedChoiceIsOver) {
  auto req = request("Alice", {});
  force(req, "extract",
        {{"type", "object"},
         {"properties", {{"text", {{"type", "string"}}}}},
         {"required", {"text"}}});
  auto* call = req.add_messages();
  call->set_role("assistant");
  auto* tc = call->add_tool_calls();
  tc->set_id("c1");
  tc->set_name("extract");
  tc->set_arguments_json("{}");
  auto* result = req.add_messages();
  result->set_role("tool");
  result->set_tool_call_id("c1");
  result->set_content("ok");
  EXPECT_FALSE(refuse_locally(req));
  EXPECT_EQ(complete_locally(req).message().tool_calls_size(), 0);
}

} // namespace
