#include "runtime/http/http_options.hpp"

#include <utility>

#include "runtime/config/config_fields.hpp"

namespace bsm {

namespace {

using namespace std::chrono_literals;

constexpr int64_t mib = int64_t{1} << 20;

config::maybe_problem check_http(const http_options& x) {
  if (auto p = config::check("http.listen", config::address_problem(x.listen)))
    return p;
  if (auto p = config::not_less("http.max_ask_timeout", x.max_ask_timeout,
                                "http.ask_timeout", x.ask_timeout))
    return p;
  for (const auto& origin : x.cors_allowed_origins)
    if (origin.empty())
      return config::problem{
        "http.cors_allowed_origins", "an origin is empty", {}};
  return std::nullopt;
}

} // namespace

const config::section<http_options>& http_section() {
  static const config::section<http_options> result{
    "http",
    {config::parsed("listen", &http_options::listen, config::parse_address),
     config::integer("io_threads", &http_options::io_threads, 1, 64),
     config::integer("max_connections", &http_options::max_connections, 1,
                     1'000'000),
     config::integer("max_header_bytes", &http_options::max_header_bytes, 1024,
                     mib),
     config::integer("max_uri_bytes", &http_options::max_uri_bytes, 256, mib),
     config::integer("max_body_bytes", &http_options::max_body_bytes, 1024,
                     256 * mib),
     config::integer("max_json_depth", &http_options::max_json_depth, 1, 1000),
     config::duration("read_timeout", &http_options::read_timeout, 1ms),
     config::duration("idle_timeout", &http_options::idle_timeout, 1ms),
     config::duration("drain_timeout", &http_options::drain_timeout, 1ms),
     config::duration("ask_timeout", &http_options::ask_timeout, 1ms),
     config::duration("max_ask_timeout", &http_options::max_ask_timeout),
     config::duration("send_timeout", &http_options::send_timeout, 1ms),
     config::duration("internal_timeout", &http_options::internal_timeout, 1ms),
     config::duration("readiness_timeout", &http_options::readiness_timeout,
                      1ms),
     config::sequence("cors_allowed_origins",
                      &http_options::cors_allowed_origins,
                      detail::assign<std::string>),
     config::duration("sse_heartbeat", &http_options::sse_heartbeat, 1ms),
     config::integer("sse_max_queued_bytes",
                     &http_options::sse_max_queued_bytes, 4096, 256 * mib)},
    check_http};
  return result;
}

} // namespace bsm
