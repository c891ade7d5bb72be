#include "node/listen_probe.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace bsm {

namespace net = boost::asio;

std::string bind_problem(const listen_address& address) {
  net::io_context ioc;
  net::ip::tcp::acceptor probe{ioc};
  boost::system::error_code ec;
  auto host = address.host == "localhost" ? "127.0.0.1" : address.host;
  auto ip = net::ip::make_address(host, ec);
  if (ec)
    return ec.message();
  net::ip::tcp::endpoint endpoint{ip, address.port};
  probe.open(endpoint.protocol(), ec);
  // As the listeners do: a port in TIME_WAIT is no conflict.
  if (!ec)
    probe.set_option(net::socket_base::reuse_address{true}, ec);
  if (!ec)
    probe.bind(endpoint, ec);
  if (!ec)
    probe.listen(1, ec);
  return ec ? ec.message() : std::string{};
}

} // namespace bsm
