// The stdio child process of MCP servers, with real processes (sh, cat,
// sleep): pipes, stderr draining, environment, descriptors, the stop
// sequence and reaping.

#include "agents/mcp/child_process.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "tests/common/poll.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::mcp::child_process;
using bsm::mcp::spawn_options;
using clock_type = std::chrono::steady_clock;

std::unique_ptr<child_process> spawn_ok(spawn_options opts) {
  auto proc = child_process::spawn(std::move(opts));
  if (!proc) {
    ADD_FAILURE() << bsm::render(proc.error());
    return nullptr;
  }
  return std::move(*proc);
}

spawn_options shell(const std::string& script) {
  spawn_options opts;
  opts.command = "sh";
  opts.args = {"-c", script};
  return opts;
}

/// Everything the child writes to stdout until EOF (at most `timeout`).
std::string read_all(child_process& proc,
                     std::chrono::milliseconds timeout = 5s) {
  std::string out;
  auto deadline = clock_type::now() + timeout;
  char buf[4096];
  while (clock_type::now() < deadline) {
    pollfd fd{proc.stdout_fd(), POLLIN, 0};
    if (::poll(&fd, 1, 50) <= 0)
      continue;
    auto n = ::read(proc.stdout_fd(), buf, sizeof(buf));
    if (n > 0)
      out.append(buf, static_cast<size_t>(n));
    else if (n == 0 || errno != EAGAIN)
      return out;
  }
  ADD_FAILURE() << "no EOF on stdout within the timeout";
  return out;
}

/// True if no process with that id exists (also no zombie).
bool is_gone(pid_t pid) {
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

/// True if the process is gone or a zombie (dead, waiting for whoever
/// reaps orphans; in a container that may never happen).
bool is_dead(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string stat;
  if (!std::getline(in, stat))
    return true;
  auto paren = stat.rfind(')');
  return paren != std::string::npos && stat.size() > paren + 2
         && stat[paren + 2] == 'Z';
}

} // namespace

TEST(McpChildProcess, PipesStdinToStdoutAndExitsWhenStdinCloses) {
  spawn_options opts;
  opts.command = "cat";
  auto proc = spawn_ok(opts);
  ASSERT_TRUE(proc);
  std::string line = "hello\n";
  ASSERT_EQ(::write(proc->stdin_fd(), line.data(), line.size()),
            static_cast<ssize_t>(line.size()));
  proc->close_stdin();
  EXPECT_EQ(proc->stdin_fd(), -1);
  EXPECT_EQ(read_all(*proc), "hello\n");
  // Closing stdin was enough: no signal, and no waiting for the grace
  // period (waiting out this one would exceed the test's timeout).
  auto status = proc->terminate(10min);
  EXPECT_EQ(status.code, 0);
  EXPECT_EQ(status.signal, 0);
  EXPECT_TRUE(is_gone(proc->pid()));
}

TEST(McpChildProcess, DeliversStderrLinesToTheCallback) {
  std::mutex mtx;
  std::vector<std::string> lines;
  auto opts = shell("echo one >&2; echo >&2; printf two >&2");
  opts.on_stderr = [&](std::string_view line) {
    std::lock_guard<std::mutex> guard{mtx};
    lines.emplace_back(line);
  };
  auto proc = spawn_ok(opts);
  ASSERT_TRUE(proc);
  ASSERT_TRUE(proc->wait_for(5s));
  proc->terminate(1s);
  std::lock_guard<std::mutex> guard{mtx};
  EXPECT_EQ(lines, (std::vector<std::string>{"one", "", "two"}));
  EXPECT_EQ(proc->stderr_tail(), "one |  | two");
}

TEST(McpChildProcess, DrainsStderrSoAChattyChildNeverBlocks) {
  std::atomic<size_t> bytes{0};
  // 1 MB without a line break: far over the pipe's 64 KiB.
  auto opts = shell("head -c 1000000 /dev/zero | tr '\\0' e >&2; echo done");
  opts.on_stderr = [&](std::string_view line) {
    bytes += line.size();
  };
  auto proc = spawn_ok(opts);
  ASSERT_TRUE(proc);
  EXPECT_EQ(read_all(*proc), "done\n");
  ASSERT_TRUE(proc->wait_for(5s));
  proc->terminate(1s);
  EXPECT_EQ(bytes.load(), 1'000'000u);
}

TEST(McpChildProcess, AddsEnvironmentVariables) {
  auto opts = shell("printf '%s|%s' \"$BSM_MCP_TEST\" \"$HOME\"");
  opts.env = {{"BSM_MCP_TEST", "a b=c"}, {"HOME", "/replaced"}};
  auto proc = spawn_ok(opts);
  ASSERT_TRUE(proc);
  EXPECT_EQ(read_all(*proc), "a b=c|/replaced");
}

TEST(McpChildProcess, ChildInheritsNoOtherDescriptors) {
  // Opened without close-on-exec, as careless code elsewhere might.
  int leaked = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(leaked, 0);
  auto fd = std::to_string(leaked);
  auto proc = spawn_ok(shell("for fd in " + fd
                             + " 3 4 5 6 7 8 9; do "
                               "[ -e /proc/$$/fd/$fd ] && echo leaked $fd; "
                               "done; echo checked"));
  ::close(leaked);
  ASSERT_TRUE(proc);
  EXPECT_EQ(read_all(*proc), "checked\n");
}

TEST(McpChildProcess, TerminateSendsSigtermAfterGraceEvenIfParentBlocksIt) {
  // bsmd blocks SIGTERM in all threads; the child must not inherit that.
  sigset_t term;
  sigset_t old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, &old);
  spawn_options opts;
  opts.command = "sleep";
  opts.args = {"30"};
  auto proc = spawn_ok(opts);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ASSERT_TRUE(proc);
  auto started = clock_type::now();
  auto status = proc->terminate(200ms);
  auto took = clock_type::now() - started;
  EXPECT_EQ(status.signal, SIGTERM) << bsm::mcp::to_string(status);
  EXPECT_GE(took, 200ms);
  EXPECT_TRUE(is_gone(proc->pid()));
}

TEST(McpChildProcess, TerminateKillsAChildIgnoringSigtermAndItsGroup) {
  auto proc = spawn_ok(
    shell("trap '' TERM; sleep 30 & echo $!; while :; do sleep 1; done"));
  ASSERT_TRUE(proc);
  // The background sleep's pid, once the shell printed it.
  std::string line;
  ASSERT_TRUE(bsm::test::poll_until([&] {
    char buf[64];
    pollfd fd{proc->stdout_fd(), POLLIN, 0};
    if (::poll(&fd, 1, 50) > 0) {
      auto n = ::read(proc->stdout_fd(), buf, sizeof(buf));
      if (n > 0)
        line.append(buf, static_cast<size_t>(n));
    }
    return line.find('\n') != std::string::npos;
  }));
  auto helper = static_cast<pid_t>(std::stol(line));
  auto started = clock_type::now();
  auto status = proc->terminate(200ms);
  auto took = clock_type::now() - started;
  EXPECT_EQ(status.signal, SIGKILL) << bsm::mcp::to_string(status);
  EXPECT_GE(took, 400ms);
  EXPECT_TRUE(is_gone(proc->pid()));
  // The helper it started (same process group) died with it.
  EXPECT_TRUE(bsm::test::poll_until([&] { return is_dead(helper); }));
}

TEST(McpChildProcess, ReapsAChildThatExitedOnItsOwn) {
  auto proc = spawn_ok(shell("exit 7"));
  ASSERT_TRUE(proc);
  auto status = proc->wait_for(5s);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->code, 7);
  EXPECT_EQ(bsm::mcp::to_string(*status), "exit code 7");
  EXPECT_TRUE(is_gone(proc->pid()));
  // Later calls report the same status without waiting.
  EXPECT_EQ(proc->try_wait()->code, 7);
  EXPECT_EQ(proc->terminate(5s).code, 7);
}

TEST(McpChildProcess, ReportsAMissingCommand) {
  spawn_options opts;
  opts.command = "bsm-no-such-command";
  auto proc = child_process::spawn(opts);
  ASSERT_FALSE(proc);
  EXPECT_TRUE(bsm::is(proc.error(), bsm::errc::not_found));
  EXPECT_EQ(bsm::render(proc.error()),
            "not_found: command 'bsm-no-such-command' not found in PATH");
  opts.command = "/nonexistent/server";
  proc = child_process::spawn(opts);
  ASSERT_FALSE(proc);
  EXPECT_TRUE(bsm::is(proc.error(), bsm::errc::not_found));
  opts.command = "";
  proc = child_process::spawn(opts);
  ASSERT_FALSE(proc);
  EXPECT_TRUE(bsm::is(proc.error(), bsm::errc::invalid_argument));
}
