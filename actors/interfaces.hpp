#pragma once

// Every typed actor interface of the hub, one comment line per handler.

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "protocols/caf_types.hpp"

namespace bsm {

/// Answers liveness probes and describes the node.
using node_info_actor = caf::typed_actor<
  /// Echoes the sequence and payload, adding the node name.
  caf::replies_to<v1::PingRequest>::with<v1::PingResponse>,
  /// Reports node name, version and uptime.
  caf::replies_to<v1::NodeInfoRequest>::with<v1::NodeInfoResponse>>;

/// Per-agent key/value memory and per-session conversation history.
using memory_actor = caf::typed_actor<
  /// Stores a value under a key.
  caf::replies_to<v1::MemoryPutRequest>::with<v1::MemoryPutResponse>,
  /// Reads a value.
  caf::replies_to<v1::MemoryGetRequest>::with<v1::MemoryGetResponse>,
  /// Deletes a key.
  caf::replies_to<v1::MemoryDeleteRequest>::with<v1::MemoryDeleteResponse>,
  /// Lists keys by prefix, a page at a time.
  caf::replies_to<v1::MemoryListRequest>::with<v1::MemoryListResponse>,
  /// Appends a turn to a session.
  caf::replies_to<v1::SessionAppendRequest>::with<v1::SessionAppendResponse>,
  /// Reads the last turns of a session, a page at a time.
  caf::replies_to<v1::SessionReadRequest>::with<v1::SessionReadResponse>>;

} // namespace bsm
