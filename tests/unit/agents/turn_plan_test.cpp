#include "agents/turn_plan.hpp"

#include <algorithm>

#include <gtest/gtest.h>

#include <caf/sec.hpp>

#include "agents/caller.hpp"
#include "runtime/error.hpp"

namespace {

using namespace bsm::agents;
using namespace std::chrono_literals;
using bsm::errc;
namespace v1 = bsm::v1;

// -- made-up agents, answers and times ----------------------------------------

const steady_time t0{};

v1::AgentDefinition definition() {
  v1::AgentDefinition def;
  def.set_name("main");
  def.set_system_prompt("You are main.");
  def.mutable_model()->set_provider("openai");
  def.mutable_model()->set_name("test-model");
  for (const auto* x : {"current_time", "memory_put", "memory_get", "ask_agent",
                        "everything__*"})
    def.add_tools(x);
  def.add_delegates("*");
  def.set_memory_history_turns(20);
  def.set_max_steps(3);
  def.set_max_tool_calls(4);
  def.set_timeout_ms(10'000);
  return def;
}

std::shared_ptr<const agent_entry> entry_of(v1::AgentDefinition def) {
  auto entry = std::make_shared<agent_entry>();
  entry->def = std::move(def);
  entry->knowledge = std::make_shared<bsm::knowledge::knowledge_index>();
  return entry;
}

// A chat of this node's own components (every permission), unless a test
// sets another caller.
v1::ChatRequest chat(const std::string& input,
                     const std::string& session = {}) {
  v1::ChatRequest req;
  req.set_input(input);
  req.set_session_id(session);
  *req.mutable_caller() = local_principal();
  return req;
}

// A chat of user alice, whose roles grant `permissions`.
v1::ChatRequest chat_of_alice(std::vector<std::string> permissions) {
  auto req = chat("x");
  auto& caller = *req.mutable_caller();
  caller.Clear();
  caller.set_name("alice");
  caller.set_kind("user");
  caller.add_roles("analyst");
  for (auto& x : permissions)
    caller.add_permissions(std::move(x));
  return req;
}

// Ids "1", "2", ... in the order the plan asks for them.
turn_plan::id_source counter() {
  auto n = std::make_shared<int>(0);
  return [n] {
    return std::to_string(++*n);
  };
}

turn_plan plan_for(v1::ChatRequest req,
                   v1::AgentDefinition def = definition()) {
  return turn_plan{"main", std::move(req), entry_of(std::move(def)), t0,
                   counter()};
}

v1::ToolCall tool_call(const std::string& id, const std::string& name,
                       const std::string& args = "{}") {
  v1::ToolCall call;
  call.set_id(id);
  call.set_name(name);
  call.set_arguments_json(args);
  return call;
}

v1::ModelResponse says(const std::string& content,
                       std::vector<v1::ToolCall> calls = {},
                       uint32_t tokens = 10) {
  v1::ModelResponse resp;
  resp.mutable_message()->set_content(content);
  for (auto& x : calls)
    *resp.mutable_message()->add_tool_calls() = std::move(x);
  resp.mutable_usage()->set_prompt_tokens(tokens);
  resp.mutable_usage()->set_completion_tokens(tokens / 2);
  resp.set_provider_micros(1'000);
  return resp;
}

v1::ToolCallResponse result(const std::string& content, bool error = false) {
  v1::ToolCallResponse x;
  x.set_content(content);
  x.set_is_error(error);
  return x;
}

google::protobuf::RepeatedPtrField<v1::SessionTurn>
history(std::vector<std::pair<std::string, std::string>> turns) {
  google::protobuf::RepeatedPtrField<v1::SessionTurn> result;
  uint64_t seq = 0;
  for (auto& [role, content] : turns) {
    auto* x = result.Add();
    x->set_seq(++seq);
    x->set_role(role);
    x->set_content(content);
  }
  return result;
}

std::vector<std::pair<std::string, std::string>>
roles(const std::vector<v1::ChatMessage>& context) {
  std::vector<std::pair<std::string, std::string>> result;
  for (const auto& x : context)
    result.emplace_back(x.role(), x.content());
  return result;
}

std::vector<std::string> names(const std::vector<v1::ToolSpec>& tools) {
  std::vector<std::string> result;
  for (const auto& x : tools)
    result.push_back(x.name());
  return result;
}

// A plan of `req` that has started and called the model once.
turn_plan started(v1::ChatRequest req, v1::AgentDefinition def = definition()) {
  auto plan = plan_for(std::move(req), std::move(def));
  plan.begin();
  EXPECT_TRUE(std::holds_alternative<call_model_step>(plan.offer_tools()));
  return plan;
}

std::string error_text(const turn_step& step) {
  auto* stop = std::get_if<stop_step>(&step);
  return stop ? bsm::render(stop->error) : "not a stop";
}

} // namespace

// -- the start ----------------------------------------------------------------

TEST(TurnPlan, ARequestNeedsEitherAnInputOrMessages) {
  EXPECT_FALSE(check_chat_request(chat("hello")));
  EXPECT_TRUE(bsm::is(check_chat_request(chat("")), errc::invalid_argument));
  auto both = chat("hello");
  both.add_messages()->set_content("too");
  EXPECT_TRUE(bsm::is(check_chat_request(both), errc::invalid_argument));
}

TEST(TurnPlan, ANewSessionGetsItsIdsWithoutReadingHistory) {
  auto plan = plan_for(chat("Hello."));
  EXPECT_EQ(plan.session_id(), "s-1");
  EXPECT_EQ(plan.reply().session_id(), "s-1");
  EXPECT_EQ(plan.reply().model(), "openai/test-model");
  EXPECT_FALSE(plan.history_request());
  plan.begin();
  EXPECT_EQ(plan.reply().turn_id(), "t-2");
  using turn = std::pair<std::string, std::string>;
  EXPECT_EQ(roles(plan.context()), (std::vector<turn>{
                                     {"system", "You are main."},
                                     {"user", "Hello."},
                                   }));
}

TEST(TurnPlan, AnExistingSessionIsReadAndItsPositionNamesTheTurn) {
  auto plan = plan_for(chat("Who am I?", "conv-1"));
  auto read = plan.history_request();
  ASSERT_TRUE(read);
  EXPECT_EQ(read->agent(), "main");
  EXPECT_EQ(read->session_id(), "conv-1");
  EXPECT_EQ(read->limit(), 20u);
  plan.begin(history({{"user", "I am Ada"}, {"assistant", "Hello Ada."}}));
  // Positions 1 and 2 are taken: a replay of this turn gets the same id.
  EXPECT_EQ(plan.reply().turn_id(), "conv-1#3");
  using turn = std::pair<std::string, std::string>;
  EXPECT_EQ(roles(plan.context()), (std::vector<turn>{
                                     {"system", "You are main."},
                                     {"user", "I am Ada"},
                                     {"assistant", "Hello Ada."},
                                     {"user", "Who am I?"},
                                   }));
  EXPECT_EQ(plan_for(chat("x", "fresh")).history_request()->limit(), 20u);
}

TEST(TurnPlan, AnAgentThatKeepsNoHistoryStillReadsTheLastPosition) {
  auto def = definition();
  def.set_memory_history_turns(0);
  auto plan = plan_for(chat("Again.", "conv-2"), def);
  EXPECT_EQ(plan.history_request()->limit(), 1u);
  plan.begin(history({{"user", "a"}, {"assistant", "b"}}));
  EXPECT_EQ(plan.reply().turn_id(), "conv-2#3");
  EXPECT_EQ(plan.context().size(), 2u); // system prompt and the input
}

TEST(TurnPlan, ClientMessagesKeepNoSessionAndDeveloperIsSystem) {
  v1::ChatRequest req;
  for (auto [role, content] : std::vector<std::pair<const char*, const char*>>{
         {"developer", "Be brief."},
         {"user", "first"},
         {"assistant", "ok"},
         {"user", "second"}}) {
    auto* x = req.add_messages();
    x->set_role(role);
    x->set_content(content);
  }
  auto plan = plan_for(req);
  EXPECT_EQ(plan.session_id(), "");
  EXPECT_FALSE(plan.history_request());
  EXPECT_EQ(plan.input(), "second");
  plan.begin();
  EXPECT_EQ(plan.context()[1].role(), "system");
  EXPECT_EQ(plan.context().size(), 5u);
  EXPECT_FALSE(plan.session_append());
}

TEST(TurnPlan, ARequestedTurnIdIsKept) {
  auto req = chat("x", "conv");
  req.set_turn_id("outer#2/main");
  auto plan = plan_for(req);
  plan.begin(history({{"user", "a"}}));
  EXPECT_EQ(plan.reply().turn_id(), "outer#2/main");
}

TEST(TurnPlan, ADeliveredTurnIsNamedByItsDeliveryAtEveryDelivery) {
  auto req = chat("Who am I?", "conv");
  req.set_delivery_id("01JDELIVERY");
  auto first = plan_for(req);
  first.begin(history({{"user", "a"}}));
  EXPECT_EQ(first.reply().turn_id(), "01JDELIVERY");
  // Delivered again after its first run was appended: the same name.
  auto again = plan_for(req);
  again.begin(
    history({{"user", "a"}, {"user", "Who am I?"}, {"assistant", "b"}}));
  EXPECT_EQ(again.reply().turn_id(), "01JDELIVERY");
  auto fresh = chat("Hello.");
  fresh.set_delivery_id("01JNEW");
  EXPECT_EQ(plan_for(fresh).session_id(), "s-01JNEW");
}

TEST(TurnPlan, AnUnusableDeliveryIdIsIgnored) {
  auto req = chat("Hello.");
  req.set_delivery_id(std::string(121, 'x'));
  auto plan = plan_for(req);
  EXPECT_EQ(plan.session_id(), "s-1");
  plan.begin();
  EXPECT_EQ(plan.reply().turn_id(), "t-2");
  req.set_delivery_id("has space");
  EXPECT_EQ(plan_for(req).session_id(), "s-1");
}

TEST(TurnPlan, ADeliveredTurnIsAppendedOnceAndAnswersWhatWasStored) {
  auto req = chat("Hello.", "conv");
  req.set_delivery_id("01JDELIVERY");
  auto plan = started(req);
  EXPECT_TRUE(std::holds_alternative<answer_step>(
    plan.on_model_response(says("A second answer."), t0 + 1s)));
  auto append = plan.session_append();
  ASSERT_TRUE(append);
  EXPECT_EQ(append->turn_id(), "01JDELIVERY");
  v1::SessionAppendTurnsResponse stored;
  stored.set_replayed(true);
  auto* user = stored.add_turns();
  user->set_role("user");
  user->set_content("Hello.");
  auto* answer = stored.add_turns();
  answer->set_role("assistant");
  answer->set_content("The first answer.");
  plan.on_appended(stored);
  EXPECT_EQ(plan.reply().output(), "The first answer.");
  // A first append keeps the turn's own answer; a chat no mailbox
  // delivered carries no turn id.
  auto other = started(chat("Hello.", "conv"));
  (void)other.on_model_response(says("Mine."), t0 + 1s);
  EXPECT_EQ(other.session_append()->turn_id(), "");
  other.on_appended(v1::SessionAppendTurnsResponse{});
  EXPECT_EQ(other.reply().output(), "Mine.");
}

TEST(TurnPlan, OffersAllowedBuiltinsClientToolsAndAllowedHostedTools) {
  auto req = chat("x");
  req.add_client_tools()->set_name("client_lookup");
  auto plan = plan_for(req);
  EXPECT_TRUE(plan.wants_hosted_tools());
  plan.begin();
  google::protobuf::RepeatedPtrField<v1::ToolSpec> hosted;
  hosted.Add()->set_name("everything__echo");
  hosted.Add()->set_name("other__echo");
  auto first = plan.offer_tools(hosted);
  EXPECT_TRUE(std::holds_alternative<call_model_step>(first));
  EXPECT_EQ(plan.steps(), 1u);
  EXPECT_EQ(names(plan.tools()),
            (std::vector<std::string>{"memory_get", "memory_put", "ask_agent",
                                      "current_time", "client_lookup",
                                      "everything__echo"}));
  auto def = definition();
  def.clear_tools();
  def.add_tools("current_time");
  EXPECT_FALSE(plan_for(chat("x"), def).wants_hosted_tools());
}

// -- the loop -----------------------------------------------------------------

TEST(TurnPlan, TheModelSeesTheContextToolsAndTimeLeft) {
  auto plan = started(chat("Hello."));
  auto req = plan.model_request(t0 + 4s);
  EXPECT_EQ(req.model().name(), "test-model");
  EXPECT_EQ(req.messages_size(), 2);
  EXPECT_EQ(req.tools_size(), 4);
  EXPECT_EQ(req.timeout_ms(), 6'000u);
  EXPECT_EQ(req.request_id(), plan.reply().turn_id());
}

// The client runs its tools itself: their calls stream to it; the calls
// of the agent's own tools do not.
TEST(TurnPlan, TheModelRelaysTheCallsOfTheClientsToolsOnly) {
  auto req = chat("x");
  req.add_client_tools()->set_name("client_lookup");
  req.add_client_tools()->set_name("client_book");
  auto plan = started(req);
  auto asked = plan.model_request(t0);
  EXPECT_EQ(std::vector<std::string>(asked.relay_tool_calls().begin(),
                                     asked.relay_tool_calls().end()),
            (std::vector<std::string>{"client_book", "client_lookup"}));
  EXPECT_EQ(started(chat("x")).model_request(t0).relay_tool_calls_size(), 0);
}

TEST(TurnPlan, AFinalAnswerEndsTheTurn) {
  auto plan = started(chat("Hello.", "conv"));
  auto resp = says("Hi there.");
  resp.set_model("test-model-2024");
  auto next = plan.on_model_response(resp, t0 + 1s);
  EXPECT_TRUE(std::holds_alternative<answer_step>(next));
  EXPECT_EQ(plan.reply().output(), "Hi there.");
  EXPECT_EQ(plan.reply().finish_reason(), "stop");
  EXPECT_EQ(plan.reply().model(), "test-model-2024");
  EXPECT_EQ(plan.reply().usage().total_tokens(), 15u);
  EXPECT_EQ(plan.provider_micros(), 1'000u);
  auto append = plan.session_append();
  ASSERT_TRUE(append);
  EXPECT_EQ(append->session_id(), "conv");
  ASSERT_EQ(append->turns_size(), 2);
  EXPECT_EQ(append->turns(0).role(), "user");
  EXPECT_EQ(append->turns(0).content(), "Hello.");
  EXPECT_EQ(append->turns(1).role(), "assistant");
  EXPECT_EQ(append->turns(1).content(), "Hi there.");
}

TEST(TurnPlan, AnUpstreamFinishReasonIsKept) {
  auto plan = started(chat("x"));
  auto resp = says("cut");
  resp.set_finish_reason("length");
  ASSERT_TRUE(
    std::holds_alternative<answer_step>(plan.on_model_response(resp, t0)));
  EXPECT_EQ(plan.reply().finish_reason(), "length");
}

TEST(TurnPlan, AForcedToolChoiceIsTheFirstModelCallsOnly) {
  auto req = chat("remember owner is alice");
  req.mutable_generation()->mutable_tool_choice()->set_mode("required");
  auto plan = started(req);
  EXPECT_EQ(plan.model_request(t0).generation().tool_choice().mode(),
            "required");
  auto call = tool_call("call_1", "memory_put", R"({"key":"owner"})");
  (void)plan.on_model_response(says("", {call}), t0);
  auto next = plan.on_tool_result(result(R"({"stored":"owner"})"), t0);
  ASSERT_TRUE(std::holds_alternative<call_model_step>(next));
  auto second = plan.model_request(t0);
  EXPECT_TRUE(second.has_generation());
  EXPECT_EQ(second.generation().tool_choice().mode(), "");
}

TEST(TurnPlan, AToolCallRunsAndItsResultGoesBackToTheModel) {
  auto plan = started(chat("remember owner is alice"));
  auto call = tool_call("call_1", "memory_put", R"({"key":"owner"})");
  auto next = plan.on_model_response(says("", {call}), t0);
  auto* run = std::get_if<run_tool_step>(&next);
  ASSERT_TRUE(run);
  EXPECT_EQ(run->call.id(), "call_1");
  EXPECT_EQ(run->route, tool_route::memory_put);
  EXPECT_EQ(run->ledger_key,
            tool_call_key("main", plan.reply().turn_id(), 1, call));
  EXPECT_EQ(plan.tool_calls(), 1u);
  next = plan.on_tool_result(result(R"({"stored":"owner"})"), t0);
  EXPECT_TRUE(std::holds_alternative<call_model_step>(next));
  EXPECT_EQ(plan.steps(), 2u);
  ASSERT_EQ(plan.reply().steps_size(), 1);
  EXPECT_EQ(plan.reply().steps(0).tool(), "memory_put");
  EXPECT_EQ(plan.reply().steps(0).result(), R"({"stored":"owner"})");
  EXPECT_FALSE(plan.reply().steps(0).is_error());
  const auto& context = plan.context();
  ASSERT_EQ(context.size(), 4u);
  EXPECT_EQ(context[2].role(), "assistant");
  EXPECT_EQ(context[2].tool_calls_size(), 1);
  EXPECT_EQ(context[3].role(), "tool");
  EXPECT_EQ(context[3].tool_call_id(), "call_1");
  EXPECT_EQ(context[3].name(), "memory_put");
  EXPECT_EQ(context[3].content(), R"({"stored":"owner"})");
}

TEST(TurnPlan, CallsRunOneAtATimeInOrderAndErrorsGoBackToo) {
  auto plan = started(chat("x"));
  auto next = plan.on_model_response(
    says("", {tool_call("a", "current_time"), tool_call("b", "memory_get")}),
    t0);
  ASSERT_EQ(std::get<run_tool_step>(next).call.id(), "a");
  next = plan.on_tool_result(result("noon"), t0);
  ASSERT_EQ(std::get<run_tool_step>(next).call.id(), "b");
  next = plan.on_tool_result(result("missing key", true), t0);
  EXPECT_TRUE(std::holds_alternative<call_model_step>(next));
  ASSERT_EQ(plan.reply().steps_size(), 2);
  EXPECT_TRUE(plan.reply().steps(1).is_error());
  EXPECT_EQ(plan.context().back().tool_call_id(), "b");
}

TEST(TurnPlan, BuiltinToolsAreRoutedByName) {
  auto def = definition();
  def.add_tools("knowledge_search");
  auto plan = started(chat("x"), def);
  auto next = plan.on_model_response(
    says("", {tool_call("1", "current_time"), tool_call("2", "memory_get"),
              tool_call("3", "ask_agent"), tool_call("4", "knowledge_search")}),
    t0);
  std::vector<tool_route> routes;
  while (auto* run = std::get_if<run_tool_step>(&next)) {
    routes.push_back(run->route);
    next = plan.on_tool_result(result("ok"), t0);
  }
  EXPECT_EQ(routes, (std::vector<tool_route>{
                      tool_route::current_time, tool_route::memory_get,
                      tool_route::ask_agent, tool_route::knowledge_search}));
}

TEST(TurnPlan, AToolTheAgentMayNotUseIsRefused) {
  auto plan = started(chat("x"));
  auto next = plan.on_model_response(
    says("", {tool_call("s", "shell", R"({"c":1})")}), t0);
  auto* run = std::get_if<run_tool_step>(&next);
  ASSERT_TRUE(run);
  EXPECT_EQ(run->route, tool_route::refused);
  EXPECT_EQ(run->refusal, "tool 'shell' is not available to this agent");
  EXPECT_EQ(run->denied, denial::tool);
  // The refusal goes back to the model as the call's error result.
  next = plan.on_tool_result(result(run->refusal, true), t0);
  EXPECT_TRUE(std::holds_alternative<call_model_step>(next));
  EXPECT_TRUE(plan.reply().steps(0).is_error());
}

TEST(TurnPlan, AnUnknownToolOfAnAllowedServerGoesToTheToolHost) {
  auto plan = started(chat("x"));
  auto next = plan.on_model_response(
    says("", {tool_call("1", "everything__no_such_tool"),
              tool_call("2", "nothing__echo")}),
    t0);
  EXPECT_EQ(std::get<run_tool_step>(next).route, tool_route::hosted);
  next = plan.on_tool_result(result("unknown tool", true), t0);
  EXPECT_EQ(std::get<run_tool_step>(next).route, tool_route::refused);
}

TEST(TurnPlan, AReplayedTurnLooksUpTheSameLedgerKey) {
  // The same turn of a session, planned again after a crash: the model
  // asks for the same call (its id may differ), so the key matches and the
  // recorded result is fed back instead of running the call.
  auto args = R"({"agent":"helper","input":"What is BSM?"})";
  std::vector<std::string> keys;
  for (const auto* id : {"call_h", "call_other_id"}) {
    auto plan = plan_for(chat("Ask the helper.", "replay-1"));
    plan.begin(history({{"user", "Hello."}, {"assistant", "First answer."}}));
    ASSERT_TRUE(std::holds_alternative<call_model_step>(plan.offer_tools()));
    auto next = plan.on_model_response(
      says("", {tool_call(id, "ask_agent", args)}), t0);
    keys.push_back(std::get<run_tool_step>(next).ledger_key);
    next = plan.on_tool_result(result("The helper says hi."), t0);
    EXPECT_TRUE(std::holds_alternative<call_model_step>(next));
    EXPECT_EQ(plan.reply().steps(0).result(), "The helper says hi.");
  }
  EXPECT_EQ(keys[0], keys[1]);
  EXPECT_EQ(keys[0].rfind("main/replay-1#3/1/", 0), 0u) << keys[0];
  // Other arguments or another step are another call.
  EXPECT_NE(
    tool_call_key("main", "replay-1#3", 1, tool_call("x", "ask_agent", "{}")),
    keys[0]);
  EXPECT_NE(
    tool_call_key("main", "replay-1#3", 2, tool_call("x", "ask_agent", args)),
    keys[0]);
  // The same call of the same turn by another agent is another call.
  EXPECT_NE(
    tool_call_key("helper", "replay-1#3", 1, tool_call("x", "ask_agent", args)),
    keys[0]);
}

TEST(TurnPlan, ACallOfAClientToolEndsTheTurnWithItsCalls) {
  auto req = chat("x");
  req.add_client_tools()->set_name("client_lookup");
  auto plan = started(req);
  auto next = plan.on_model_response(
    says("Let me look.",
         {tool_call("1", "current_time"), tool_call("2", "client_lookup")}),
    t0);
  EXPECT_TRUE(std::holds_alternative<answer_step>(next));
  EXPECT_EQ(plan.reply().finish_reason(), "tool_calls");
  EXPECT_EQ(plan.reply().output(), "Let me look.");
  EXPECT_EQ(plan.reply().tool_calls_size(), 2);
  EXPECT_EQ(plan.tool_calls(), 0u);
}

// -- limits -------------------------------------------------------------------

TEST(TurnPlan, TheStepLimitEndsATurnOfEndlessToolCalls) {
  auto plan = started(chat("what time is it?"));
  turn_step next = call_model_step{};
  int model_calls = 0;
  while (std::holds_alternative<call_model_step>(next)) {
    ++model_calls;
    next
      = plan.on_model_response(says("", {tool_call("t", "current_time")}), t0);
    ASSERT_TRUE(std::holds_alternative<run_tool_step>(next));
    next = plan.on_tool_result(result("noon"), t0);
  }
  EXPECT_EQ(model_calls, 3);
  EXPECT_EQ(error_text(next), "failed_precondition: step limit (3 model "
                              "calls) reached without an answer");
}

TEST(TurnPlan, TheToolCallLimitEndsTheTurn) {
  auto def = definition();
  def.set_max_tool_calls(2);
  auto plan = started(chat("x"), def);
  auto next = plan.on_model_response(
    says("", {tool_call("1", "current_time"), tool_call("2", "current_time"),
              tool_call("3", "current_time")}),
    t0);
  next = plan.on_tool_result(result("a"), t0);
  next = plan.on_tool_result(result("b"), t0);
  EXPECT_EQ(error_text(next),
            "failed_precondition: tool call limit (2) reached");
}

TEST(TurnPlan, TheTokenBudgetEndsTheTurn) {
  auto def = definition();
  def.set_token_budget(20);
  auto plan = started(chat("x"), def);
  auto next
    = plan.on_model_response(says("", {tool_call("1", "current_time")}), t0);
  ASSERT_TRUE(std::holds_alternative<run_tool_step>(next));
  next = plan.on_tool_result(result("noon"), t0);
  next = plan.on_model_response(says("late answer"), t0);
  EXPECT_EQ(error_text(next), "failed_precondition: token budget (20) "
                              "exceeded: 30 tokens used");
}

// Tokens an MCP server's sampling spent during a tool call are the agent's.
TEST(TurnPlan, SamplingTokensOfAToolCountInUsageAndBudget) {
  auto def = definition();
  def.set_token_budget(40);
  auto plan = started(chat("x"), def);
  auto next = plan.on_model_response(
    says("", {tool_call("1", "current_time"), tool_call("2", "current_time")}),
    t0);
  ASSERT_TRUE(std::holds_alternative<run_tool_step>(next));
  auto sampled = result("sampled");
  sampled.mutable_sampling_usage()->set_prompt_tokens(8);
  sampled.mutable_sampling_usage()->set_completion_tokens(2);
  next = plan.on_tool_result(sampled, t0);
  ASSERT_TRUE(std::holds_alternative<run_tool_step>(next));
  EXPECT_EQ(plan.reply().usage().prompt_tokens(), 18u);
  EXPECT_EQ(plan.reply().usage().completion_tokens(), 7u);
  EXPECT_EQ(plan.reply().usage().total_tokens(), 25u);
  sampled.mutable_sampling_usage()->set_prompt_tokens(20);
  next = plan.on_tool_result(sampled, t0);
  EXPECT_EQ(error_text(next), "failed_precondition: token budget (40) "
                              "exceeded: 47 tokens used");
}

TEST(TurnPlan, PastTheDeadlineTheNextToolDoesNotStart) {
  auto req = chat("x");
  req.set_timeout_ms(2'000); // shorter than the agent's 10s
  auto plan = started(req);
  EXPECT_EQ(plan.remaining(t0 + 500ms), 1'500ms);
  EXPECT_EQ(plan.remaining(t0 + 5s), 1ms); // never 0: that never times out
  EXPECT_FALSE(plan.expired(t0 + 1999ms));
  EXPECT_TRUE(plan.expired(t0 + 2s));
  auto next = plan.on_model_response(
    says("", {tool_call("1", "current_time"), tool_call("2", "current_time")}),
    t0 + 1s);
  ASSERT_TRUE(std::holds_alternative<run_tool_step>(next));
  next = plan.on_tool_result(result("noon"), t0 + 3s);
  auto* stop = std::get_if<stop_step>(&next);
  ASSERT_TRUE(stop);
  EXPECT_EQ(bsm::render(plan.turn_error(stop->error, t0 + 3s)),
            "deadline_exceeded: the turn did not finish within 10000ms");
}

TEST(TurnPlan, AModelErrorIsTheTurnsErrorUnlessTheTurnTimedOut) {
  auto plan = started(chat("x"));
  auto err = bsm::make_error(errc::unavailable, "no model provider");
  EXPECT_EQ(plan.turn_error(err, t0 + 1s), err);
  EXPECT_TRUE(bsm::is(plan.turn_error(err, t0 + 10s), errc::deadline_exceeded));
  // CAF's own request timeout is the turn's deadline as the caller sees it.
  EXPECT_TRUE(bsm::is(
    plan.turn_error(caf::make_error(caf::sec::request_timeout), t0 + 1s),
    errc::deadline_exceeded));
}

// -- delegation ---------------------------------------------------------------

TEST(TurnPlan, DelegationCarriesTheChainTheTurnAndTheTimeLeft) {
  auto req = chat("x");
  req.add_delegation_chain("governance");
  auto plan = started(req);
  auto call
    = plan.delegate({{"agent", "helper"}, {"input", "What is BSM?"}}, t0 + 3s);
  EXPECT_EQ(call.refusal, "");
  EXPECT_EQ(call.request.agent(), "helper");
  EXPECT_EQ(call.request.input(), "What is BSM?");
  EXPECT_EQ(std::vector<std::string>(call.request.delegation_chain().begin(),
                                     call.request.delegation_chain().end()),
            (std::vector<std::string>{"governance", "main"}));
  EXPECT_EQ(call.request.timeout_ms(), 7'000u);
  EXPECT_EQ(call.request.turn_id(), plan.reply().turn_id() + "/helper");
}

TEST(TurnPlan, DelegationRefusesLoopsDepthAndBadArguments) {
  auto plan = started(chat("x"));
  EXPECT_EQ(plan.delegate({{"agent", "main"}, {"input", "hi"}}, t0).refusal,
            "delegation loop: 'main' is already working on this turn");
  auto deep = chat("x");
  for (const auto* x : {"a", "b", "c"})
    deep.add_delegation_chain(x);
  auto deep_plan = started(deep);
  EXPECT_EQ(deep_plan.delegate({{"agent", "a"}, {"input", "hi"}}, t0).refusal,
            "delegation loop: 'a' is already working on this turn");
  EXPECT_EQ(deep_plan.delegate({{"agent", "d"}, {"input", "hi"}}, t0).refusal,
            "delegation too deep: at most 4 agents per turn");
  auto missing = plan.delegate({{"agent", "helper"}}, t0).refusal;
  EXPECT_NE(missing.find("input"), std::string::npos) << missing;
}

// -- capabilities -------------------------------------------------------------

TEST(TurnPlan, AnAllowedCallIsNoDenial) {
  auto plan = started(chat("x"));
  auto next
    = plan.on_model_response(says("", {tool_call("t", "current_time")}), t0);
  EXPECT_EQ(std::get<run_tool_step>(next).denied, denial::none);
  auto call = plan.delegate({{"agent", "helper"}, {"input", "hi"}}, t0);
  EXPECT_EQ(call.denied, denial::none);
}

TEST(TurnPlan, AToolOutsideTheDefinitionIsNeitherOfferedNorRun) {
  auto def = definition();
  def.clear_tools();
  def.add_tools("current_time");
  auto plan = started(chat("x"), def);
  EXPECT_EQ(names(plan.tools()), (std::vector<std::string>{"current_time"}));
  auto next = plan.on_model_response(
    says("", {tool_call("m", "memory_put", R"({"key":"k","value":"v"})")}), t0);
  auto* run = std::get_if<run_tool_step>(&next);
  ASSERT_TRUE(run);
  EXPECT_EQ(run->route, tool_route::refused);
  EXPECT_EQ(run->denied, denial::tool);
  EXPECT_EQ(run->refusal, "tool 'memory_put' is not available to this agent");
}

TEST(TurnPlan, AnAgentWithoutDelegatesIsNotOfferedAskAgent) {
  auto def = definition();
  def.clear_delegates();
  auto plan = started(chat("x"), def);
  auto offered = names(plan.tools());
  EXPECT_EQ(std::count(offered.begin(), offered.end(), "ask_agent"), 0)
    << ::testing::PrintToString(offered);
  // A model that calls it anyway is refused as a delegation.
  auto call = plan.delegate({{"agent", "helper"}, {"input", "hi"}}, t0);
  EXPECT_EQ(call.denied, denial::delegation);
  EXPECT_EQ(
    call.refusal,
    "agent 'main' may not ask agent 'helper' (not among its delegates)");
}

TEST(TurnPlan, DelegationGoesOnlyToTheDefinitionsDelegates) {
  auto def = definition();
  def.clear_delegates();
  def.add_delegates("legal");
  def.add_delegates("security");
  auto plan = started(chat("x"), def);
  auto offered = names(plan.tools());
  EXPECT_EQ(std::count(offered.begin(), offered.end(), "ask_agent"), 1);
  auto allowed = plan.delegate({{"agent", "legal"}, {"input", "hi"}}, t0);
  EXPECT_EQ(allowed.refusal, "");
  EXPECT_EQ(allowed.denied, denial::none);
  EXPECT_EQ(allowed.request.agent(), "legal");
  auto denied = plan.delegate({{"agent", "ml"}, {"input", "hi"}}, t0);
  EXPECT_EQ(denied.denied, denial::delegation);
  EXPECT_EQ(denied.refusal,
            "agent 'main' may not ask agent 'ml' (not among its delegates)");
  EXPECT_EQ(denied.request.agent(), "");
  // Bad arguments are the model's mistake, not a capability denial.
  auto bad = plan.delegate({{"agent", "ml"}}, t0);
  EXPECT_NE(bad.refusal, "");
  EXPECT_EQ(bad.denied, denial::none);
}

TEST(TurnPlan, DenialKindsHaveTheirMetricLabels) {
  EXPECT_STREQ(to_string(denial::tool), "tool");
  EXPECT_STREQ(to_string(denial::delegation), "delegation");
  EXPECT_STREQ(to_string(denial::permission), "permission");
}

// -- the caller ---------------------------------------------------------------

TEST(TurnPlan, ADelegationCarriesTheCallerUnchanged) {
  auto req = chat_of_alice({"agents:legal:chat"});
  auto plan = started(req);
  auto call = plan.delegate({{"agent", "legal"}, {"input", "hi"}}, t0);
  EXPECT_EQ(call.refusal, "");
  EXPECT_EQ(call.request.caller().SerializeAsString(),
            req.caller().SerializeAsString());
  EXPECT_EQ(call.request.caller().name(), "alice");
}

TEST(TurnPlan, ACallerWithoutTheAgentsChatPermissionIsRefused) {
  auto plan = started(chat_of_alice({"agents:security:chat", "agents:read"}));
  auto call = plan.delegate({{"agent", "legal"}, {"input", "hi"}}, t0);
  EXPECT_EQ(call.denied, denial::permission);
  EXPECT_EQ(call.refusal, "the caller lacks permission 'agents:legal:chat' "
                          "to ask agent 'legal'");
  // The refusal names the permission, never the caller's roles.
  EXPECT_EQ(call.refusal.find("analyst"), std::string::npos);
  EXPECT_EQ(call.request.agent(), "");
  EXPECT_EQ(plan.delegate({{"agent", "security"}, {"input", "hi"}}, t0).denied,
            denial::none);
}

TEST(TurnPlan, WiderGrantsAllowADelegation) {
  for (const auto* grant : {"*", "agents:*", "agents:chat", "agents:leg*:chat",
                            "agents:legal:chat"})
    EXPECT_EQ(started(chat_of_alice({grant}))
                .delegate({{"agent", "legal"}, {"input", "hi"}}, t0)
                .denied,
              denial::none)
      << grant;
  for (const auto* grant :
       {"agents:read", "agents:ml:chat", "agents:legal:read", "not a grant"})
    EXPECT_EQ(started(chat_of_alice({grant}))
                .delegate({{"agent", "legal"}, {"input", "hi"}}, t0)
                .denied,
              denial::permission)
      << grant;
}

TEST(TurnPlan, ATurnWithoutACallerMayNotDelegate) {
  auto req = chat("x");
  req.clear_caller();
  auto call = started(req).delegate({{"agent", "legal"}, {"input", "hi"}}, t0);
  EXPECT_EQ(call.denied, denial::permission);
}

TEST(TurnPlan, TheAgentsDelegatesAreCheckedBeforeTheCallersRights) {
  auto def = definition();
  def.clear_delegates();
  def.add_delegates("security");
  auto plan = started(chat_of_alice({}), def);
  EXPECT_EQ(plan.delegate({{"agent", "legal"}, {"input", "hi"}}, t0).denied,
            denial::delegation);
  EXPECT_EQ(plan.delegate({{"agent", "security"}, {"input", "hi"}}, t0).denied,
            denial::permission);
}
