#include "actors/durable_send.hpp"

#include "actors/memory_partition.hpp"

namespace bsm {

caf::actor direct_mailbox(const local_mailboxes* mailboxes,
                          const cluster::directory* directory,
                          const v1::Envelope& envelope) {
  const auto& target = envelope.target();
  if (mailboxes == nullptr)
    return nullptr;
  if (directory != nullptr) {
    if (directory->placement_of(target))
      return nullptr;
    auto partition
      = memory_partition(target, envelope.type_name(), envelope.payload());
    if (partition) {
      auto owner = memory_owner(*directory, *partition);
      if (!owner || !owner->local)
        return nullptr;
    }
  }
  return caf::actor_cast<caf::actor>(mailboxes->find(target));
}

} // namespace bsm
