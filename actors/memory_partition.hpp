#pragma once

// Memory is partitioned by agent: a request about agent X's memory or
// sessions is served by one node, wherever it arrives, so a write through
// one node is read through every other. The owner of X's partition is the
// owner of "agents/X" when X is a placed agent (its turns, which read and
// write that memory, run there), else rendezvous over the members on
// "memory/X" (directory::resolve_partition).
//
// The routing decision is made where a request to `memory` leaves the
// node that received it: remote_call (asks, non-durable tells) and the
// mailbox router (durable tells). The owner serves what arrives through its
// cluster port locally, so a request crosses at most one link.

#include <optional>
#include <string>
#include <string_view>

#include <caf/expected.hpp>
#include <caf/message.hpp>

#include "runtime/cluster/directory.hpp"

namespace bsm {

/// Where the memory actor is registered on every node.
inline constexpr const char* memory_path = "memory";

/// The agent whose memory partition a message to `target` belongs to: the
/// `agent` of a Memory* or Session* request addressed to `memory`;
/// nothing for other targets, other types (an EffectRequest stays with
/// its mailbox) and an empty agent (refused wherever it lands).
std::optional<std::string> memory_partition(std::string_view target,
                                            const caf::message& msg);

/// The same for an encoded message (an envelope's type name and payload).
/// Reads only field 1 of the payload; nothing if it does not parse.
std::optional<std::string> memory_partition(std::string_view target,
                                            std::string_view type_name,
                                            std::string_view payload);

/// True for the type names whose field 1 is the `agent` of a partition.
bool is_memory_partitioned_type(std::string_view type_name);

/// The node serving `agent`'s memory (see the file comment). Errors:
/// unavailable while this node is joining and the owner is hashed.
caf::expected<cluster::owner> memory_owner(const cluster::directory& dir,
                                           const std::string& agent);

/// The key whose replica set keeps `agent`'s memory ("agents/<agent>" or
/// "memory/<agent>"), when it has replicas: replication factor 2 or more
/// and a partition placed by hashing a stateful name. Nothing otherwise
/// (one copy, at its owner).
std::optional<std::string> replicated_partition(const cluster::directory& dir,
                                                const std::string& agent);

/// The node serving `agent`'s memory as `view` sees it (a decommission:
/// who owned it, who owns it next), whatever this node's role.
caf::expected<cluster::owner> memory_owner_as(const cluster::directory& dir,
                                              const std::string& agent,
                                              cluster::self_view view);

/// The owner of a request to `target`: its memory partition's owner when
/// `partition` is set, else `dir.resolve(target)`.
caf::expected<cluster::owner>
resolve_request(const cluster::directory& dir, const std::string& target,
                const std::optional<std::string>& partition);

} // namespace bsm
