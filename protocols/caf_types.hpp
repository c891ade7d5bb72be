#pragma once

// The one place that lists every bsm.v1 message type: CAF's type
// registration and the runtime's type registry both walk this list.

#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>

#include "bsm/v1/envelope.pb.h"
#include "bsm/v1/memory.pb.h"
#include "bsm/v1/runtime.pb.h"
#include "protocols/proto_inspect.hpp"

namespace bsm {

template <class... Ts>
struct type_list {};

/// Every message type of package bsm.v1. Add new types here.
using bsm_v1_types
  = type_list<v1::Envelope, v1::PingRequest, v1::PingResponse,
              v1::NodeInfoRequest, v1::NodeInfoResponse, v1::TreeRequest,
              v1::TreeResponse, v1::TreeNode, v1::SupervisionEvent>;

/// Calls `f(static_cast<T*>(nullptr))` for every type in the list.
template <class... Ts, class F>
void for_each_type(type_list<Ts...>, F&& f) {
  (f(static_cast<Ts*>(nullptr)), ...);
}

/// Registers every bsm.v1 type with CAF under its protobuf full name.
void add_message_types(caf::actor_system_config& cfg);

} // namespace bsm

namespace bsm::atom {

// Atoms of the runtime's internal messages (CAF 0.17 atoms: at most 10
// characters). Typed payloads are protobuf messages; atoms only tag timers
// and control messages that never leave the process.

/// A supervisor's timer: restart a group of children after their backoff.
using restart = caf::atom_constant<caf::atom("restart")>;
/// A supervisor's timer: a stopping child's shutdown timeout ran out.
using stop_timeout = caf::atom_constant<caf::atom("stoptmo")>;

} // namespace bsm::atom
