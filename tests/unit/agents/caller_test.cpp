#include "agents/caller.hpp"

#include <gtest/gtest.h>

namespace {

using namespace bsm::agents;
namespace v1 = bsm::v1;

v1::Principal alice() {
  v1::Principal result;
  result.set_name("alice");
  result.set_kind("user");
  result.add_roles("analyst");
  result.add_permissions("agents:legal:chat");
  return result;
}

} // namespace

TEST(Caller, OnlyThisNodesOwnComponentsCountAsLocal) {
  EXPECT_EQ(origin_of(true, true, "http_bridge"), request_origin::this_node);
  EXPECT_EQ(origin_of(true, true, "agent"), request_origin::this_node);
  EXPECT_EQ(origin_of(true, true, "scoped_actor"), request_origin::this_node);
  // No sender: a tell, e.g. one the cluster port relayed.
  EXPECT_EQ(origin_of(false, false, ""), request_origin::outside);
  // An actor of another process.
  EXPECT_EQ(origin_of(true, false, "agent"), request_origin::outside);
  // Local relays of outside input.
  EXPECT_EQ(origin_of(true, true, "cluster_ingress"), request_origin::outside);
  EXPECT_EQ(origin_of(true, true, "mailbox"), request_origin::outside);
}

TEST(Caller, ARequestWithoutACallerGetsOneByItsOrigin) {
  v1::ChatRequest local;
  settle_caller(local, request_origin::this_node);
  EXPECT_EQ(local.caller().kind(), "local");
  EXPECT_TRUE(grants_of(local.caller()).allows("agents:legal:chat"));
  v1::ChatRequest outside;
  settle_caller(outside, request_origin::outside);
  EXPECT_EQ(outside.caller().kind(), "anonymous");
  EXPECT_TRUE(grants_of(outside.caller()).empty());
  EXPECT_FALSE(grants_of(outside.caller()).allows("agents:legal:chat"));
}

TEST(Caller, ASetCallerIsKeptWhereverItComesFrom) {
  for (auto origin : {request_origin::this_node, request_origin::outside}) {
    v1::ChatRequest req;
    *req.mutable_caller() = alice();
    settle_caller(req, origin);
    EXPECT_EQ(req.caller().SerializeAsString(), alice().SerializeAsString());
  }
}

TEST(Caller, GrantsThatDoNotParseGrantNothing) {
  auto caller = alice();
  caller.add_permissions("agents::chat");
  caller.add_permissions("");
  caller.add_permissions("agents:ml:chat");
  auto grants = grants_of(caller);
  EXPECT_TRUE(grants.allows("agents:legal:chat"));
  EXPECT_TRUE(grants.allows("agents:ml:chat"));
  EXPECT_FALSE(grants.allows("agents:security:chat"));
  EXPECT_EQ(grants.to_strings().size(), 2u);
}

TEST(Caller, ADelegationNeedsTheChatPermissionOfTheAgentAsked) {
  EXPECT_EQ(chat_permission("legal"), "agents:legal:chat");
}

TEST(Caller, ATurnIsCancelledByItsOwnCallerOrWithTheCancelPermission) {
  auto bob = alice();
  bob.set_name("bob");
  EXPECT_TRUE(may_cancel(alice(), alice(), "legal"));
  EXPECT_FALSE(may_cancel(bob, alice(), "legal"));
  // The same name of another kind is someone else.
  auto key = alice();
  key.set_kind("api_key");
  EXPECT_FALSE(may_cancel(key, alice(), "legal"));
  bob.add_permissions("agents:legal:cancel");
  EXPECT_TRUE(may_cancel(bob, alice(), "legal"));
  EXPECT_FALSE(may_cancel(bob, alice(), "ml"));
  EXPECT_TRUE(may_cancel(local_principal(), alice(), "ml"));
  // Nobody vouched for the anonymous caller: not even its own turns.
  EXPECT_FALSE(
    may_cancel(anonymous_principal(), anonymous_principal(), "legal"));
}
