#include "http_api/idempotency.hpp"

#include <openssl/sha.h>

#include <caf/event_based_actor.hpp>

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

// Stores the first answer, then sends it; the key is free again after.
responder storing_responder(http_bridge_pointer self,
                            const http::exchange_ptr& ex, std::string scope,
                            std::string hash) {
  return [self, ex, scope = std::move(scope),
          hash = std::move(hash)](http::response res) {
    auto done = [self, ex, scope](http::response answer) {
      self->state.in_flight_keys.erase(scope);
      ex->respond(std::move(answer));
    };
    if (!storable(res.result_int()))
      return done(std::move(res));
    v1::HttpIdempotencyPutRequest put;
    put.set_scope(scope);
    auto& record = *put.mutable_record();
    record.set_request_hash(hash);
    record.set_status(res.result_int());
    record.set_content_type(std::string{res[bhttp::field::content_type]});
    record.set_body(res.body());
    auto shared = std::make_shared<http::response>(std::move(res));
    timed_request(self, self->state.deadlines, self->state.idempotency,
                  self->state.env->opts.internal_timeout, std::move(put))
      .then([done, shared](
              v1::HttpIdempotencyPutResponse&) { done(std::move(*shared)); },
            [self, done, shared, scope](caf::error& err) {
              // The effect happened; a retry is still deduplicated by the
              // mailbox's own key.
              self->state.env->log->warn(
                "http: cannot store the answer for idempotency scope '{}': {}",
                scope, render(err));
              done(std::move(*shared));
            });
  };
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
                      std::function<void(responder)> work) {
  auto key = idempotency_key_of(ex->req());
  if (!key)
    return http::respond_error(*ex, key.error());
  if (!*key)
    return work([ex](http::response res) { ex->respond(std::move(res)); });
  auto scope = std::string{ex->req().method_string()} + " "
               + std::string{ex->path()} + "\n" + **key;
  auto& in_flight = self->state.in_flight_keys;
  if (in_flight.count(scope) > 0)
    return http::respond_error(*ex, bhttp::status::conflict, "conflict",
                               "a request with this Idempotency-Key is still "
                               "in flight");
  auto hash = request_hash(ex->req());
  in_flight.emplace(scope);
  v1::HttpIdempotencyGetRequest get;
  get.set_scope(scope);
  timed_request(self, self->state.deadlines, self->state.idempotency,
                self->state.env->opts.internal_timeout, std::move(get))
    .then(
      [self, ex, scope, hash, work](v1::HttpIdempotencyGetResponse& resp) {
        if (!resp.found())
          return work(storing_responder(self, ex, scope, hash));
        self->state.in_flight_keys.erase(scope);
        if (resp.record().request_hash() != hash)
          return http::respond_error(
            *ex, bhttp::status::unprocessable_entity,
            "idempotency_key_mismatch",
            "this Idempotency-Key was used with another request");
        ex->respond(replay(resp.record()));
      },
      [self, ex, scope](caf::error& err) {
        self->state.in_flight_keys.erase(scope);
        http::respond_error(
          *ex, bhttp::status::service_unavailable, "unavailable",
          "cannot check the Idempotency-Key: " + http::message_of(err));
      });
}

} // namespace bsm::http_handlers
