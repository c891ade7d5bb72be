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
#include <caf/detail/behavior_impl.hpp>
#include <caf/expected.hpp>
#include <caf/message.hpp>
#include <caf/type_erased_tuple.hpp>
#include <caf/type_nr.hpp>
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

/// Moves the one value of a tuple whose type is known into a message.
using message_mover = caf::message (*)(void*);
using mover_table = std::unordered_map<std::type_index, message_mover>;

/// One mover per type of `Ts`, by type: built once.
template <class... Ts>
const mover_table& movers_of(type_list<Ts...>) {
  static const mover_table table{
    {std::type_index{typeid(Ts)}, [](void* x) {
       return caf::make_message(std::move(*static_cast<Ts*>(x)));
     }}...};
  return table;
}

// A response handler for an answer of any type a table moves: one lookup,
// where a match case per type meant hundreds of them built at every
// request and tried in turn at its answer (most of an ask's own cost).
template <class OnReply, class OnError>
class any_reply_impl final : public caf::detail::behavior_impl {
public:
  any_reply_impl(const mover_table& movers, OnReply on_reply,
                 OnError on_error)
    : movers_(movers),
      on_reply_(std::move(on_reply)),
      on_error_(std::move(on_error)) {}

  caf::match_case::result invoke(caf::detail::invoke_result_visitor& f,
                                 caf::type_erased_tuple& xs) override {
    if (xs.size() != 1)
      return caf::match_case::no_match;
    auto [nr, info] = xs.type(0);
    if (nr == caf::type_nr<caf::error>::value) {
      auto err = xs.move_if_unshared<caf::error>(0);
      on_error_(err);
    } else {
      if (nr != 0 || info == nullptr)
        return caf::match_case::no_match;
      auto mover = movers_.find(std::type_index{*info});
      if (mover == movers_.end())
        return caf::match_case::no_match; // CAF answers unexpected_response
      on_reply_(xs.shared() ? caf::message::copy(xs)
                            : mover->second(xs.get_mutable(0)));
    }
    caf::unit_t done;
    return f.visit(done) ? caf::match_case::match : caf::match_case::skip;
  }

private:
  const mover_table& movers_;
  OnReply on_reply_;
  OnError on_error_;
};

template <class... Ts, class OnReply, class OnError>
caf::behavior any_reply(type_list<Ts...> types, OnReply on_reply,
                        OnError on_error) {
  caf::intrusive_ptr<caf::detail::behavior_impl> impl
    = caf::make_counted<any_reply_impl<OnReply, OnError>>(
      movers_of(types), std::move(on_reply), std::move(on_error));
  caf::behavior result;
  result.assign(std::move(impl));
  return result;
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
