#include "agents/mcp/stdio_transport.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <poll.h>
#include <unistd.h>

#include "runtime/error.hpp"
#include "runtime/sigpipe_guard.hpp"

namespace bsm::mcp {

namespace {

using namespace std::chrono_literals;

constexpr size_t read_chunk = 64 * 1024;
/// Bytes read per wake-up before lines are handled, so one flood cannot
/// grow the buffer without bound between checks of the line limit.
constexpr size_t max_read_per_wakeup = 1 << 20;

std::string excerpt(std::string_view x) {
  constexpr size_t max = 200;
  return x.size() <= max ? std::string{x}
                         : std::string{x.substr(0, max)} + "...";
}

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
    deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::clamp<int64_t>(left.count(), 0, 60'000));
}

} // namespace

stdio_transport::stdio_transport(std::unique_ptr<child_process> proc,
                                 size_t max_line_bytes)
  : proc_(std::move(proc)), max_line_bytes_(max_line_bytes) {
  // nop
}

stdio_transport::~stdio_transport() {
  if (!closed_)
    close(2s);
}

std::string stdio_transport::close(std::chrono::milliseconds grace) {
  closed_with_ = proc_->terminate(grace);
  closed_ = true;
  if (!broken_)
    broken_ = make_error(errc::unavailable, "MCP client shut down");
  return to_string(closed_with_);
}

caf::error stdio_transport::send(const std::string& message,
                                 clock::time_point deadline) {
  if (broken_)
    return broken_;
  if (proc_->stdin_fd() < 0)
    return fail(make_error(errc::unavailable, "MCP server's stdin is closed"));
  auto line = message + '\n';
  sigpipe_guard guard;
  size_t written = 0;
  while (written < line.size()) {
    auto n = ::write(proc_->stdin_fd(), line.data() + written,
                     line.size() - written);
    if (n > 0) {
      written += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno != EAGAIN)
      return gone();
    if (clock::now() >= deadline) {
      if (written == 0)
        return make_error(errc::deadline_exceeded,
                          "MCP server did not read its stdin in time");
      // Half a message in the pipe: nothing after it would parse.
      return fail(make_error(errc::unavailable,
                             "MCP server stopped reading mid-message"));
    }
    // While its stdin is full, keep reading its stdout: a server blocked on
    // writing would never read on.
    pollfd fds[2]
      = {{proc_->stdin_fd(), POLLOUT, 0}, {proc_->stdout_fd(), POLLIN, 0}};
    if (::poll(fds, 2, remaining_ms(deadline)) < 0 && errno != EINTR)
      return fail(
        make_error(errc::internal, "poll: " + std::string{strerror(errno)}));
    if ((fds[0].revents & (POLLERR | POLLHUP)) != 0)
      return gone();
    if ((fds[1].revents & (POLLIN | POLLHUP)) != 0)
      if (auto err = read_some(0))
        return err;
  }
  return caf::none;
}

caf::expected<std::optional<std::string>>
stdio_transport::receive(clock::time_point deadline) {
  for (;;) {
    if (auto line = next_line())
      return line;
    if (broken_)
      return broken_;
    if (clock::now() >= deadline) {
      // A last look without waiting: what is in the pipe counts.
      auto before = in_.size();
      if (auto err = read_some(0))
        return err;
      if (in_.size() == before)
        return std::optional<std::string>{};
      continue;
    }
    if (auto err = read_some(remaining_ms(deadline)))
      return err;
  }
}

caf::error stdio_transport::read_some(int timeout_ms) {
  pollfd fd{proc_->stdout_fd(), POLLIN, 0};
  auto rc = ::poll(&fd, 1, timeout_ms);
  if (rc < 0 && errno != EINTR)
    return fail(
      make_error(errc::internal, "poll: " + std::string{strerror(errno)}));
  if (rc <= 0)
    return caf::none;
  size_t total = 0;
  while (total < max_read_per_wakeup) {
    auto old = in_.size();
    in_.resize(old + read_chunk);
    auto n = ::read(proc_->stdout_fd(), in_.data() + old, read_chunk);
    in_.resize(old + static_cast<size_t>(std::max<ssize_t>(n, 0)));
    if (n > 0) {
      total += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return caf::none;
    // EOF or a read error. Lines that arrived before it are still handled
    // (a reply, then an exit).
    if (in_.find('\n', scanned_) != std::string::npos)
      return caf::none;
    return gone();
  }
  return caf::none;
}

std::optional<std::string> stdio_transport::next_line() {
  for (;;) {
    auto pos = in_.find('\n', scanned_);
    if (pos == std::string::npos) {
      scanned_ = in_.size();
      if (in_.size() > max_line_bytes_ && !broken_)
        fail(make_error(errc::resource_exhausted,
                        "MCP server wrote a line longer than "
                          + std::to_string(max_line_bytes_) + " bytes"));
      return std::nullopt;
    }
    if (pos > max_line_bytes_) {
      if (!broken_)
        fail(make_error(errc::resource_exhausted,
                        "MCP server wrote a line longer than "
                          + std::to_string(max_line_bytes_) + " bytes"));
      return std::nullopt;
    }
    auto line = in_.substr(0, pos);
    in_.erase(0, pos + 1);
    scanned_ = 0;
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (!line.empty())
      return line;
  }
}

caf::error stdio_transport::fail(caf::error err) {
  broken_ = err;
  return err;
}

caf::error stdio_transport::gone() {
  // Give an exiting server a moment, so the error can say how it ended.
  auto status = proc_->wait_for(200ms);
  std::string what = status ? "MCP server exited (" + to_string(*status) + ")"
                            : std::string{"MCP server closed its pipes"};
  what += " during " + activity();
  if (auto tail = proc_->stderr_tail(); !tail.empty())
    what += "; stderr: " + excerpt(tail);
  return fail(make_error(errc::unavailable, std::move(what)));
}

} // namespace bsm::mcp
