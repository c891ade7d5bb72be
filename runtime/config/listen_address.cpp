#include "runtime/config/listen_address.hpp"

#include <charconv>

#include <boost/asio/ip/address.hpp>
#include <optional>
#include <utility>

#include "runtime/config/yaml_reader.hpp"

namespace bsm {

namespace {

constexpr uint32_t max_port = 65'535;

// IPv6 hosts need brackets, else the port would be ambiguous.
std::optional<std::pair<std::string_view, std::string_view>>
split_host_port(std::string_view x) {
  if (!x.empty() && x.front() == '[') {
    auto close = x.find(']');
    if (close == x.npos || x.substr(close + 1, 1) != ":")
      return std::nullopt;
    return std::pair{x.substr(1, close - 1), x.substr(close + 2)};
  }
  auto colon = x.find(':');
  if (colon == x.npos || x.find(':', colon + 1) != x.npos)
    return std::nullopt;
  return std::pair{x.substr(0, colon), x.substr(colon + 1)};
}

} // namespace

std::string to_string(const listen_address& x) {
  auto port = std::to_string(x.port);
  if (x.host.find(':') != std::string::npos)
    return "[" + x.host + "]:" + port;
  return x.host + ":" + port;
}

namespace config {

std::string parse_address(std::string_view x, listen_address& out) {
  using detail::quote;
  auto parts = split_host_port(x);
  if (!parts || parts->first.empty() || parts->second.empty())
    return "expected host:port, got " + quote(x);
  auto [host, port_str] = *parts;
  const auto* last = port_str.data() + port_str.size();
  uint32_t port = 0;
  auto [end, ec] = std::from_chars(port_str.data(), last, port);
  if (ec == std::errc::invalid_argument || end != last)
    return "expected host:port, got " + quote(x);
  if (ec == std::errc::result_out_of_range || port > max_port)
    return "port " + detail::out_of_range(port_str, 0, max_port);
  out = listen_address{std::string{host}, static_cast<uint16_t>(port)};
  return {};
}

bool is_loopback(const listen_address& x) {
  if (x.host == "localhost")
    return true;
  boost::system::error_code ec;
  auto ip = boost::asio::ip::make_address(x.host, ec);
  if (ec)
    return false;
  if (ip.is_v6() && ip.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped,
                                            ip.to_v6())
      .is_loopback();
  return ip.is_loopback();
}

std::string address_problem(const listen_address& x) {
  return x.host.empty() ? "the host is empty" : "";
}

} // namespace config

} // namespace bsm
