#pragma once

// A raw TCP peer for the cluster port tests: what a process that does not
// speak BASP (or not yet) can do to a node, and the files the tests write.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/common/poll.hpp"

namespace bsm::test {

/// A connected socket to 127.0.0.1:`port`, or -1.
inline int connect_to_loopback(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// Reads (and discards) from `fd` until the peer closes it; false if it is
/// still open after a generous deadline.
inline bool closed_by_peer(int fd) {
  return poll_until([fd] {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0)
      return false;
    char buf[4096];
    return ::recv(fd, buf, sizeof(buf), 0) <= 0;
  });
}

/// Writes `text` to `path`, making its directory.
inline void write_file(const std::filesystem::path& path,
                       const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out{path, std::ios::trunc};
  out << text;
}

} // namespace bsm::test
