#include "runtime/http/http_metrics.hpp"

namespace bsm::http {

void http_metrics::observe(const std::string& route, const std::string& method,
                           unsigned status, double seconds) {
  auto code = std::to_string(status);
  std::string key;
  key.reserve(route.size() + method.size() + code.size() + 2);
  key.append(route).append(1, '\0').append(method).append(1, '\0').append(code);
  series* s = nullptr;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = cache_.find(key);
    if (i == cache_.end())
      i = cache_
            .emplace(std::move(key),
                     series{&requests.with({route, method, code}),
                            &duration.with({route})})
            .first;
    s = &i->second;
  }
  s->requests->inc();
  s->duration->observe(seconds);
}

std::unique_ptr<http_metrics> http_metrics::make(metrics::registry& reg) {
  // From 100 µs (an answer from memory) to 30 s (a slow ask).
  std::vector<double> bounds{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                             0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                             1,      2.5,     5,      10,    30};
  return std::make_unique<http_metrics>(
    reg.counter_family("bsm_http_requests_total",
                       "HTTP requests answered, by route, method and status.",
                       {"route", "method", "status"}),
    reg.histogram_family("bsm_http_request_duration_seconds",
                         "Time from a request read to its answer sent.",
                         {"route"}, std::move(bounds)),
    reg.gauge_family("bsm_http_open_connections", "HTTP connections open now.")
      .with(),
    reg
      .counter_family("bsm_http_connections_refused_total",
                      "Connections closed at once because "
                      "http.max_connections were open.")
      .with());
}

} // namespace bsm::http
