#include "runtime/http/http_options.hpp"

#include <utility>

#include "runtime/config/config_fields.hpp"
#include "runtime/http/tls_context.hpp"

namespace bsm {

namespace {

using namespace std::chrono_literals;

constexpr int64_t mib = int64_t{1} << 20;

// Both files or neither; with both, they must make a context now, so a
// bad file stops the start instead of every handshake.
config::maybe_problem tls_problem(const http_options& x) {
  if (x.tls_certificate.empty() != x.tls_key.empty())
    return config::problem{x.tls_key.empty() ? "http.tls_key"
                                             : "http.tls_certificate",
                           "http.tls_certificate and http.tls_key go together",
                           {}};
  if (x.tls_certificate.empty()) {
    if (!x.tls_client_ca.empty())
      return config::problem{
        "http.tls_client_ca",
        "needs http.tls_certificate and http.tls_key (client certificates "
        "are only asked for over TLS)",
        {}};
    return std::nullopt;
  }
  auto loaded = http::make_server_tls_context(tls_files_of(x));
  if (!loaded)
    return config::problem{loaded.failed_key, loaded.message, {}};
  return std::nullopt;
}

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
  return tls_problem(x);
}

} // namespace

http::tls_files tls_files_of(const http_options& x) {
  return {x.tls_certificate, x.tls_key, x.tls_client_ca};
}

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
                     &http_options::sse_max_queued_bytes, 4096, 256 * mib),
     config::parsed("tls_certificate", &http_options::tls_certificate,
                    detail::assign<std::filesystem::path>),
     config::parsed("tls_key", &http_options::tls_key,
                    detail::assign<std::filesystem::path>),
     config::parsed("tls_client_ca", &http_options::tls_client_ca,
                    detail::assign<std::filesystem::path>)},
    check_http};
  return result;
}

} // namespace bsm
