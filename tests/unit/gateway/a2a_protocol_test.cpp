// The A2A server's protocol decisions: method names of both versions, the
// A2A-Version header, a sent message read and refused, and the shapes of
// tasks, stream events and the Agent Card in 1.0 and 0.3.

#include "gateway/a2a_protocol.hpp"

#include <gtest/gtest.h>

namespace {

namespace gw = bsm::gateway;
using json = nlohmann::json;

json user_message(json parts) {
  return {{"message",
           {{"role", "ROLE_USER"}, {"messageId", "m1"}, {"parts", parts}}}};
}

gw::rpc_failure refusal(const json& params, size_t max_bytes = 1000) {
  auto read = gw::read_send_params(params, max_bytes);
  if (!std::holds_alternative<gw::rpc_failure>(read)) {
    ADD_FAILURE() << "accepted " << params;
    return {0, ""};
  }
  return std::get<gw::rpc_failure>(read);
}

TEST(A2aProtocol, KnowsTheMethodsOfBothVersions) {
  auto send = gw::a2a_method_of("SendMessage");
  ASSERT_TRUE(send);
  EXPECT_EQ(send->method, gw::a2a_method::send);
  EXPECT_EQ(send->dialect, gw::a2a_dialect::v1);
  auto stream = gw::a2a_method_of("message/stream");
  ASSERT_TRUE(stream);
  EXPECT_EQ(stream->method, gw::a2a_method::stream);
  EXPECT_EQ(stream->dialect, gw::a2a_dialect::v0_3);
  EXPECT_EQ(gw::a2a_method_of("tasks/cancel")->method,
            gw::a2a_method::cancel_task);
  EXPECT_EQ(gw::a2a_method_of("GetTask")->method, gw::a2a_method::get_task);
  EXPECT_FALSE(gw::a2a_method_of("ListTasks"));
  EXPECT_FALSE(gw::a2a_method_of("sendmessage"));
}

TEST(A2aProtocol, ServesVersionsOneAndZeroThree) {
  EXPECT_TRUE(gw::a2a_version_served(""));
  EXPECT_TRUE(gw::a2a_version_served("1.0"));
  EXPECT_TRUE(gw::a2a_version_served("0.3"));
  EXPECT_TRUE(gw::a2a_version_served("0.3.0"));
  EXPECT_FALSE(gw::a2a_version_served("0.2"));
  EXPECT_FALSE(gw::a2a_version_served("2.0"));
  EXPECT_FALSE(gw::a2a_version_served("1.01"));
}

TEST(A2aProtocol, ReadsTheTextOfAMessageInEitherShape) {
  auto v1 = gw::read_send_params(
    user_message(json::array({{{"text", "hello"}}, {{"text", "there"}}})),
    1000);
  ASSERT_TRUE(std::holds_alternative<gw::send_request>(v1));
  EXPECT_EQ(std::get<gw::send_request>(v1).text, "hello\nthere");
  EXPECT_EQ(std::get<gw::send_request>(v1).context_id, "");
  json old{{"message",
            {{"kind", "message"},
             {"role", "user"},
             {"contextId", "s-abc_1"},
             {"parts", json::array({{{"kind", "text"}, {"text", "hi"}}})}}}};
  auto v03 = gw::read_send_params(old, 1000);
  ASSERT_TRUE(std::holds_alternative<gw::send_request>(v03));
  EXPECT_EQ(std::get<gw::send_request>(v03).text, "hi");
  EXPECT_EQ(std::get<gw::send_request>(v03).context_id, "s-abc_1");
}

TEST(A2aProtocol, RefusesWhatItCannotServe) {
  auto text = json::array({{{"text", "x"}}});
  EXPECT_EQ(refusal(json::object()).code, gw::rpc_code::invalid_params);
  EXPECT_EQ(
    refusal({{"message", {{"role", "ROLE_AGENT"}, {"parts", text}}}}).code,
    gw::rpc_code::invalid_params);
  EXPECT_EQ(refusal(user_message(json::array())).code,
            gw::rpc_code::invalid_params);
  EXPECT_EQ(refusal(user_message(json::array({{{"url", "file:///x"}}}))).code,
            gw::a2a_code::content_type_not_supported);
  EXPECT_EQ(refusal(user_message(json::array({{{"data", {{"a", 1}}}}}))).code,
            gw::a2a_code::content_type_not_supported);
  auto with_task = user_message(text);
  with_task["message"]["taskId"] = "t-1";
  EXPECT_EQ(refusal(with_task).code, gw::a2a_code::unsupported_operation);
  auto push = user_message(text);
  push["configuration"] = {{"taskPushNotificationConfig", {{"url", "x"}}}};
  EXPECT_EQ(refusal(push).code, gw::a2a_code::push_notification_not_supported);
  auto bad_context = user_message(text);
  bad_context["message"]["contextId"] = "../etc";
  EXPECT_EQ(refusal(bad_context).code, gw::rpc_code::invalid_params);
  bad_context["message"]["contextId"] = std::string(129, 'a');
  EXPECT_EQ(refusal(bad_context).code, gw::rpc_code::invalid_params);
  EXPECT_EQ(refusal(user_message(json::array({{{"text", "12345"}}})), 4).code,
            gw::rpc_code::invalid_params);
}

TEST(A2aProtocol, ReadsTaskIds) {
  auto id = gw::read_task_id({{"id", "t-1"}});
  ASSERT_TRUE(std::holds_alternative<std::string>(id));
  EXPECT_EQ(std::get<std::string>(id), "t-1");
  EXPECT_EQ(std::get<gw::rpc_failure>(gw::read_task_id({{"id", 3}})).code,
            gw::rpc_code::invalid_params);
  EXPECT_EQ(std::get<gw::rpc_failure>(gw::read_task_id(json::object())).code,
            gw::rpc_code::invalid_params);
}

TEST(A2aProtocol, ShapesTasksInEachVersion) {
  gw::task_view done{"t-1", "s-1", gw::task_state::completed, "42", ""};
  auto v1 = gw::send_result(done, gw::a2a_dialect::v1);
  EXPECT_EQ(v1["task"]["id"], "t-1");
  EXPECT_EQ(v1["task"]["contextId"], "s-1");
  EXPECT_EQ(v1["task"]["status"]["state"], "TASK_STATE_COMPLETED");
  EXPECT_EQ(v1["task"]["artifacts"][0]["parts"][0], json({{"text", "42"}}));
  EXPECT_FALSE(v1["task"].contains("kind"));
  auto old = gw::send_result(done, gw::a2a_dialect::v0_3);
  EXPECT_EQ(old["kind"], "task");
  EXPECT_EQ(old["status"]["state"], "completed");
  EXPECT_EQ(old["artifacts"][0]["parts"][0]["kind"], "text");
  gw::task_view failed{"t-2", "s-1", gw::task_state::failed, "", "too slow"};
  auto f = gw::task_json(failed, gw::a2a_dialect::v1);
  EXPECT_EQ(f["status"]["state"], "TASK_STATE_FAILED");
  EXPECT_EQ(f["status"]["message"]["role"], "ROLE_AGENT");
  EXPECT_EQ(f["status"]["message"]["parts"][0]["text"], "too slow");
  EXPECT_FALSE(f.contains("artifacts"));
}

TEST(A2aProtocol, ShapesStreamEventsInEachVersion) {
  gw::task_view t{"t-1", "s-1", gw::task_state::working, "", ""};
  auto piece
    = gw::stream_artifact_event(t, "4", true, false, gw::a2a_dialect::v1);
  EXPECT_EQ(piece["artifactUpdate"]["artifact"]["parts"][0]["text"], "4");
  EXPECT_EQ(piece["artifactUpdate"]["append"], true);
  EXPECT_EQ(piece["artifactUpdate"]["taskId"], "t-1");
  t.state = gw::task_state::completed;
  auto v1 = gw::stream_status_event(t, gw::a2a_dialect::v1);
  EXPECT_EQ(v1["statusUpdate"]["status"]["state"], "TASK_STATE_COMPLETED");
  auto old = gw::stream_status_event(t, gw::a2a_dialect::v0_3);
  EXPECT_EQ(old["kind"], "status-update");
  EXPECT_EQ(old["final"], true);
  EXPECT_EQ(gw::stream_artifact_event(t, "x", false, true,
                                      gw::a2a_dialect::v0_3)["kind"],
            "artifact-update");
}

TEST(A2aProtocol, TheCardServesBothVersions) {
  auto card = gw::agent_card({"runner",
                              "Runs things",
                              "http://h:1/a2a/agents/runner",
                              "0.9.0",
                              {"memory_put"}});
  EXPECT_EQ(card["name"], "runner");
  EXPECT_EQ(card["supportedInterfaces"][0]["url"],
            "http://h:1/a2a/agents/runner");
  EXPECT_EQ(card["supportedInterfaces"][0]["protocolBinding"], "JSONRPC");
  EXPECT_EQ(card["supportedInterfaces"][0]["protocolVersion"], "1.0");
  EXPECT_EQ(card["url"], "http://h:1/a2a/agents/runner");
  EXPECT_EQ(card["capabilities"]["streaming"], true);
  EXPECT_EQ(card["defaultInputModes"], json::array({"text/plain"}));
  EXPECT_EQ(card["skills"][0]["tags"], json::array({"chat", "memory_put"}));
  auto bare = gw::agent_card({"x", "", "u", "1", {}});
  EXPECT_FALSE(bare["description"].get<std::string>().empty());
}

} // namespace
