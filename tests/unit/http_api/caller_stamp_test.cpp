#include "http_api/caller_stamp.hpp"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "runtime/security/principal.hpp"

namespace bsm::http_handlers {
namespace {

std::shared_ptr<http::exchange> exchange_for(const std::string& name,
                                             std::vector<std::string> grants) {
  auto ex = std::make_shared<http::exchange>(
    http::request{}, "req-1", std::weak_ptr<http::session>{}, nullptr);
  security::principal who;
  who.name = name;
  who.kind = security::principal_kind::token;
  who.roles = {"chat"};
  who.permissions = *security::permission_set::parse(grants);
  ex->set_principal(std::make_shared<const security::principal>(who));
  return ex;
}

TEST(CallerStamp, AChatRouteActsForTheAuthenticatedPrincipal) {
  auto ex = exchange_for("alice", {"agents:legal:chat"});
  v1::ChatRequest req;
  stamp_caller(*ex, req);
  EXPECT_EQ(req.caller().name(), "alice");
  EXPECT_EQ(req.caller().kind(), "token");
  ASSERT_EQ(req.caller().permissions_size(), 1);
  EXPECT_EQ(req.caller().permissions(0), "agents:legal:chat");
}

TEST(CallerStamp, AForgedCallerInAnInjectedPayloadIsReplaced) {
  auto ex = exchange_for("mallory", {"agents:legal:chat"});
  std::string payload
    = R"({"agent":"legal","input":"hi","caller":{"name":"root","permissions":["*"]}})";
  ASSERT_FALSE(stamp_caller(*ex, "bsm.v1.ChatRequest", payload, true));
  v1::ChatRequest req;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(payload, &req).ok());
  EXPECT_EQ(req.caller().name(), "mallory");
  EXPECT_EQ(req.input(), "hi");
  for (const auto& grant : req.caller().permissions())
    EXPECT_NE(grant, "*");
  v1::ChatRequest binary;
  binary.mutable_caller()->add_permissions("*");
  auto bytes = binary.SerializeAsString();
  ASSERT_FALSE(stamp_caller(*ex, "bsm.v1.ChatRequest", bytes, false));
  ASSERT_TRUE(binary.ParseFromString(bytes));
  EXPECT_EQ(binary.caller().name(), "mallory");
  EXPECT_EQ(binary.caller().permissions_size(), 1);
}

TEST(CallerStamp, AClientCannotNameADelivery) {
  auto ex = exchange_for("alice", {"agents:legal:chat"});
  std::string payload = R"({"input":"hi","delivery_id":"01JSOMEONEELSE"})";
  ASSERT_FALSE(stamp_caller(*ex, "bsm.v1.ChatRequest", payload, true));
  v1::ChatRequest req;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(payload, &req).ok());
  EXPECT_EQ(req.delivery_id(), "");
  EXPECT_EQ(req.input(), "hi");
}

TEST(CallerStamp, APayloadThatIsNoChatRequestIsRefused) {
  auto ex = exchange_for("alice", {});
  std::string payload = R"({"no_such_field":1})";
  EXPECT_TRUE(stamp_caller(*ex, "bsm.v1.ChatRequest", payload, true));
}

TEST(CallerStamp, AnInjectedTurnCancelActsForTheAuthenticatedPrincipal) {
  auto ex = exchange_for("mallory", {"agents:legal:chat"});
  std::string payload
    = R"({"agent":"legal","turn_id":"t-1","caller":{"name":"alice","kind":"token"}})";
  ASSERT_FALSE(stamp_caller(*ex, "bsm.v1.TurnCancelRequest", payload, true));
  v1::TurnCancelRequest req;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(payload, &req).ok());
  EXPECT_EQ(req.caller().name(), "mallory");
  EXPECT_EQ(req.turn_id(), "t-1");
}

TEST(CallerStamp, EveryInjectableTypeWithACallerIsStamped) {
  auto ex = exchange_for("mallory", {"agents:legal:chat"});
  int stamped = 0;
  for_each_type(bsm_v1_types{}, [&](auto* tag) {
    using type = std::remove_pointer_t<decltype(tag)>;
    const auto* field = type::descriptor()->FindFieldByName("caller");
    if (field == nullptr)
      return;
    std::string payload = R"({"caller":{"name":"alice","kind":"token"}})";
    const auto& name = type::descriptor()->full_name();
    ASSERT_FALSE(stamp_caller(*ex, name, payload, true)) << name;
    type req;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(payload, &req).ok())
      << name;
    const auto& caller = static_cast<const bsm::v1::Principal&>(
      req.GetReflection()->GetMessage(req, field));
    EXPECT_EQ(caller.name(), "mallory") << name;
    ++stamped;
  });
  // ChatRequest, TurnCancelRequest, the questions' and the tasks' requests.
  EXPECT_GE(stamped, 9);
}

TEST(CallerStamp, OtherTypesAreLeftAsTheyAre) {
  auto ex = exchange_for("alice", {});
  std::string payload = R"({"anything":1})";
  EXPECT_FALSE(stamp_caller(*ex, "bsm.v1.PingRequest", payload, true));
  EXPECT_EQ(payload, R"({"anything":1})");
}

} // namespace
} // namespace bsm::http_handlers
