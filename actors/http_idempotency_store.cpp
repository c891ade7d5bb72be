#include "actors/http_idempotency_store.hpp"

#include <random>

#include "runtime/error.hpp"

namespace bsm {

caf::expected<v1::HttpIdempotencyClaimResponse>
http_idempotency_state::claim(const v1::HttpIdempotencyClaimRequest& req,
                              time_point now) {
  v1::HttpIdempotencyClaimResponse resp;
  v1::HttpIdempotencyGetRequest get_req;
  get_req.set_scope(req.scope());
  auto found = get(get_req);
  if (!found)
    return found.error();
  if (found->found()) {
    resp.set_outcome(v1::HTTP_IDEMPOTENCY_CLAIM_OUTCOME_ANSWERED);
    *resp.mutable_record() = std::move(*found->mutable_record());
    return resp;
  }
  auto taken
    = claims.claim(req.scope(), std::chrono::milliseconds{req.lease_ms()}, now);
  switch (taken.what) {
    case http::idempotency_claims::outcome::claimed:
      resp.set_outcome(v1::HTTP_IDEMPOTENCY_CLAIM_OUTCOME_CLAIMED);
      resp.set_claim_id(taken.id);
      return resp;
    case http::idempotency_claims::outcome::in_flight:
      resp.set_outcome(v1::HTTP_IDEMPOTENCY_CLAIM_OUTCOME_IN_FLIGHT);
      return resp;
    case http::idempotency_claims::outcome::full: break;
  }
  return make_error(errc::unavailable,
                    "too many requests with an Idempotency-Key in flight");
}

caf::expected<v1::HttpIdempotencyPutResponse>
http_idempotency_state::answer(const v1::HttpIdempotencyPutRequest& req) {
  if (req.claim_id() != 0)
    claims.release(req.scope(), req.claim_id());
  return put(req);
}

v1::HttpIdempotencyReleaseResponse
http_idempotency_state::release(const v1::HttpIdempotencyReleaseRequest& req) {
  claims.release(req.scope(), req.claim_id());
  return {};
}

http_idempotency_actor::behavior_type http_idempotency_store(
  http_idempotency_actor::stateful_pointer<http_idempotency_state> self,
  store* db, http_idempotency_options opts) {
  auto& st = self->state;
  st.db = db;
  st.ttl = opts.ttl;
  // Ids start at random: a late release meant for an earlier incarnation's
  // claim cannot end one of this one's.
  std::random_device seed;
  auto first_id = (uint64_t{seed()} << 32) | seed();
  st.claims = http::idempotency_claims{opts.claims, first_id};
  return {
    [self](const v1::HttpIdempotencyGetRequest& req) {
      return self->state.get(req);
    },
    [self](const v1::HttpIdempotencyPutRequest& req) {
      return self->state.answer(req);
    },
    [self](const v1::HttpIdempotencyClaimRequest& req) {
      return self->state.claim(req, std::chrono::steady_clock::now());
    },
    [self](const v1::HttpIdempotencyReleaseRequest& req) {
      return self->state.release(req);
    },
  };
}

} // namespace bsm
