#include "runtime/cluster/cluster_options.hpp"

#include "runtime/cluster/cluster_tls_files.hpp"
#include "runtime/cluster/redis_url.hpp"
#include "runtime/config/config_fields.hpp"

namespace bsm {

namespace {

using namespace std::chrono_literals;
using detail::quote;

// Seeds stay strings, but each must be a valid host:port.
std::string parse_seed(std::string_view x, std::string& out) {
  listen_address ignored;
  auto problem = config::parse_address(x, ignored);
  if (problem.empty())
    out = std::string{x};
  return problem;
}

// Like a seed, but others must be able to connect to it. Empty means
// cluster.listen.
std::string parse_advertise(std::string_view x, std::string& out) {
  if (x.empty()) {
    out.clear();
    return {};
  }
  listen_address address;
  if (auto problem = config::parse_address(x, address); !problem.empty())
    return problem;
  if (address.port == 0)
    return "port 0 in " + quote(x)
           + " cannot be reached, expected the port others connect to";
  out = std::string{x};
  return {};
}

std::string membership_problem(std::string_view x) {
  if (x == "static")
    return {};
  if (x.substr(0, 8) != "redis://")
    return "expected 'static' or a redis:// URL, got " + quote(x);
  return cluster::redis_url_problem(x);
}

config::maybe_problem check_timing(const cluster_options& x) {
  if (auto p
      = config::greater("cluster.suspect_after", x.suspect_after,
                        "cluster.heartbeat_interval", x.heartbeat_interval))
    return p;
  if (auto p = config::greater("cluster.down_after", x.down_after,
                               "cluster.suspect_after", x.suspect_after))
    return p;
  return config::greater("cluster.membership_ttl", x.membership_ttl,
                         "cluster.heartbeat_interval", x.heartbeat_interval);
}

config::maybe_problem check_cluster(const cluster_options& x) {
  if (auto p
      = config::check("cluster.listen", config::address_problem(x.listen)))
    return p;
  std::string ignored;
  if (auto p = config::check("cluster.advertise",
                             parse_advertise(x.advertise, ignored)))
    return p;
  for (const auto& seed : x.seeds)
    if (auto p = config::check("cluster.seeds", parse_seed(seed, ignored)))
      return p;
  if (auto p
      = config::check("cluster.membership", membership_problem(x.membership)))
    return p;
  if (auto p = check_timing(x))
    return p;
  return cluster::check_tls_files(x.tls_certificate, x.tls_key, x.tls_ca);
}

} // namespace

bool has_peers(const cluster_options& x) {
  return !x.seeds.empty() || x.membership != "static";
}

bool tls_enabled(const cluster_options& x) {
  return !x.tls_certificate.empty() && !x.tls_key.empty() && !x.tls_ca.empty();
}

const config::section<cluster_options>& cluster_section() {
  static const config::section<cluster_options> result{
    "cluster",
    {config::parsed("listen", &cluster_options::listen, config::parse_address),
     config::parsed("advertise", &cluster_options::advertise, parse_advertise),
     config::sequence("seeds", &cluster_options::seeds, parse_seed),
     config::text("membership", &cluster_options::membership),
     config::duration("heartbeat_interval",
                      &cluster_options::heartbeat_interval, 50ms),
     config::duration("suspect_after", &cluster_options::suspect_after),
     config::duration("down_after", &cluster_options::down_after),
     config::duration("connect_timeout", &cluster_options::connect_timeout,
                      100ms),
     config::duration("membership_ttl", &cluster_options::membership_ttl),
     config::duration("append_timeout", &cluster_options::append_timeout, 1ms),
     config::integer("replication_factor", &cluster_options::replication_factor,
                     1, 2),
     config::integer("max_frame_bytes", &cluster_options::max_frame_bytes,
                     64 * 1024, int64_t{1} << 30),
     config::integer("max_handshake_bytes",
                     &cluster_options::max_handshake_bytes, 1024, 1 << 20),
     config::duration("handshake_timeout", &cluster_options::handshake_timeout,
                      100ms),
     config::integer("max_pending_handshakes",
                     &cluster_options::max_pending_handshakes, 1, 65536),
     config::text("tls_certificate", &cluster_options::tls_certificate),
     config::text("tls_key", &cluster_options::tls_key),
     config::text("tls_ca", &cluster_options::tls_ca)},
    check_cluster};
  return result;
}

} // namespace bsm
