// The idempotency stores' one implementation, through its two kinds (the
// HTTP bridge's answers and the agents' tool results), on a real store
// without an actor system.

#include "actors/expiring_record_store.hpp"

#include <gtest/gtest.h>

#include "actors/http_idempotency_store.hpp"
#include "agents/tools/tool_ledger.hpp"
#include "runtime/error.hpp"
#include "tests/common/temp_dir.hpp"

namespace {

using namespace std::chrono_literals;

class ExpiringRecordStore : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = bsm::store::open(dir_.path(), {});
    ASSERT_TRUE(opened) << bsm::render(opened.error());
    db = std::move(*opened);
    ledger.db = db.get();
    ledger.ttl = 1h;
    answers.db = db.get();
    answers.ttl = 1h;
  }

  static bsm::v1::ToolLedgerPutRequest tool_result(const std::string& key,
                                                   const std::string& text) {
    bsm::v1::ToolLedgerPutRequest put;
    put.set_key(key);
    put.mutable_result()->set_is_error(true);
    put.mutable_result()->set_content(text);
    return put;
  }

  // The answer of `state` to `req`; an empty one (and a failure) on error.
  template <class State, class Request>
  static auto get(const State& state, const Request& req) {
    using response = typename decltype(state.get(req))::value_type;
    auto resp = state.get(req);
    EXPECT_TRUE(resp) << bsm::render(resp.error());
    return resp ? *resp : response{};
  }

  bsm::v1::ToolLedgerGetResponse ledger_get(const std::string& key) {
    bsm::v1::ToolLedgerGetRequest req;
    req.set_key(key);
    return get(ledger, req);
  }

  bsm::v1::HttpIdempotencyGetResponse answer_get(const std::string& scope) {
    bsm::v1::HttpIdempotencyGetRequest req;
    req.set_scope(scope);
    return get(answers, req);
  }

  bsm::test::temp_dir dir_;
  std::unique_ptr<bsm::store> db;
  bsm::tool_ledger_state ledger;
  bsm::http_idempotency_state answers;
};

TEST_F(ExpiringRecordStore, KeepsARecordUnderItsId) {
  EXPECT_FALSE(ledger_get("turn-1/call-1").found());
  ASSERT_TRUE(ledger.put(tool_result("turn-1/call-1", "done")));
  auto got = ledger_get("turn-1/call-1");
  EXPECT_TRUE(got.found());
  EXPECT_EQ(got.result().content(), "done");
  EXPECT_TRUE(got.result().is_error());
  EXPECT_FALSE(ledger_get("turn-1/call-2").found());
}

TEST_F(ExpiringRecordStore, KindsDoNotSeeEachOthersRecords) {
  ASSERT_TRUE(ledger.put(tool_result("same-id", "tool")));
  EXPECT_FALSE(answer_get("same-id").found());
  bsm::v1::HttpIdempotencyPutRequest put;
  put.set_scope("same-id");
  put.mutable_record()->set_status(202);
  ASSERT_TRUE(answers.put(put));
  EXPECT_EQ(answer_get("same-id").record().status(), 202u);
  EXPECT_EQ(ledger_get("same-id").result().content(), "tool");
}

TEST_F(ExpiringRecordStore, AnExpiredRecordIsAbsent) {
  ledger.ttl = -1ms;
  ASSERT_TRUE(ledger.put(tool_result("old", "stale")));
  EXPECT_FALSE(ledger_get("old").found());
}

TEST_F(ExpiringRecordStore, StoreKeysCannotCollideWithMailboxTargets) {
  bsm::v1::ToolLedgerGetRequest req;
  req.set_key("k");
  auto key = bsm::tool_ledger_state::store_key(req);
  // Mailbox keys start with a target path: [a-z0-9_.-/].
  EXPECT_EQ(key.front(), '\x01');
  EXPECT_EQ(key, std::string("\x01tool\0k", 7));
}

} // namespace
