#pragma once

// The message types a typed actor handles, read from its interface: the
// protobuf full names ("bsm.v1.PingRequest") of every handler that takes
// one protobuf message. Whoever registers an actor by name declares them
// from the same interface it spawns (child_spec::handles), so the list
// cannot drift from the code; GET /v1/actors shows it and a tell of
// another type is refused at send.

#include <string>
#include <type_traits>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <google/protobuf/message.h>

namespace bsm {

namespace detail {

template <class Signature>
struct handled_type {
  static void add(std::vector<std::string>&) {}
};

template <class Input, class Output>
struct handled_type<caf::typed_mpi<caf::detail::type_list<Input>, Output>> {
  static void add(std::vector<std::string>& out) {
    if constexpr (std::is_base_of_v<google::protobuf::Message, Input>) {
      auto name = Input::descriptor()->full_name();
      for (const auto& x : out)
        if (x == name)
          return;
      out.push_back(std::move(name));
    }
  }
};

template <class... Signatures>
std::vector<std::string>
handled_types_of(caf::detail::type_list<Signatures...>) {
  std::vector<std::string> result;
  (handled_type<Signatures>::add(result), ...);
  return result;
}

} // namespace detail

/// The protobuf types `Handle` (a caf::typed_actor) takes as a message of
/// their own, in interface order, each once.
template <class Handle>
std::vector<std::string> handled_types() {
  return detail::handled_types_of(typename Handle::signatures{});
}

} // namespace bsm
