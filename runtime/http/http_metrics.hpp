#pragma once

// The HTTP bridge's series (ECOSYSTEM.md, Prometheus): requests by route,
// method and status, latency by route in seconds, open connections.

#include "runtime/metrics/registry.hpp"

namespace bsm::http {

struct http_metrics {
  /// bsm_http_requests_total{route,method,status}; route is the matched
  /// pattern ("/v1/actors/{name}/messages") or "unmatched".
  metrics::family<metrics::counter>& requests;
  /// bsm_http_request_duration_seconds{route}: read to answer sent.
  metrics::family<metrics::histogram>& duration;
  /// bsm_http_open_connections.
  metrics::gauge& open_connections;
  /// bsm_http_connections_refused_total: over http.max_connections.
  metrics::counter& refused_connections;

  static http_metrics make(metrics::registry& reg);
};

} // namespace bsm::http
