#pragma once

// A child process with pipes to its standard streams, as the stdio transport
// of MCP needs: the parent writes stdin and reads stdout; stderr (the
// server's log) is drained by a thread of its own, so a chatty child never
// blocks on a full pipe. Stopping follows the MCP shutdown sequence (close
// stdin, wait, SIGTERM, wait, SIGKILL) and always reaps the child, so it
// never leaves a zombie.
//
// The child runs in a process group of its own (signals reach the helpers it
// started too, and a terminal's Ctrl-C does not), with every signal at its
// default disposition and none blocked (bsmd blocks SIGTERM in its threads),
// and with no file descriptors but 0, 1 and 2. The parent's ends of the
// pipes are close-on-exec.

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <sys/types.h>

#include <caf/expected.hpp>

namespace bsm::mcp {

struct spawn_options {
  /// The program: a path, or a name looked up in the PATH of the child's
  /// environment.
  std::string command;
  std::vector<std::string> args;
  /// Variables added to the parent's environment (replacing those of the
  /// same name) for the child.
  std::map<std::string, std::string> env;
  /// Receives each line the child writes to stderr, without the line break,
  /// on the drain thread; lines longer than 4 KiB arrive in pieces. May be
  /// empty (the lines are only kept for `stderr_tail`).
  std::function<void(std::string_view)> on_stderr;
};

/// How a child ended.
struct exit_status {
  /// The exit code, or -1 if a signal ended it.
  int code = -1;
  /// The signal that ended it, or 0.
  int signal = 0;
};

/// "exit code 3" or "signal 9 (Killed)".
std::string to_string(const exit_status& x);

/// Not thread-safe, except `stderr_tail` and `pid`: one thread drives a
/// child (the drain thread is internal).
class child_process {
public:
  /// Starts the child. Errors: `not_found` if the command is not in PATH
  /// (or the path does not exist), `invalid_argument` for an empty command,
  /// `unavailable` if pipes or the process cannot be created.
  [[nodiscard]] static caf::expected<std::unique_ptr<child_process>>
  spawn(spawn_options opts);

  /// Terminates the child (grace 2s per step) unless that happened already.
  ~child_process();

  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const noexcept {
    return pid_;
  }

  /// Write end of the child's stdin, non-blocking; -1 once closed.
  int stdin_fd() const noexcept {
    return stdin_;
  }

  /// Read end of the child's stdout, non-blocking.
  int stdout_fd() const noexcept {
    return stdout_;
  }

  /// Closes the child's stdin (it sees EOF). Never blocks; idempotent.
  void close_stdin();

  /// Reaps the child if it has exited; never blocks. Returns its status
  /// once it has exited (also on every later call).
  std::optional<exit_status> try_wait();

  /// Like `try_wait`, but waits up to `timeout` for the exit.
  std::optional<exit_status> wait_for(std::chrono::milliseconds timeout);

  /// The shutdown sequence: close stdin, wait up to `grace`, SIGTERM the
  /// process group, wait up to `grace`, SIGKILL it, reap. Whatever else is
  /// left in the group is killed too. Blocks at most about 2 * `grace`.
  exit_status terminate(std::chrono::milliseconds grace);

  /// The last lines of stderr (at most 20, 4 KiB), oldest first, joined by
  /// " | ". Thread-safe.
  std::string stderr_tail() const;

private:
  child_process() = default;

  void start_drain(int stderr_fd,
                   std::function<void(std::string_view)> on_stderr);
  void drain(int stderr_fd, std::function<void(std::string_view)> on_stderr);
  void keep_line(std::string_view line);
  void stop_drain();
  void signal_group(int sig);

  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  /// Wakes the drain thread when the child is gone (eventfd).
  int wake_ = -1;
  std::optional<exit_status> status_;
  std::thread drain_thread_;
  mutable std::mutex tail_mtx_;
  std::deque<std::string> tail_;
  size_t tail_bytes_ = 0;
};

} // namespace bsm::mcp
