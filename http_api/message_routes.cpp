// POST /v1/actors/{name}/messages (API.md, "Message injection").

#include <caf/event_based_actor.hpp>
#include <nlohmann/json.hpp>

#include "actors/cluster_ingress.hpp"
#include "actors/durable_send.hpp"
#include "actors/mailbox_router.hpp"
#include "http_api/caller_stamp.hpp"
#include "http_api/handlers.hpp"
#include "http_api/idempotency.hpp"
#include "http_api/internal_types.hpp"
#include "http_api/json_body.hpp"
#include "runtime/error.hpp"
#include "runtime/http/error_response.hpp"
#include "runtime/mailbox/message_id.hpp"

namespace bsm::http_handlers {

namespace bhttp = boost::beast::http;

namespace {

/// A message as the request describes it.
struct injection {
  std::string target;
  std::string type_name;
  /// Protobuf JSON mapping (JSON requests) or binary (x-protobuf).
  std::string payload;
  bool payload_is_json = true;
  bool ask = false;
  std::chrono::milliseconds timeout{0};
};

caf::error bad(std::string what) {
  return make_error(errc::invalid_argument, std::move(what));
}

caf::error parse_mode(const std::string& mode, injection& out) {
  if (mode == "tell" || mode.empty())
    out.ask = false;
  else if (mode == "ask")
    out.ask = true;
  else
    return bad("mode must be \"tell\" or \"ask\", got \"" + mode + "\"");
  return caf::none;
}

caf::error check_timeout(int64_t ms, const http_options& opts, injection& out) {
  if (ms <= 0 || ms > opts.max_ask_timeout.count())
    return bad("timeout_ms must be between 1 and "
               + std::to_string(opts.max_ask_timeout.count()));
  out.timeout = std::chrono::milliseconds{ms};
  return caf::none;
}

caf::error parse_json_body(const http::request& req, const http_options& opts,
                           injection& out) {
  auto doc = json_object_body(req, opts);
  if (!doc)
    return doc.error();
  for (const auto& [key, value] : doc->items()) {
    if (key == "type" && value.is_string()) {
      out.type_name = value.get<std::string>();
    } else if (key == "payload" && value.is_object()) {
      out.payload = value.dump();
    } else if (key == "mode" && value.is_string()) {
      if (auto err = parse_mode(value.get<std::string>(), out))
        return err;
    } else if (key == "timeout_ms" && value.is_number_integer()) {
      if (auto err = check_timeout(value.get<int64_t>(), opts, out))
        return err;
    } else if (key == "type" || key == "payload" || key == "mode"
               || key == "timeout_ms") {
      return bad("field '" + key + "' has the wrong type");
    } else {
      return bad("unknown field '" + key + "'");
    }
  }
  if (out.type_name.empty())
    return bad("field 'type' is missing");
  if (out.payload.empty())
    out.payload = "{}";
  return caf::none;
}

caf::error parse_binary_body(const http::request& req, const http_options& opts,
                             injection& out) {
  out.type_name = std::string{req["X-Bsm-Type"]};
  if (out.type_name.empty())
    return bad("a protobuf body needs the X-Bsm-Type header");
  if (auto err = parse_mode(std::string{req["X-Bsm-Mode"]}, out))
    return err;
  auto timeout = req["X-Bsm-Timeout-Ms"];
  if (!timeout.empty()) {
    int64_t ms = 0;
    for (char c : timeout) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || ms > 1'000'000'000)
        return bad("X-Bsm-Timeout-Ms must be a number of milliseconds");
      ms = ms * 10 + (c - '0');
    }
    if (auto err = check_timeout(ms, opts, out))
      return err;
  }
  out.payload = req.body();
  out.payload_is_json = false;
  return caf::none;
}

caf::expected<injection> parse_injection(const http::exchange& ex,
                                         const http_options& opts) {
  injection result;
  result.target = ex.param("name");
  result.timeout = opts.ask_timeout;
  auto type = media_type(ex.req());
  caf::error err;
  if (type == "application/json"
      || (type.size() > 5 && type.compare(type.size() - 5, 5, "+json") == 0))
    err = parse_json_body(ex.req(), opts, result);
  else if (type == "application/x-protobuf" || type == "application/protobuf")
    err = parse_binary_body(ex.req(), opts, result);
  else
    return make_error(errc::failed_precondition,
                      "send application/json or application/x-protobuf, not '"
                        + type + "'");
  if (err)
    return err;
  if (cluster_internal(result.type_name))
    return bad(result.type_name
               + " is sent between the nodes of a cluster only");
  return result;
}

// An unknown type is the caller's mistake here (400), not a missing thing.
caf::error as_bad_request(caf::error err) {
  if (is(err, errc::not_found))
    return bad(http::message_of(err));
  return err;
}

caf::expected<caf::message> decode(const type_registry& types,
                                   const injection& in) {
  auto msg = in.payload_is_json ? types.decode_json(in.type_name, in.payload)
                                : types.decode(in.type_name, in.payload);
  if (!msg)
    return as_bad_request(msg.error());
  return msg;
}

caf::expected<caf::actor> router_of(const http_bridge_env& env) {
  auto router = env.names->get(mailbox_router_path);
  if (!router)
    return make_error(errc::unavailable, "the mailboxes are restarting");
  return *router;
}

// The target's own mailbox if the router would send there too
// (actors/durable_send.hpp).
caf::actor local_mailbox(const http_bridge_env& env,
                         const v1::Envelope& envelope) {
  return direct_mailbox(env.mailboxes.get(), env.directory.get(), envelope);
}

/// Where a tell is sent: the target's mailbox, or the router.
enum class append_via { mailbox, router };

// Sends the SendRequest `req` to `dest`. A mailbox that stopped before it
// took the request never appended it: the router, which starts a new
// mailbox, gets it then.
void append(http_bridge_pointer self, const http::exchange_ptr& ex,
            const caf::actor& dest, append_via via, caf::message req,
            responder respond) {
  timed_request(self, self->state.deadlines, dest,
                self->state.env->opts.send_timeout, req)
    .then(
      [ex, respond](v1::SendResponse& resp) {
        nlohmann::json body{{"message_id", resp.message_id()},
                            {"durable", true}};
        respond(http::make_json_response(bhttp::status::accepted, body.dump()));
      },
      [self, ex, respond, req, via](caf::error& err) {
        if (via == append_via::mailbox
            && err == caf::sec::request_receiver_down) {
          auto router = router_of(*self->state.env);
          if (router)
            return append(self, ex, *router, append_via::router, req, respond);
          err = router.error();
        }
        respond(http::make_error_response(err, ex->request_id()));
      });
}

void tell(http_bridge_pointer self, const http::exchange_ptr& ex, injection in,
          responder respond) {
  const auto& env = *self->state.env;
  v1::SendRequest req;
  auto& envelope = *req.mutable_envelope();
  if (in.payload_is_json) {
    auto bytes = env.types->json_to_binary(in.type_name, in.payload);
    if (!bytes)
      return respond(http::make_error_response(as_bad_request(bytes.error()),
                                               ex->request_id()));
    envelope.set_payload(std::move(*bytes));
  } else {
    if (auto msg = decode(*env.types, in); !msg)
      return respond(http::make_error_response(msg.error(), ex->request_id()));
    envelope.set_payload(std::move(in.payload));
  }
  envelope.set_target(in.target);
  envelope.set_sender("http");
  envelope.set_type_name(in.type_name);
  if (auto key = idempotency_key_of(ex->req()); key && *key)
    envelope.set_idempotency_key(**key);
  if (auto box = local_mailbox(env, envelope)) {
    // What the router would check, but the payload: parsed above already.
    if (auto err = check_envelope(*env.types, env.max_envelope_bytes, envelope,
                                  payload_check::already_decoded))
      return respond(http::make_error_response(err, ex->request_id()));
    envelope.set_id(new_message_id());
    return append(self, ex, box, append_via::mailbox,
                  caf::make_message(std::move(req)), std::move(respond));
  }
  auto router = router_of(env);
  if (!router)
    return respond(http::make_error_response(router.error(), ex->request_id()));
  append(self, ex, *router, append_via::router,
         caf::make_message(std::move(req)), std::move(respond));
}

void ask(http_bridge_pointer self, const http::exchange_ptr& ex,
         const injection& in, caf::message msg, responder respond) {
  const auto& env = *self->state.env;
  auto types = env.types;
  // The target may live on another node: the ask goes there.
  ask_anywhere(
    self, env.call_env(), in.target, std::move(msg), in.timeout,
    [ex, respond, types](caf::message reply) {
      auto json = types->encode_json(reply);
      if (!json)
        return respond(
          http::make_error_response(json.error(), ex->request_id()));
      // The payload is already JSON: splice it in, no second parse.
      auto body = nlohmann::json{{"type", json->type_name}}.dump();
      body.pop_back();
      body += ",\"payload\":" + json->bytes + "}";
      respond(http::make_json_response(bhttp::status::ok, std::move(body)));
    },
    [ex, respond](caf::error err) {
      if (err == caf::sec::unexpected_response)
        err = make_error(errc::internal,
                         "the actor answered with a type that is not a "
                         "registered bsm.v1 message");
      respond(http::make_error_response(err, ex->request_id()));
    },
    &self->state.deadlines);
}

} // namespace

void post_message(http_bridge_pointer self, ex_ptr ex) {
  const auto& opts = self->state.env->opts;
  auto in = parse_injection(*ex, opts);
  if (!in) {
    if (is(in.error(), errc::failed_precondition))
      return http::respond_error(*ex, bhttp::status::unsupported_media_type,
                                 "unsupported_media_type",
                                 http::message_of(in.error()));
    return http::respond_error(*ex, in.error());
  }
  if (!authorize_late(self, ex, {{"type", in->type_name}}))
    return;
  // Tell and ask alike: a type the target declared it does not handle is
  // the caller's mistake now, not a dead letter later.
  if (auto err
      = self->state.env->names->check_handles(in->target, in->type_name))
    return http::respond_error(*ex, err);
  // A chat (or a turn's cancel) acts for the caller the front
  // authenticated, whatever the payload claims.
  if (auto err
      = stamp_caller(*ex, in->type_name, in->payload, in->payload_is_json))
    return http::respond_error(*ex, err);
  if (!in->ask)
    return with_idempotency(self, ex,
                            idempotency_home{{}, {}, opts.send_timeout},
                            [self, ex, in = std::move(*in)](responder r) {
                              tell(self, ex, in, std::move(r));
                            });
  // Decoded first: the owner of a memory request depends on its agent.
  auto msg = decode(*self->state.env->types, *in);
  if (!msg)
    return http::respond_error(*ex, msg.error());
  idempotency_home home{in->target, *msg, in->timeout};
  with_idempotency(self, ex, std::move(home),
                   [self, ex, in = std::move(*in), msg = std::move(*msg)](
                     responder r) { ask(self, ex, in, msg, std::move(r)); });
}

} // namespace bsm::http_handlers
