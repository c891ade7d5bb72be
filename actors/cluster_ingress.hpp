#pragma once

// What the cluster port serves to other processes: durable sends, forwarded
// to whichever incarnation of the mailbox router is registered, so a
// restart of the router never invalidates the handle other processes hold.
// Stateless; the node owns it for its whole life.

#include <memory>

#include "actors/interfaces.hpp"
#include "runtime/naming/name_registry.hpp"

namespace bsm {

/// Path under which the router is registered.
inline constexpr const char* mailbox_router_path = "mailboxes";

mailbox_router_actor::behavior_type
cluster_ingress(mailbox_router_actor::pointer self,
                std::shared_ptr<name_registry> names);

} // namespace bsm
