#pragma once

// The HTTP bridge's series (ECOSYSTEM.md, Prometheus): requests by route,
// method and status, latency by route in seconds, open connections.

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "runtime/metrics/registry.hpp"

namespace bsm::http {

struct http_metrics {
  http_metrics(metrics::family<metrics::counter>& requests_family,
               metrics::family<metrics::histogram>& duration_family,
               metrics::gauge& open, metrics::counter& refused)
    : requests(requests_family), duration(duration_family),
      open_connections(open), refused_connections(refused) {}

  /// bsm_http_requests_total{route,method,status}; route is the matched
  /// pattern ("/v1/actors/{name}/messages") or "unmatched".
  metrics::family<metrics::counter>& requests;
  /// bsm_http_request_duration_seconds{route}: read to answer sent.
  metrics::family<metrics::histogram>& duration;
  /// bsm_http_open_connections.
  metrics::gauge& open_connections;
  /// bsm_http_connections_refused_total: over http.max_connections.
  metrics::counter& refused_connections;

  /// Counts one answered request. Thread-safe; looks its series up in a
  /// small cache instead of building label vectors per request.
  void observe(const std::string& route, const std::string& method,
               unsigned status, double seconds);

  static std::unique_ptr<http_metrics> make(metrics::registry& reg);

private:
  struct series {
    metrics::counter* requests;
    metrics::histogram* duration;
  };
  std::mutex mtx_;
  std::unordered_map<std::string, series> cache_;
};

} // namespace bsm::http
