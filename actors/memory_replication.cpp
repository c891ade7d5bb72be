#include "actors/memory_replication.hpp"

namespace bsm {

bool memory_replicas::enabled() const {
  return env.directory && env.directory->replication_factor() >= 2;
}

memory_replica_metrics memory_replica_metrics::make(metrics::registry& reg) {
  auto& changes = reg.counter_family(
    "bsm_memory_replica_changes_total",
    "Changes of a replicated agent's memory sent to its other copy, by "
    "outcome: applied, stale (the copy knew a later epoch: this node no "
    "longer acts for the agent), failed (no answer).",
    {"outcome"});
  auto& copies = reg.counter_family(
    "bsm_memory_replica_copies_total",
    "Whole states of an agent's memory copied: pulled from the other copy "
    "(it acted later) or pushed to it (it missed changes).",
    {"direction"});
  return memory_replica_metrics{
    &changes.with({"applied"}),
    &changes.with({"stale"}),
    &changes.with({"failed"}),
    &reg
       .counter_family("bsm_memory_replica_claims_total",
                       "Epochs this node claimed to act for an agent's "
                       "memory.")
       .with(),
    &copies.with({"pulled"}),
    &copies.with({"pushed"}),
    &reg
       .counter_family("bsm_memory_replica_refused_total",
                       "Changes and copies this node refused as a copy "
                       "because they came under an older epoch.")
       .with(),
  };
}

} // namespace bsm
