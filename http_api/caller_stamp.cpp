#include "http_api/caller_stamp.hpp"

#include <google/protobuf/util/json_util.h>

#include "runtime/error.hpp"
#include "runtime/security/principal.hpp"

namespace bsm::http_handlers {

namespace {

// Parses the payload as a `Request`, stamps it and writes it back.
template <class Request>
caf::error restamp(const http::exchange& ex, const std::string& type_name,
                   std::string& payload, bool payload_is_json) {
  namespace pb = google::protobuf::util;
  Request req;
  auto parsed = payload_is_json ? pb::JsonStringToMessage(payload, &req).ok()
                                : req.ParseFromString(payload);
  if (!parsed)
    return make_error(errc::invalid_argument,
                      "the payload is not a " + type_name);
  stamp_caller(ex, req);
  payload.clear();
  if (!payload_is_json)
    req.SerializeToString(&payload);
  else if (!pb::MessageToJsonString(req, &payload).ok())
    return make_error(errc::internal, "cannot write the " + type_name);
  return {};
}

} // namespace

v1::Principal caller_of(const http::exchange& ex) {
  v1::Principal caller;
  const auto& who = ex.principal();
  if (!who) {
    caller.set_name("anonymous");
    caller.set_kind("anonymous");
    return caller;
  }
  caller.set_name(who->name);
  caller.set_kind(who->kind);
  for (const auto& role : who->roles)
    caller.add_roles(role);
  for (const auto& grant : who->permissions.to_strings())
    caller.add_permissions(grant);
  return caller;
}

void stamp_caller(const http::exchange& ex, v1::ChatRequest& req) {
  // Only the mailbox that delivers a tell names its delivery.
  req.clear_delivery_id();
  *req.mutable_caller() = caller_of(ex);
}

void stamp_caller(const http::exchange& ex, v1::TurnCancelRequest& req) {
  *req.mutable_caller() = caller_of(ex);
}

caf::error stamp_caller(const http::exchange& ex, const std::string& type_name,
                        std::string& payload, bool payload_is_json) {
  if (type_name == "bsm.v1.ChatRequest")
    return restamp<v1::ChatRequest>(ex, type_name, payload, payload_is_json);
  if (type_name == "bsm.v1.TurnCancelRequest")
    return restamp<v1::TurnCancelRequest>(ex, type_name, payload,
                                          payload_is_json);
  return {};
}

} // namespace bsm::http_handlers
