#pragma once

// The tool host's memory of completed calls by idempotency key, so that a
// repeated call gets the recorded response without running again. The key
// is chosen by a model (a turn and its call id), so the memory is bounded:
// at most `max_calls` entries, the least recently recorded or answered
// forgotten first and counted. A forgotten call runs again when repeated;
// the tool ledger (store, TTL) still answers an agent's retried turn. Not
// thread-safe: one tool host at a time.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bsm/v1/agents.pb.h"
#include "runtime/containers/bounded_lru.hpp"
#include "runtime/metrics/registry.hpp"

namespace bsm {

/// Series bsm_tool_host_finished_calls and
/// bsm_tool_host_finished_calls_evictions_total; null members of a
/// default-built one are not updated.
struct finished_calls_metrics {
  metrics::gauge* calls = nullptr;
  metrics::counter* evictions = nullptr;

  /// Registers the families in `reg`.
  static finished_calls_metrics make(metrics::registry& reg);
};

class finished_calls {
public:
  /// Default bound: calls remembered per host incarnation.
  static constexpr size_t default_max_calls = 1024;

  /// REQUIRES: max_calls > 0.
  explicit finished_calls(size_t max_calls = default_max_calls,
                          finished_calls_metrics metrics = {});

  /// The recorded response of the call with `key`, if remembered; null for
  /// an empty key.
  const v1::ToolCallResponse* find(std::string_view key);

  /// Remembers `resp` for `key` (ignored when empty or already recorded:
  /// the first response stands).
  void record(std::string_view key, const v1::ToolCallResponse& resp);

  size_t size() const noexcept {
    return calls_.size();
  }

  uint64_t evictions() const noexcept {
    return calls_.evictions();
  }

private:
  void publish();

  bounded_lru<v1::ToolCallResponse> calls_;
  finished_calls_metrics metrics_;
  uint64_t published_evictions_ = 0;
};

} // namespace bsm
