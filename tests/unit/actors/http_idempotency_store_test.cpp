// The HTTP bridge's Idempotency-Key store spawned detached on a real
// RocksDB store, as the node runs it: a claim is taken once and ended by
// the answer or a release; a full disk or a damaged record is an error,
// never a silent miss (expiring_record_store_test.cpp has the rest).

#include "actors/http_idempotency_store.hpp"

#include <gtest/gtest.h>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "runtime/clock.hpp"
#include "runtime/error.hpp"
#include "runtime/store/expiring_value.hpp"
#include "runtime/system_config.hpp"
#include "tests/common/temp_dir.hpp"
#include "tests/unit/store/failing_fs.hpp"

namespace {

using namespace std::chrono_literals;

class HttpIdempotencyStore : public ::testing::Test {
protected:
  ~HttpIdempotencyStore() override {
    if (idem)
      caf::anon_send_exit(idem, caf::exit_reason::user_shutdown);
    // A detached actor's thread ends only once no handle refers to it.
    idem = nullptr;
    sys.reset();
    db.reset();
  }

  void start(std::chrono::milliseconds ttl) {
    env = rocksdb::NewCompositeEnv(fs);
    auto s = bsm::store::open(dir_.path(), {}, env.get());
    ASSERT_TRUE(s) << bsm::render(s.error());
    db = std::move(*s);
    sys = std::make_unique<caf::actor_system>(cfg);
    bsm::http_idempotency_options opts;
    opts.ttl = ttl;
    idem
      = sys->spawn<caf::detached>(bsm::http_idempotency_store, db.get(), opts);
  }

  template <class Response, class Request>
  caf::expected<Response> ask(const Request& req) {
    caf::expected<Response> result{caf::error{}};
    caf::scoped_actor self{*sys};
    self->request(idem, 10s, req)
      .receive([&](Response& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  caf::error put(const std::string& scope, uint32_t status) {
    bsm::v1::HttpIdempotencyPutRequest req;
    req.set_scope(scope);
    req.mutable_record()->set_status(status);
    req.mutable_record()->set_body("{\"ok\":true}");
    auto resp = ask<bsm::v1::HttpIdempotencyPutResponse>(req);
    return resp ? caf::error{} : resp.error();
  }

  caf::expected<bsm::v1::HttpIdempotencyClaimResponse>
  claim(const std::string& scope) {
    bsm::v1::HttpIdempotencyClaimRequest req;
    req.set_scope(scope);
    req.set_lease_ms(3'600'000);
    return ask<bsm::v1::HttpIdempotencyClaimResponse>(req);
  }

  caf::expected<bsm::v1::HttpIdempotencyGetResponse>
  get(const std::string& scope) {
    bsm::v1::HttpIdempotencyGetRequest req;
    req.set_scope(scope);
    return ask<bsm::v1::HttpIdempotencyGetResponse>(req);
  }

  bsm::test::temp_dir dir_;
  std::shared_ptr<bsm::test::failing_fs> fs
    = std::make_shared<bsm::test::failing_fs>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env;
  bsm::system_config cfg;
  std::unique_ptr<bsm::store> db;
  std::unique_ptr<caf::actor_system> sys;
  bsm::http_idempotency_actor idem;
};

TEST_F(HttpIdempotencyStore, AFullDiskFailsThePutAndKeepsServingReads) {
  start(1h);
  ASSERT_FALSE(put("before", 200));
  *fs->full = true;
  auto err = put("during", 200);
  EXPECT_TRUE(bsm::is(err, bsm::errc::unavailable)) << bsm::render(err);
  auto before = get("before");
  ASSERT_TRUE(before) << bsm::render(before.error());
  EXPECT_TRUE(before->found());
}

TEST_F(HttpIdempotencyStore, ADamagedRecordIsAnInternalErrorToReadsAndClaims) {
  start(1h);
  auto far = bsm::unix_now_ms() + 3'600'000;
  bsm::v1::HttpIdempotencyGetRequest scope;
  scope.set_scope("scope");
  ASSERT_FALSE(db->put(bsm::column::idempotency,
                       bsm::http_idempotency_state::store_key(scope),
                       bsm::make_expiring_value(far, "\xff\xff\xff")));
  auto got = get("scope");
  ASSERT_FALSE(got);
  EXPECT_TRUE(bsm::is(got.error(), bsm::errc::internal))
    << bsm::render(got.error());
  // Nor is it claimed as if there were none.
  auto claimed = claim("scope");
  ASSERT_FALSE(claimed);
  EXPECT_TRUE(bsm::is(claimed.error(), bsm::errc::internal))
    << bsm::render(claimed.error());
}

namespace outcome {
constexpr auto claimed = bsm::v1::HTTP_IDEMPOTENCY_CLAIM_OUTCOME_CLAIMED;
constexpr auto in_flight = bsm::v1::HTTP_IDEMPOTENCY_CLAIM_OUTCOME_IN_FLIGHT;
constexpr auto answered = bsm::v1::HTTP_IDEMPOTENCY_CLAIM_OUTCOME_ANSWERED;
} // namespace outcome

TEST_F(HttpIdempotencyStore, AClaimHoldsTheKeyUntilItsAnswerIsStored) {
  start(1h);
  auto first = claim("POST /v1/agents/a/chat\nk");
  ASSERT_TRUE(first) << bsm::render(first.error());
  ASSERT_EQ(first->outcome(), outcome::claimed);
  EXPECT_NE(first->claim_id(), 0u);
  auto second = claim("POST /v1/agents/a/chat\nk");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->outcome(), outcome::in_flight);
  bsm::v1::HttpIdempotencyPutRequest put;
  put.set_scope("POST /v1/agents/a/chat\nk");
  put.set_claim_id(first->claim_id());
  put.mutable_record()->set_status(200);
  put.mutable_record()->set_body("first");
  ASSERT_TRUE(ask<bsm::v1::HttpIdempotencyPutResponse>(put));
  auto third = claim("POST /v1/agents/a/chat\nk");
  ASSERT_TRUE(third);
  EXPECT_EQ(third->outcome(), outcome::answered);
  EXPECT_EQ(third->record().body(), "first");
}

TEST_F(HttpIdempotencyStore, AReleasedClaimLeavesTheKeyFree) {
  start(1h);
  auto first = claim("scope");
  ASSERT_TRUE(first && first->outcome() == outcome::claimed);
  bsm::v1::HttpIdempotencyReleaseRequest release;
  release.set_scope("scope");
  release.set_claim_id(first->claim_id());
  ASSERT_TRUE(ask<bsm::v1::HttpIdempotencyReleaseResponse>(release));
  auto again = claim("scope");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->outcome(), outcome::claimed);
  EXPECT_NE(again->claim_id(), first->claim_id());
}

} // namespace
