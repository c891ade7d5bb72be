#include "http_api/caller_stamp.hpp"

#include <google/protobuf/util/json_util.h>

#include "runtime/error.hpp"
#include "runtime/security/principal.hpp"

namespace bsm::http_handlers {

void stamp_caller(const http::exchange& ex, v1::ChatRequest& req) {
  // Only the mailbox that delivers a tell names its delivery.
  req.clear_delivery_id();
  auto& caller = *req.mutable_caller();
  caller.Clear();
  const auto& who = ex.principal();
  if (!who) {
    caller.set_name("anonymous");
    caller.set_kind("anonymous");
    return;
  }
  caller.set_name(who->name);
  caller.set_kind(who->kind);
  for (const auto& role : who->roles)
    caller.add_roles(role);
  for (const auto& grant : who->permissions.to_strings())
    caller.add_permissions(grant);
}

caf::error stamp_caller(const http::exchange& ex, std::string& payload,
                        bool payload_is_json) {
  namespace pb = google::protobuf::util;
  v1::ChatRequest req;
  if (payload_is_json) {
    if (!pb::JsonStringToMessage(payload, &req).ok())
      return make_error(errc::invalid_argument,
                        "the payload is not a bsm.v1.ChatRequest");
  } else if (!req.ParseFromString(payload)) {
    return make_error(errc::invalid_argument,
                      "the payload is not a bsm.v1.ChatRequest");
  }
  stamp_caller(ex, req);
  payload.clear();
  if (payload_is_json) {
    if (!pb::MessageToJsonString(req, &payload).ok())
      return make_error(errc::internal, "cannot write the ChatRequest");
  } else {
    req.SerializeToString(&payload);
  }
  return {};
}

} // namespace bsm::http_handlers
