#include "runtime/cluster/redis_url.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

#include "runtime/error.hpp"

namespace bsm::cluster {

namespace {

constexpr std::string_view redis_scheme = "redis://";
constexpr std::string_view redis_form = "redis://host[:port][/db]";
constexpr int64_t max_port = 65'535;
constexpr int64_t max_db = 2'147'483'647;

constexpr bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

constexpr bool is_ipv6_char(char c) {
  return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
         || (c >= '0' && c <= '9') || c == ':' || c == '.';
}

// A name or IPv4 address, or an IPv6 address in brackets. No user info:
// a password does not belong in the config file.
bool valid_host(std::string_view x) {
  if (x.size() > 2 && x.front() == '[' && x.back() == ']')
    return std::all_of(x.begin() + 1, x.end() - 1, is_ipv6_char);
  return !x.empty() && std::all_of(x.begin(), x.end(), is_host_char);
}

// All of `x` as a decimal number in min..max.
std::optional<int64_t> parse_number(std::string_view x, int64_t min,
                                    int64_t max) {
  int64_t result = 0;
  const auto* last = x.data() + x.size();
  auto [end, ec] = std::from_chars(x.data(), last, result);
  if (x.empty() || x.front() == '-' || ec != std::errc{} || end != last
      || result < min || result > max)
    return std::nullopt;
  return result;
}

std::string quoted(std::string_view x) {
  return "'" + std::string{x} + "'";
}

std::string problem_in(std::string_view url, const std::string& what) {
  return what + ", expected " + std::string{redis_form} + ", got "
         + quoted(url);
}

std::string parse(std::string_view x, redis_url& out) {
  if (x.substr(0, redis_scheme.size()) != redis_scheme)
    return problem_in(x, "not a redis:// URL (rediss:// and other schemes "
                         "are not supported)");
  auto rest = x.substr(redis_scheme.size());
  auto slash = std::min(rest.find('/'), rest.size());
  auto authority = rest.substr(0, slash);
  // The last ':' outside brackets separates the port.
  auto colon = authority.rfind(':');
  if (colon != authority.npos && authority.find(']', colon) != authority.npos)
    colon = authority.npos;
  auto host = authority.substr(0, colon);
  if (!valid_host(host))
    return problem_in(x, "bad host " + quoted(host));
  redis_url result;
  result.host = host.front() == '[' ? host.substr(1, host.size() - 2) : host;
  if (colon != authority.npos) {
    auto port_text = authority.substr(colon + 1);
    auto port = parse_number(port_text, 1, max_port);
    if (!port)
      return problem_in(x, "port " + quoted(port_text)
                             + " is not a number in 1..65535");
    result.port = static_cast<uint16_t>(*port);
  }
  // "redis://h/" names no database: refused rather than guessed.
  if (slash < rest.size()) {
    auto db_text = rest.substr(slash + 1);
    auto db = parse_number(db_text, 0, max_db);
    if (!db)
      return problem_in(x, "database " + quoted(db_text)
                             + " is not a number in 0.."
                             + std::to_string(max_db));
    result.db = static_cast<int>(*db);
  }
  out = std::move(result);
  return {};
}

} // namespace

std::string redis_url_problem(std::string_view url) {
  redis_url ignored;
  return parse(url, ignored);
}

caf::expected<redis_url> parse_redis_url(std::string_view url) {
  redis_url result;
  if (auto problem = parse(url, result); !problem.empty())
    return make_error(errc::invalid_argument, "redis url: " + problem);
  return result;
}

std::string to_string(const redis_url& x) {
  auto port = std::to_string(x.port);
  if (x.host.find(':') != std::string::npos)
    return "[" + x.host + "]:" + port;
  return x.host + ":" + port;
}

} // namespace bsm::cluster
