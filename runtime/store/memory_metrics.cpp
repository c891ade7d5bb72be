#include "runtime/store/memory_metrics.hpp"

#include <utility>
#include <vector>

namespace bsm {

namespace {

using use_field = uint64_t memory_use::*;

struct gauge_spec {
  const char* name;
  const char* help;
  use_field field;
};

constexpr gauge_spec use_gauges[] = {
  {"bsm_store_block_cache_capacity_bytes",
   "Capacity of the block cache all column families share "
   "(store.memory_budget).",
   &memory_use::cache_capacity},
  {"bsm_store_block_cache_usage_bytes",
   "Bytes in the block cache: data, index and filter blocks and the "
   "memtables charged to it.",
   &memory_use::cache_usage},
  {"bsm_store_block_cache_pinned_bytes",
   "Bytes in the block cache that cannot be evicted now.",
   &memory_use::cache_pinned},
  {"bsm_store_memtable_bytes",
   "Memtables of all column families, including those not yet released.",
   &memory_use::memtables},
  {"bsm_store_table_readers_bytes",
   "Memory of table readers outside the block cache "
   "(rocksdb.estimate-table-readers-mem).",
   &memory_use::table_readers},
  {"bsm_process_resident_bytes",
   "Resident set of the process (/proc/self/statm).", &memory_use::resident},
};

} // namespace

void add_memory_metrics(metrics::registry& reg, const memory_watch& watch) {
  std::vector<std::pair<metrics::gauge*, use_field>> gauges;
  for (const auto& spec : use_gauges)
    gauges.emplace_back(&reg.gauge_family(spec.name, spec.help).with(),
                        spec.field);
  auto& budget
    = reg
        .gauge_family("bsm_memory_budget_bytes", "The node's memory budget "
                                                 "(store.memory_budget).")
        .with();
  auto& exhausted = reg
                      .gauge_family("bsm_memory_budget_exhausted",
                                    "1 while the memory budget is exhausted "
                                    "and new HTTP work is refused, else 0.")
                      .with();
  budget.set(static_cast<double>(watch.limits().budget));
  memory_refusals(reg);
  reg.add_collector([&watch, gauges, &exhausted] {
    auto now = watch.latest();
    for (const auto& [g, field] : gauges)
      g->set(static_cast<double>(now.use.*field));
    exhausted.set(now.exhausted.empty() ? 0.0 : 1.0);
  });
}

metrics::counter& memory_refusals(metrics::registry& reg) {
  return reg
    .counter_family("bsm_http_refused_memory_total",
                    "Requests refused with 503 because the memory budget was "
                    "exhausted.")
    .with();
}

} // namespace bsm
