#pragma once

// Makes every generated bsm.v1 protobuf message a CAF message type: one
// generic `inspect` found by ADL serialises a message as its protobuf bytes,
// so handlers take `const bsm::v1::X&` and the same bytes go to disk and wire.

#include <string>
#include <type_traits>

#include <caf/detail/stringification_inspector.hpp>
#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/sec.hpp>
#include <google/protobuf/message.h>

namespace bsm::detail {

template <class T>
constexpr bool is_proto_message_v
  = std::is_base_of_v<google::protobuf::Message, T>;

template <class Inspector>
constexpr bool is_stringification_v
  = std::is_same_v<Inspector, caf::detail::stringification_inspector>;

/// Serialises (or, for a loading inspector, parses) `x` as protobuf bytes.
/// Corrupt bytes yield `sec::invalid_argument`, never a crash.
template <class Inspector, class T>
typename Inspector::result_type inspect_proto(Inspector& f, T& x) {
  const auto& name = T::descriptor()->full_name();
  if constexpr (is_stringification_v<Inspector>) {
    auto text = x.ShortDebugString();
    return f(caf::meta::type_name(name.c_str()), text);
  } else if constexpr (Inspector::reads_state) {
    auto bytes = x.SerializeAsString();
    return f(caf::meta::type_name(name.c_str()), bytes);
  } else {
    std::string bytes;
    auto parse = [&]() -> caf::error {
      if (!x.ParseFromString(bytes))
        return caf::make_error(caf::sec::invalid_argument,
                               "corrupt protobuf bytes for " + name);
      return caf::none;
    };
    return f(caf::meta::type_name(name.c_str()), bytes,
             caf::meta::load_callback(parse));
  }
}

} // namespace bsm::detail

namespace bsm::v1 {

template <class Inspector, class T>
std::enable_if_t<bsm::detail::is_proto_message_v<T>,
                 typename Inspector::result_type>
inspect(Inspector& f, T& x) {
  return bsm::detail::inspect_proto(f, x);
}

} // namespace bsm::v1

namespace bsm::v1 {

/// Equality for CAF's type-erased values (protobuf defines none).
template <class T>
std::enable_if_t<bsm::detail::is_proto_message_v<T>, bool>
operator==(const T& x, const T& y) {
  return x.SerializeAsString() == y.SerializeAsString();
}

} // namespace bsm::v1
