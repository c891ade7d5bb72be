#pragma once

// A real redis-server for tests, started on a free loopback port without
// persistence, and the port helpers it needs.

#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/common/poll.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace bsm::test {

inline constexpr const char* redis_server_path = "/usr/bin/redis-server";

/// A loopback port nobody listens on right now (bind to port 0, then close).
inline uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0
      || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0)
      ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

inline bool accepts_connections(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  auto ok
    = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

/// A redis-server child without persistence, stopped by pid (SIGTERM, then
/// SIGKILL after 3s) and always reaped.
class redis_process {
public:
  /// Starts it and waits up to 5s until it accepts connections; returns
  /// null (and a reason in `why`) otherwise.
  static std::unique_ptr<redis_process> start(uint16_t port, std::string& why) {
    auto port_text = std::to_string(port);
    std::vector<std::string> args{
      redis_server_path, "--port", port_text,      "--bind", "127.0.0.1",
      "--save",          "",       "--appendonly", "no"};
    std::vector<char*> argv;
    for (auto& arg : args)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    auto rc = posix_spawn(&pid, redis_server_path, &actions, nullptr,
                          argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      why = "posix_spawn failed: " + std::to_string(rc);
      return nullptr;
    }
    std::unique_ptr<redis_process> result{new redis_process(pid)};
    bool exited = false;
    auto up = poll_until(
      [&] {
        int status = 0;
        exited = ::waitpid(pid, &status, WNOHANG) == pid;
        return exited || accepts_connections(port);
      },
      generous_deadline, std::chrono::milliseconds{10});
    if (up && !exited)
      return result;
    if (exited) {
      result->pid_ = -1;
      why = "redis-server exited at start (port " + port_text + " taken?)";
    } else {
      why = "redis-server did not accept connections";
    }
    return nullptr;
  }

  ~redis_process() {
    stop();
  }

  void stop() {
    if (pid_ < 0)
      return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    auto pid = pid_;
    auto reaped
      = poll_until([&] { return ::waitpid(pid, &status, WNOHANG) != 0; },
                   std::chrono::seconds{3}, std::chrono::milliseconds{5});
    if (!reaped) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }

private:
  explicit redis_process(pid_t pid) : pid_(pid) {
    // nop
  }

  pid_t pid_;
};

} // namespace bsm::test
