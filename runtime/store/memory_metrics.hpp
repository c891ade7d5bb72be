#pragma once

// The memory budget's metrics: what the latest sample of a memory_watch
// says, published at each scrape (the collector copies the sample; it
// never samples itself), and the count of requests it refused.

#include "runtime/metrics/registry.hpp"
#include "runtime/store/memory_watch.hpp"

namespace bsm {

/// Registers the gauges of `watch`'s samples in `reg`. `watch` must outlive
/// `reg`'s scrapes.
void add_memory_metrics(metrics::registry& reg, const memory_watch& watch);

/// bsm_http_refused_memory_total: new work refused with 503 because the
/// budget was exhausted.
metrics::counter& memory_refusals(metrics::registry& reg);

} // namespace bsm
