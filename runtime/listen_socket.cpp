#include "runtime/listen_socket.hpp"

#include <boost/asio/io_context.hpp>

namespace bsm {

namespace net = boost::asio;

boost::system::error_code open_listener(net::ip::tcp::acceptor& acceptor,
                                        const listen_address& address) {
  boost::system::error_code ec;
  auto host = address.host == "localhost" ? "127.0.0.1" : address.host;
  auto ip = net::ip::make_address(host, ec);
  if (ec)
    return ec;
  net::ip::tcp::endpoint endpoint{ip, address.port};
  acceptor.open(endpoint.protocol(), ec);
  if (!ec)
    acceptor.set_option(net::socket_base::reuse_address{true}, ec);
  if (!ec)
    acceptor.bind(endpoint, ec);
  if (!ec)
    acceptor.listen(net::socket_base::max_listen_connections, ec);
  return ec;
}

std::string bind_problem(const listen_address& address) {
  net::io_context ioc;
  net::ip::tcp::acceptor probe{ioc};
  auto ec = open_listener(probe, address);
  return ec ? ec.message() : std::string{};
}

} // namespace bsm
