#include "agents/tools/finished_calls.hpp"

namespace bsm {

finished_calls_metrics finished_calls_metrics::make(metrics::registry& reg) {
  return finished_calls_metrics{
    &reg
       .gauge_family("bsm_tool_host_finished_calls",
                     "Completed tool calls the tool host remembers by "
                     "idempotency key (at most 1,024).")
       .with(),
    &reg
       .counter_family("bsm_tool_host_finished_calls_evictions_total",
                       "Completed tool calls forgotten to keep the bound; "
                       "a repeated one runs again.")
       .with(),
  };
}

finished_calls::finished_calls(size_t max_calls, finished_calls_metrics metrics)
  : calls_(max_calls), metrics_(metrics) {
  publish();
}

const v1::ToolCallResponse* finished_calls::find(std::string_view key) {
  if (key.empty())
    return nullptr;
  return calls_.find(key);
}

void finished_calls::record(std::string_view key,
                            const v1::ToolCallResponse& resp) {
  if (key.empty() || calls_.peek(key) != nullptr)
    return;
  calls_.put(key, resp, resp.ByteSizeLong());
  publish();
}

void finished_calls::publish() {
  if (metrics_.calls)
    metrics_.calls->set(static_cast<double>(calls_.size()));
  if (metrics_.evictions) {
    metrics_.evictions->inc(calls_.evictions() - published_evictions_);
    published_evictions_ = calls_.evictions();
  }
}

} // namespace bsm
