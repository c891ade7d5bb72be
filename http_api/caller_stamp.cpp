#include "http_api/caller_stamp.hpp"

#include <memory>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>

#include "runtime/error.hpp"
#include "runtime/security/principal.hpp"

namespace bsm::http_handlers {

namespace {

namespace pb = google::protobuf;

// The message's `caller` field, if it has one of type Principal.
const pb::FieldDescriptor* caller_field(const pb::Descriptor& type) {
  const auto* field = type.FindFieldByName("caller");
  if (field == nullptr || field->is_repeated()
      || field->message_type() != v1::Principal::descriptor())
    return nullptr;
  return field;
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

void stamp_caller(const http::exchange& ex, pb::Message& req) {
  const auto* field = caller_field(*req.GetDescriptor());
  if (field == nullptr)
    return;
  const auto* refl = req.GetReflection();
  refl->MutableMessage(&req, field)->CopyFrom(caller_of(ex));
  // Only the mailbox that delivers a tell names its delivery (ChatRequest).
  if (const auto* delivery
      = req.GetDescriptor()->FindFieldByName("delivery_id"))
    refl->ClearField(&req, delivery);
}

caf::error stamp_caller(const http::exchange& ex, const std::string& type_name,
                        std::string& payload, bool payload_is_json) {
  const auto* type
    = pb::DescriptorPool::generated_pool()->FindMessageTypeByName(type_name);
  if (type == nullptr || caller_field(*type) == nullptr)
    return {};
  std::unique_ptr<pb::Message> req{
    pb::MessageFactory::generated_factory()->GetPrototype(type)->New()};
  auto parsed = payload_is_json
                  ? pb::util::JsonStringToMessage(payload, req.get()).ok()
                  : req->ParseFromString(payload);
  if (!parsed)
    return make_error(errc::invalid_argument,
                      "the payload is not a " + type_name);
  stamp_caller(ex, *req);
  payload.clear();
  if (!payload_is_json)
    req->SerializeToString(&payload);
  else if (!pb::util::MessageToJsonString(*req, &payload).ok())
    return make_error(errc::internal, "cannot write the " + type_name);
  return {};
}

} // namespace bsm::http_handlers
