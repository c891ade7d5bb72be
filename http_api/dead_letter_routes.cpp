// GET, DELETE /v1/deadletters, POST /v1/deadletters/{id}/retry and DELETE
// /v1/deadletters/{id} (API.md, "Message injection"). This node's dead
// letters: the mailbox router hands the reads and deletes to its disk
// reader; a retry is a durable send that takes the letter out of the store
// in the append's own batch (mailbox.proto, SendRequest).

#include <caf/event_based_actor.hpp>

#include "actors/cluster_ingress.hpp"
#include "http_api/dead_letter_page.hpp"
#include "http_api/handlers.hpp"
#include "http_api/session_page.hpp"
#include "runtime/error.hpp"
#include "runtime/http/error_response.hpp"
#include "runtime/mailbox/dead_letters.hpp"

namespace bsm::http_handlers {

namespace bhttp = boost::beast::http;

namespace {

// Sends `req` to the mailbox router; `on_reply` answers the exchange.
template <class Request, class OnReply>
void ask_router(http_bridge_pointer self, ex_ptr ex, Request req,
                OnReply on_reply) {
  const auto& env = *self->state.env;
  auto router = env.names->get(mailbox_router_path);
  if (!router)
    return http::respond_error(
      *ex, make_error(errc::unavailable, "the mailboxes are restarting"));
  self
    ->request(caf::actor_cast<mailbox_router_actor>(*router),
              env.opts.internal_timeout, std::move(req))
    .then(std::move(on_reply),
          [ex](caf::error& err) { http::respond_error(*ex, err); });
}

// The mailbox the {id} names, once the caller may act on it (`<actor>`);
// nothing after answering 400 or 403.
std::optional<std::pair<std::string, uint64_t>>
authorized_id(http_bridge_pointer self, ex_ptr ex) {
  const auto& id = ex->param("id");
  auto parsed = mailbox::parse_dead_letter_id(id);
  if (!parsed) {
    http::respond_error(
      *ex, make_error(errc::invalid_argument,
                      "'" + id.substr(0, 300) + "' is not a dead letter id"));
    return std::nullopt;
  }
  if (!authorize_late(self, ex, {{"actor", parsed->first}}))
    return std::nullopt;
  return parsed;
}

// Appends the letter's envelope to its mailbox again, through the router.
void resend(http_bridge_pointer self, ex_ptr ex, v1::DeadLetterEntry& entry,
            const std::string& target, uint64_t seq) {
  auto& letter = *entry.mutable_letter();
  if (letter.reason() == v1::DEAD_LETTER_REASON_CORRUPT
      || letter.envelope().type_name().empty())
    return http::respond_error(
      *ex, make_error(errc::failed_precondition,
                      "dead letter '" + entry.id()
                        + "' is damaged and cannot be delivered"));
  v1::SendRequest req;
  *req.mutable_envelope() = std::move(*letter.mutable_envelope());
  // A local mailbox's envelopes leave their target to the mailbox: the
  // letter's id names it.
  if (req.envelope().target().empty())
    req.mutable_envelope()->set_target(target);
  req.set_retried_dead_letter(seq);
  ask_router(self, ex, std::move(req), [ex](v1::SendResponse& resp) {
    nlohmann::json body{{"message_id", resp.message_id()}, {"durable", true}};
    ex->respond(http::make_json_response(bhttp::status::accepted, body.dump()));
  });
}

} // namespace

void list_dead_letters(http_bridge_pointer self, ex_ptr ex) {
  auto limit = page_limit(ex->query_param("limit"), default_dead_letter_limit);
  if (!limit)
    return http::respond_error(*ex, limit.error());
  v1::DeadLetterListRequest req;
  req.set_target(ex->query_param("actor").value_or(""));
  req.set_limit(*limit);
  req.set_after(ex->query_param("after").value_or(""));
  ask_router(
    self, ex, std::move(req),
    [ex, node = self->state.env->node_name](v1::DeadLetterListResponse& list) {
      ex->respond(http::make_json_response(
        bhttp::status::ok, dead_letters_json(list, node).dump()));
    });
}

void retry_dead_letter(http_bridge_pointer self, ex_ptr ex) {
  auto id = authorized_id(self, ex);
  if (!id)
    return;
  v1::DeadLetterGetRequest req;
  req.set_id(ex->param("id"));
  ask_router(self, ex, std::move(req),
             [self, ex, id = *id](v1::DeadLetterEntry& entry) {
               resend(self, ex, entry, id.first, id.second);
             });
}

void delete_dead_letter(http_bridge_pointer self, ex_ptr ex) {
  if (!authorized_id(self, ex))
    return;
  v1::DeadLetterDeleteRequest req;
  req.set_id(ex->param("id"));
  ask_router(self, ex, std::move(req), [ex](v1::DeadLetterDeleteResponse&) {
    ex->respond(http::response{bhttp::status::no_content, 11});
  });
}

void purge_dead_letters(http_bridge_pointer self, ex_ptr ex) {
  auto actor = ex->query_param("actor");
  if (!actor || actor->empty())
    return http::respond_error(
      *ex, make_error(errc::invalid_argument,
                      "a purge needs ?actor=NAME (the mailbox to empty)"));
  if (!authorize_late(self, ex, {{"actor", *actor}}))
    return;
  v1::DeadLetterPurgeRequest req;
  req.set_target(*actor);
  ask_router(self, ex, std::move(req), [ex](v1::DeadLetterPurgeResponse& r) {
    nlohmann::json body{{"purged", r.purged()}};
    ex->respond(http::make_json_response(bhttp::status::ok, body.dump()));
  });
}

} // namespace bsm::http_handlers
