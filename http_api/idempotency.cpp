#include "http_api/idempotency.hpp"

#include <openssl/sha.h>

#include <caf/event_based_actor.hpp>

#include "actors/http_idempotency_store.hpp"
#include "actors/remote_call.hpp"
#include "runtime/error.hpp"
#include "runtime/http/error_response.hpp"
#include "runtime/mailbox/mailbox_store.hpp"

namespace bsm::http_handlers {

namespace bhttp = boost::beast::http;

namespace {

// What defines the request besides its path: the body and the headers
// that change how the body is read.
std::string request_hash(const http::request& req) {
  std::string text;
  for (auto field : {"Content-Type", "X-Bsm-Type", "X-Bsm-Mode"})
    text.append(req[field].data(), req[field].size()).push_back('\n');
  text += req.body();
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(),
         digest);
  return std::string{reinterpret_cast<const char*>(digest), sizeof(digest)};
}

bool storable(unsigned status) {
  if (status >= 500)
    return false;
  return status != 408 && status != 409 && status != 429;
}

http::response replay(const v1::HttpIdempotencyRecord& record) {
  http::response res{static_cast<bhttp::status>(record.status()), 11};
  if (!record.content_type().empty())
    res.set(bhttp::field::content_type, record.content_type());
  res.set("Idempotent-Replayed", "true");
  res.body() = record.body();
  return res;
}

// The store that keeps `home`'s keys: the one of the node that owns its
// target. Errors: those of route_call (not_found, unavailable).
caf::expected<call_route> store_route(const http_bridge_env& env,
                                      const idempotency_home& home) {
  call_route route;
  if (!home.target.empty()) {
    auto owner = route_call(env.call_env(), home.target, home.msg);
    if (!owner)
      return owner.error();
    route = std::move(*owner);
  }
  if (route.remote)
    return route;
  auto here = env.names->get(http_idempotency_path);
  if (!here)
    return make_error(errc::unavailable, "the idempotency store is restarting");
  route.local = *here;
  return route;
}

// Asks the store on `route`; exactly one handler runs, on the bridge.
template <class Response, class Request, class OnReply>
void ask_store(http_bridge_pointer self, const call_route& route, Request req,
               OnReply on_reply, error_handler on_error) {
  const auto& env = *self->state.env;
  ask_routed(
    self, env.call_env(), route, http_idempotency_path,
    caf::make_message(std::move(req)), env.opts.internal_timeout,
    [on_reply, on_error](caf::message msg) {
      if (!msg.match_elements<Response>())
        return on_error(make_error(
          errc::internal, "the idempotency store answered with another type"));
      on_reply(msg.get_as<Response>(0));
    },
    std::move(on_error), &self->state.deadlines);
}

// Ends the claim with the answer (stored if a retry should get it back),
// then sends the answer.
responder ending_responder(http_bridge_pointer self,
                           const http::exchange_ptr& ex, call_route route,
                           std::string scope, std::string hash,
                           uint64_t claim_id) {
  return [self, ex, route = std::move(route), scope = std::move(scope),
          hash = std::move(hash), claim_id](http::response res) {
    auto answer = std::make_shared<http::response>(std::move(res));
    auto send = [ex, answer] {
      ex->respond(std::move(*answer));
    };
    auto log = self->state.env->log;
    if (!storable(answer->result_int())) {
      v1::HttpIdempotencyReleaseRequest release;
      release.set_scope(scope);
      release.set_claim_id(claim_id);
      // A claim not released ends with its lease.
      return ask_store<v1::HttpIdempotencyReleaseResponse>(
        self, route, std::move(release),
        [send](const v1::HttpIdempotencyReleaseResponse&) { send(); },
        [send, log, scope](caf::error err) {
          log->warn("http: cannot release idempotency scope '{}': {}", scope,
                    render(err));
          send();
        });
    }
    v1::HttpIdempotencyPutRequest put;
    put.set_scope(scope);
    put.set_claim_id(claim_id);
    auto& record = *put.mutable_record();
    record.set_request_hash(hash);
    record.set_status(answer->result_int());
    record.set_content_type(std::string{(*answer)[bhttp::field::content_type]});
    record.set_body(answer->body());
    ask_store<v1::HttpIdempotencyPutResponse>(
      self, route, std::move(put),
      [send](const v1::HttpIdempotencyPutResponse&) { send(); },
      [send, log, scope](caf::error err) {
        // The effect happened; a retry of a tell is still deduplicated by
        // the mailbox's own key.
        log->warn(
          "http: cannot store the answer for idempotency scope '{}': {}", scope,
          render(err));
        send();
      });
  };
}

void on_claim(http_bridge_pointer self, const http::exchange_ptr& ex,
              const call_route& route, const std::string& scope,
              const std::string& hash,
              const v1::HttpIdempotencyClaimResponse& resp,
              const std::function<void(responder)>& work) {
  switch (resp.outcome()) {
    case v1::HTTP_IDEMPOTENCY_CLAIM_OUTCOME_CLAIMED:
      return work(
        ending_responder(self, ex, route, scope, hash, resp.claim_id()));
    case v1::HTTP_IDEMPOTENCY_CLAIM_OUTCOME_IN_FLIGHT:
      return http::respond_error(*ex, bhttp::status::conflict, "conflict",
                                 "a request with this Idempotency-Key is "
                                 "still in flight");
    case v1::HTTP_IDEMPOTENCY_CLAIM_OUTCOME_ANSWERED:
      if (resp.record().request_hash() != hash)
        return http::respond_error(
          *ex, bhttp::status::unprocessable_entity, "idempotency_key_mismatch",
          "this Idempotency-Key was used with another request");
      return ex->respond(replay(resp.record()));
    default:
      return http::respond_error(
        *ex, make_error(errc::internal,
                        "the idempotency store answered without an outcome"));
  }
}

} // namespace

caf::expected<std::optional<std::string>>
idempotency_key_of(const http::request& req) {
  auto it = req.find("Idempotency-Key");
  if (it == req.end())
    return std::optional<std::string>{};
  auto key = it->value();
  bool printable = std::all_of(key.begin(), key.end(),
                               [](char c) { return c >= 0x20 && c < 0x7f; });
  if (key.empty() || key.size() > mailbox::max_idempotency_key_bytes
      || !printable)
    return make_error(errc::invalid_argument,
                      "Idempotency-Key must be 1 to "
                        + std::to_string(mailbox::max_idempotency_key_bytes)
                        + " printable ASCII characters");
  return std::optional<std::string>{std::string{key}};
}

void with_idempotency(http_bridge_pointer self, const http::exchange_ptr& ex,
                      idempotency_home home,
                      std::function<void(responder)> work) {
  auto key = idempotency_key_of(ex->req());
  if (!key)
    return http::respond_error(*ex, key.error());
  if (!*key)
    return work([ex](http::response res) { ex->respond(std::move(res)); });
  const auto& env = *self->state.env;
  // Never checked here instead when the owner is away: that is how a retry
  // through another node would run twice.
  auto route = store_route(env, home);
  if (!route)
    return http::respond_error(*ex, route.error());
  auto scope = std::string{ex->req().method_string()} + " "
               + std::string{ex->path()} + "\n" + **key;
  auto hash = request_hash(ex->req());
  v1::HttpIdempotencyClaimRequest claim;
  claim.set_scope(scope);
  claim.set_lease_ms(
    static_cast<uint64_t>((home.timeout + env.opts.internal_timeout).count()));
  ask_store<v1::HttpIdempotencyClaimResponse>(
    self, *route, std::move(claim),
    [self, ex, route = *route, scope, hash,
     work = std::move(work)](const v1::HttpIdempotencyClaimResponse& resp) {
      on_claim(self, ex, route, scope, hash, resp, work);
    },
    [ex](caf::error err) {
      http::respond_error(
        *ex, bhttp::status::service_unavailable, "unavailable",
        "cannot check the Idempotency-Key: " + http::message_of(err));
    });
}

} // namespace bsm::http_handlers
