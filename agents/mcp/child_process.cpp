#include "agents/mcp/child_process.hpp"

#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/error.hpp"

extern char** environ;

namespace bsm::mcp {

namespace {

using namespace std::chrono_literals;

constexpr size_t max_stderr_line = 4096;
constexpr size_t max_tail_lines = 20;
constexpr size_t max_tail_bytes = 4096;

std::string errno_text(int err) {
  return std::strerror(err);
}

/// A file descriptor closed at scope exit unless released.
class unique_fd {
public:
  unique_fd() = default;
  explicit unique_fd(int fd) : fd_(fd) {}
  unique_fd(unique_fd&& other) noexcept : fd_(other.release()) {}
  unique_fd& operator=(unique_fd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  ~unique_fd() {
    reset();
  }
  int get() const noexcept {
    return fd_;
  }
  int release() noexcept {
    return std::exchange(fd_, -1);
  }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = fd;
  }

private:
  int fd_ = -1;
};

struct pipe_pair {
  unique_fd read;
  unique_fd write;
};

// Keeps a pipe end off 0, 1 and 2: dup2 onto the same number would keep
// its close-on-exec flag (and clobber the child's standard streams).
caf::error lift_above_stdio(unique_fd& fd) {
  if (fd.get() > 2)
    return caf::none;
  int lifted = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  if (lifted < 0)
    return make_error(errc::unavailable, "fcntl: " + errno_text(errno));
  fd.reset(lifted);
  return caf::none;
}

caf::expected<pipe_pair> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return make_error(errc::unavailable, "pipe2: " + errno_text(errno));
  pipe_pair result{unique_fd{fds[0]}, unique_fd{fds[1]}};
  if (auto err = lift_above_stdio(result.read))
    return err;
  if (auto err = lift_above_stdio(result.write))
    return err;
  return result;
}

void set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/// The parent's environment with `extra` on top, as "KEY=VALUE" strings.
std::vector<std::string>
merged_environment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> result;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view x{*entry};
    auto key = x.substr(0, x.find('='));
    if (extra.count(std::string{key}) == 0)
      result.emplace_back(x);
  }
  for (const auto& [key, value] : extra)
    result.push_back(key + "=" + value);
  return result;
}

std::string path_variable(const std::vector<std::string>& env) {
  for (const auto& entry : env)
    if (entry.compare(0, 5, "PATH=") == 0)
      return entry.substr(5);
  return "/usr/local/bin:/usr/bin:/bin";
}

bool is_executable_file(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode)
         && ::access(path.c_str(), X_OK) == 0;
}

// Resolved here, before the spawn, so a typo is a clear `not_found` rather
// than a child that exits with 127.
caf::expected<std::string>
resolve_command(const std::string& command,
                const std::vector<std::string>& env) {
  if (command.find('/') != std::string::npos) {
    if (is_executable_file(command))
      return command;
    return make_error(errc::not_found,
                      "command '" + command + "' is not an executable file");
  }
  auto path = path_variable(env);
  size_t start = 0;
  while (start <= path.size()) {
    auto end = std::min(path.find(':', start), path.size());
    auto dir = path.substr(start, end - start);
    auto candidate = (dir.empty() ? std::string{"."} : dir) + "/" + command;
    if (is_executable_file(candidate))
      return candidate;
    start = end + 1;
  }
  return make_error(errc::not_found,
                    "command '" + command + "' not found in PATH");
}

std::vector<char*> c_strings(std::vector<std::string>& xs) {
  std::vector<char*> result;
  result.reserve(xs.size() + 1);
  for (auto& x : xs)
    result.push_back(x.data());
  result.push_back(nullptr);
  return result;
}

/// posix_spawn's attributes and file actions, destroyed at scope exit.
struct spawn_setup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;

  spawn_setup() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~spawn_setup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  spawn_setup(const spawn_setup&) = delete;
  spawn_setup& operator=(const spawn_setup&) = delete;

  void configure(int in, int out, int err) {
    // Default dispositions and an empty mask: bsmd blocks SIGTERM in all
    // its threads, and the child would inherit that.
    sigset_t none;
    sigset_t all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK
                                      | POSIX_SPAWN_SETSIGDEF
                                      | POSIX_SPAWN_SETPGROUP);
    posix_spawn_file_actions_adddup2(&actions, in, 0);
    posix_spawn_file_actions_adddup2(&actions, out, 1);
    posix_spawn_file_actions_adddup2(&actions, err, 2);
    // Descriptors other code opened without close-on-exec stay with us.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  }
};

exit_status decode(int status) {
  exit_status result;
  if (WIFEXITED(status))
    result.code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    result.signal = WTERMSIG(status);
  return result;
}

} // namespace

std::string to_string(const exit_status& x) {
  if (x.signal != 0)
    return "signal " + std::to_string(x.signal) + " (" + strsignal(x.signal)
           + ")";
  if (x.code < 0)
    return "unknown exit status";
  return "exit code " + std::to_string(x.code);
}

caf::expected<std::unique_ptr<child_process>>
child_process::spawn(spawn_options opts) {
  if (opts.command.empty())
    return make_error(errc::invalid_argument, "empty command");
  auto env = merged_environment(opts.env);
  auto path = resolve_command(opts.command, env);
  if (!path)
    return path.error();
  auto in = make_pipe();
  auto out = make_pipe();
  auto err = make_pipe();
  for (auto* x : {&in, &out, &err})
    if (!*x)
      return x->error();
  std::vector<std::string> argv_strings{opts.command};
  argv_strings.insert(argv_strings.end(), opts.args.begin(), opts.args.end());
  auto argv = c_strings(argv_strings);
  auto envp = c_strings(env);
  spawn_setup setup;
  setup.configure(in->read.get(), out->write.get(), err->write.get());
  pid_t pid = -1;
  if (int rc = ::posix_spawn(&pid, path->c_str(), &setup.actions, &setup.attr,
                             argv.data(), envp.data());
      rc != 0)
    return make_error(rc == ENOENT ? errc::not_found : errc::unavailable,
                      "cannot start '" + opts.command + "': " + errno_text(rc));
  std::unique_ptr<child_process> result{new child_process};
  result->pid_ = pid;
  result->stdin_ = in->write.release();
  result->stdout_ = out->read.release();
  set_nonblocking(result->stdin_);
  set_nonblocking(result->stdout_);
  result->start_drain(err->read.release(), std::move(opts.on_stderr));
  return result;
}

child_process::~child_process() {
  terminate(2s);
  if (stdout_ >= 0)
    ::close(stdout_);
}

void child_process::close_stdin() {
  if (stdin_ >= 0) {
    ::close(stdin_);
    stdin_ = -1;
  }
}

std::optional<exit_status> child_process::try_wait() {
  if (status_ || pid_ < 0)
    return status_;
  siginfo_t info{};
  // WNOWAIT keeps the zombie, and with it the process group id, reserved
  // while the stragglers of the group are killed.
  if (::waitid(P_PID, static_cast<id_t>(pid_), &info,
               WEXITED | WNOHANG | WNOWAIT)
      != 0) {
    // ECHILD: reaped elsewhere (SIGCHLD ignored); nothing left to wait for.
    status_ = exit_status{};
    return status_;
  }
  if (info.si_pid == 0)
    return std::nullopt;
  ::kill(-pid_, SIGKILL);
  int status = 0;
  if (::waitpid(pid_, &status, 0) == pid_)
    status_ = decode(status);
  else
    status_ = exit_status{};
  return status_;
}

std::optional<exit_status>
child_process::wait_for(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto step = 1ms;
  for (;;) {
    if (auto status = try_wait())
      return status;
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline)
      return std::nullopt;
    std::this_thread::sleep_for(
      std::min<std::chrono::steady_clock::duration>(step, deadline - now));
    step = std::min(step * 2, 20ms);
  }
}

void child_process::signal_group(int sig) {
  if (status_ || pid_ < 0)
    return;
  // The child may have left its group; then only it gets the signal.
  if (::kill(-pid_, sig) != 0)
    ::kill(pid_, sig);
}

exit_status child_process::terminate(std::chrono::milliseconds grace) {
  close_stdin();
  auto status = wait_for(grace);
  if (!status) {
    signal_group(SIGTERM);
    status = wait_for(grace);
  }
  if (!status) {
    signal_group(SIGKILL);
    // SIGKILL cannot be ignored; this returns as soon as the kernel has
    // torn the process down.
    while (!(status = wait_for(1s)))
      signal_group(SIGKILL);
  }
  stop_drain();
  return *status;
}

std::string child_process::stderr_tail() const {
  std::lock_guard<std::mutex> guard{tail_mtx_};
  std::string result;
  for (const auto& line : tail_) {
    if (!result.empty())
      result += " | ";
    result += line;
  }
  return result;
}

void child_process::start_drain(
  int stderr_fd, std::function<void(std::string_view)> on_stderr) {
  wake_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  set_nonblocking(stderr_fd);
  drain_thread_ = std::thread{[this, stderr_fd, cb = std::move(on_stderr)] {
    drain(stderr_fd, cb);
  }};
}

void child_process::drain(int stderr_fd,
                          std::function<void(std::string_view)> on_stderr) {
  std::string partial;
  auto emit = [&](std::string_view line) {
    keep_line(line);
    if (on_stderr) {
      try {
        on_stderr(line);
      } catch (...) {
        // A logging failure must not end the drain (the child would block).
      }
    }
  };
  auto consume = [&](const char* data, size_t size) {
    for (size_t i = 0; i < size; ++i) {
      if (data[i] == '\n') {
        emit(partial);
        partial.clear();
      } else if (partial.size() == max_stderr_line) {
        emit(partial);
        partial.assign(1, data[i]);
      } else {
        partial += data[i];
      }
    }
  };
  char buf[4096];
  bool stopping = false;
  for (;;) {
    pollfd fds[2] = {{stderr_fd, POLLIN, 0}, {wake_, POLLIN, 0}};
    // Once woken, only what is already in the pipe is read.
    if (::poll(fds, stopping ? 1 : 2, stopping ? 0 : -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (!stopping && (fds[1].revents & POLLIN) != 0)
      stopping = true;
    auto n = ::read(stderr_fd, buf, sizeof(buf));
    if (n > 0) {
      consume(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN && !stopping)
      continue;
    break; // EOF, nothing more while stopping, or an error
  }
  if (!partial.empty())
    emit(partial);
  ::close(stderr_fd);
}

void child_process::keep_line(std::string_view line) {
  std::lock_guard<std::mutex> guard{tail_mtx_};
  tail_.emplace_back(line.substr(0, max_tail_bytes));
  tail_bytes_ += tail_.back().size();
  while (tail_.size() > max_tail_lines
         || (tail_bytes_ > max_tail_bytes && tail_.size() > 1)) {
    tail_bytes_ -= tail_.front().size();
    tail_.pop_front();
  }
}

void child_process::stop_drain() {
  if (!drain_thread_.joinable())
    return;
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_, &one, sizeof(one));
  drain_thread_.join();
  ::close(wake_);
  wake_ = -1;
}

} // namespace bsm::mcp
