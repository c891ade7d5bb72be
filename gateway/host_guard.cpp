#include "gateway/host_guard.hpp"

#include <algorithm>
#include <cctype>

namespace bsm::gateway {

namespace {

bool listed(const std::vector<std::string>& names, const std::string& x) {
  return std::find(names.begin(), names.end(), x) != names.end();
}

} // namespace

std::vector<std::string>
allowed_hosts(const std::vector<std::string>& configured,
              bool listens_on_loopback) {
  if (!configured.empty()) {
    std::vector<std::string> result;
    for (const auto& x : configured)
      result.push_back(host_name(x));
    return result;
  }
  if (listens_on_loopback)
    return {"localhost", "127.0.0.1", "[::1]"};
  return {};
}

std::string host_name(std::string_view authority) {
  std::string name;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    name = std::string{authority.substr(
      0, close == std::string_view::npos ? authority.size() : close + 1)};
  } else {
    name = std::string{authority.substr(0, authority.find(':'))};
  }
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return name;
}

std::string refused_host(std::string_view host, std::string_view origin,
                         const std::vector<std::string>& allowed,
                         const std::vector<std::string>& origins) {
  if (allowed.empty())
    return {};
  if (!listed(allowed, host_name(host)))
    return "the Host '" + std::string{host}
           + "' is not one this node serves /mcp to (mcp.allowed_hosts)";
  if (origin.empty() || listed(origins, std::string{origin}))
    return {};
  auto scheme_end = origin.find("://");
  auto authority = scheme_end == std::string_view::npos
                     ? std::string_view{}
                     : origin.substr(scheme_end + 3);
  if (scheme_end == std::string_view::npos
      || !listed(allowed, host_name(authority)))
    return "the Origin '" + std::string{origin}
           + "' is not allowed to use /mcp (mcp.allowed_hosts, "
             "http.cors_allowed_origins)";
  return {};
}

} // namespace bsm::gateway
