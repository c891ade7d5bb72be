#include "runtime/messages/type_registry.hpp"

#include <algorithm>

#include <google/protobuf/util/json_util.h>

#include "runtime/error.hpp"

namespace bsm {

type_registry type_registry::with_bsm_v1_types() {
  type_registry result;
  for_each_type(bsm_v1_types{}, [&](auto* tag) {
    result.add<std::remove_pointer_t<decltype(tag)>>();
  });
  return result;
}

bool type_registry::contains(std::string_view type_name) const {
  return by_name_.count(std::string{type_name}) > 0;
}

std::vector<std::string> type_registry::names() const {
  std::vector<std::string> result;
  result.reserve(by_name_.size());
  for (const auto& kvp : by_name_)
    result.push_back(kvp.first);
  std::sort(result.begin(), result.end());
  return result;
}

caf::expected<caf::message>
type_registry::decode(std::string_view type_name,
                      std::string_view bytes) const {
  auto e = find(type_name);
  if (!e)
    return e.error();
  return (*e)->decode(bytes);
}

caf::expected<std::unique_ptr<google::protobuf::Message>>
type_registry::parse_json(std::string_view type_name,
                          std::string_view json) const {
  auto e = find(type_name);
  if (!e)
    return e.error();
  std::unique_ptr<google::protobuf::Message> msg{(*e)->prototype->New()};
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  auto st = google::protobuf::util::JsonStringToMessage(
    google::protobuf::StringPiece{json.data(), json.size()}, msg.get(), opts);
  if (!st.ok())
    return make_error(errc::invalid_argument, "payload is not a valid "
                                                + std::string{type_name} + ": "
                                                + std::string{st.message()});
  return msg;
}

caf::expected<caf::message>
type_registry::decode_json(std::string_view type_name,
                           std::string_view json) const {
  auto msg = parse_json(type_name, json);
  if (!msg)
    return msg.error();
  return (*find(type_name))->from_proto(**msg);
}

caf::expected<std::string>
type_registry::json_to_binary(std::string_view type_name,
                              std::string_view json) const {
  auto msg = parse_json(type_name, json);
  if (!msg)
    return msg.error();
  return (*msg)->SerializeAsString();
}

caf::expected<encoded_message>
type_registry::encode(const caf::message& msg) const {
  auto e = find(msg);
  if (!e)
    return e.error();
  const auto& proto = (*e)->view(msg);
  return encoded_message{proto.GetDescriptor()->full_name(),
                         proto.SerializeAsString()};
}

caf::expected<encoded_message>
type_registry::encode_json(const caf::message& msg) const {
  auto e = find(msg);
  if (!e)
    return e.error();
  const auto& proto = (*e)->view(msg);
  encoded_message result{proto.GetDescriptor()->full_name(), {}};
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  auto st
    = google::protobuf::util::MessageToJsonString(proto, &result.bytes, opts);
  if (!st.ok())
    return make_error(errc::internal, std::string{st.message()});
  return result;
}

caf::error type_registry::parse_error(const std::string& type_name) {
  return make_error(errc::invalid_argument,
                    "bytes do not parse as " + type_name);
}

void type_registry::add(const std::string& name, std::type_index type,
                        entry e) {
  by_name_[name] = std::move(e);
  name_by_type_.emplace(type, name);
}

caf::expected<const type_registry::entry*>
type_registry::find(std::string_view type_name) const {
  auto i = by_name_.find(std::string{type_name});
  if (i == by_name_.end())
    return make_error(errc::not_found,
                      "unknown message type '" + std::string{type_name} + "'");
  return &i->second;
}

caf::expected<const type_registry::entry*>
type_registry::find(const caf::message& msg) const {
  if (msg.size() != 1)
    return make_error(errc::invalid_argument,
                      "a typed message holds exactly one element, got "
                        + std::to_string(msg.size()));
  auto type = msg.type(0).second;
  if (type != nullptr) {
    auto i = name_by_type_.find(std::type_index{*type});
    if (i != name_by_type_.end())
      return &by_name_.at(i->second);
  }
  return make_error(errc::invalid_argument,
                    "message is not a registered protobuf type: "
                      + caf::to_string(msg));
}

} // namespace bsm
