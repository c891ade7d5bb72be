#pragma once

// Maps a full protobuf type name ("bsm.v1.PingRequest") to "bytes -> typed
// CAF message" and back. The HTTP bridge, mailbox replay and the cluster all
// decode through here, so one path turns outside bytes into typed messages.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <typeindex>
#include <unordered_map>
#include <vector>

#include <caf/behavior.hpp>
#include <caf/expected.hpp>
#include <caf/message.hpp>
#include <google/protobuf/message.h>

#include "protocols/caf_types.hpp"

namespace bsm {

/// A typed message in its outside form.
struct encoded_message {
  /// Full protobuf type name.
  std::string type_name;
  /// Protobuf binary encoding (or JSON, for the *_json functions).
  std::string bytes;
};

/// Thread-safety: fill it before sharing; afterwards all members are const
/// and safe to call from any thread.
class type_registry {
public:
  /// A registry that knows every type in `bsm_v1_types`.
  static type_registry with_bsm_v1_types();

  /// Registers `T` under its protobuf full name.
  template <class T>
  void add() {
    entry e;
    e.prototype = &T::default_instance();
    e.decode = [](std::string_view bytes) -> caf::expected<caf::message> {
      T msg;
      if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
        return parse_error(T::descriptor()->full_name());
      return caf::make_message(std::move(msg));
    };
    e.from_proto = [](const google::protobuf::Message& msg) {
      return caf::make_message(static_cast<const T&>(msg));
    };
    e.view = [](const caf::message& msg) -> const google::protobuf::Message& {
      return msg.get_as<T>(0);
    };
    add(T::descriptor()->full_name(), typeid(T), std::move(e));
  }

  /// True if `type_name` is registered.
  [[nodiscard]] bool contains(std::string_view type_name) const;

  /// The registered full type names, sorted.
  [[nodiscard]] std::vector<std::string> names() const;

  /// Parses protobuf bytes of `type_name` into a typed message.
  /// Errors: `not_found` for an unknown type, `invalid_argument` for bytes
  /// that do not parse as that type.
  [[nodiscard]] caf::expected<caf::message>
  decode(std::string_view type_name, std::string_view bytes) const;

  /// Parses the protobuf JSON mapping of `type_name`. Unknown fields are an
  /// error. Errors as for `decode`.
  [[nodiscard]] caf::expected<caf::message>
  decode_json(std::string_view type_name, std::string_view json) const;

  /// Parses the protobuf JSON mapping of `type_name` into its binary
  /// encoding (what an Envelope carries). Errors as for `decode_json`.
  [[nodiscard]] caf::expected<std::string>
  json_to_binary(std::string_view type_name, std::string_view json) const;

  /// Encodes a message holding exactly one registered type.
  /// Errors: `invalid_argument` for any other message.
  [[nodiscard]] caf::expected<encoded_message>
  encode(const caf::message& msg) const;

  /// Like `encode`, producing the protobuf JSON mapping.
  [[nodiscard]] caf::expected<encoded_message>
  encode_json(const caf::message& msg) const;

private:
  struct entry {
    const google::protobuf::Message* prototype = nullptr;
    std::function<caf::expected<caf::message>(std::string_view)> decode;
    std::function<caf::message(const google::protobuf::Message&)> from_proto;
    std::function<const google::protobuf::Message&(const caf::message&)> view;
  };

  static caf::error parse_error(const std::string& type_name);

  caf::expected<std::unique_ptr<google::protobuf::Message>>
  parse_json(std::string_view type_name, std::string_view json) const;

  void add(const std::string& name, std::type_index type, entry e);

  caf::expected<const entry*> find(std::string_view type_name) const;

  caf::expected<const entry*> find(const caf::message& msg) const;

  std::unordered_map<std::string, entry> by_name_;
  std::unordered_map<std::type_index, std::string> name_by_type_;
};

namespace detail {

template <class OnReply, class OnError>
struct reply_handlers {
  OnReply on_reply;
  OnError on_error;
};

template <class... Ts, class OnReply, class OnError>
caf::behavior any_reply(type_list<Ts...>, OnReply on_reply, OnError on_error) {
  // One case per type, hundreds of them: they share one copy of the
  // handlers (a copy each was hundreds of allocations per request).
  auto handlers = std::make_shared<reply_handlers<OnReply, OnError>>(
    reply_handlers<OnReply, OnError>{std::move(on_reply), std::move(on_error)});
  return caf::behavior{[handlers](Ts& x) {
                         handlers->on_reply(caf::make_message(std::move(x)));
                       }...,
                       [handlers](caf::error& err) {
                         handlers->on_error(err);
                       }};
}

} // namespace detail

/// A response handler for a request whose answer may be any registered
/// bsm.v1 type: `on_reply(caf::message)` gets the answer, `on_error` an
/// error (an answer of another type arrives as sec::unexpected_response).
/// Install with `self->add_multiplexed_response_handler(handle.id(), ...)`.
template <class OnReply, class OnError>
caf::behavior any_bsm_v1_reply(OnReply on_reply, OnError on_error) {
  return detail::any_reply(bsm_v1_types{}, std::move(on_reply),
                           std::move(on_error));
}

} // namespace bsm
