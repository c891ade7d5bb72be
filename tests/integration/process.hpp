#pragma once

// A child process for integration tests: started with fork/exec, its
// stdout and stderr captured to files, stopped by its process id.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "tests/common/temp_dir.hpp"

namespace bsm::test {

class process {
public:
  /// Starts `argv[0]` with `argv`. Output goes to files under `dir`.
  process(std::vector<std::string> argv, const std::filesystem::path& dir);

  /// Kills the process (SIGKILL) if it still runs.
  ~process();

  process(const process&) = delete;
  process& operator=(const process&) = delete;

  pid_t pid() const noexcept {
    return pid_;
  }

  void signal(int sig) const;

  /// Waits up to `timeout` for the exit; returns the exit code, or
  /// 128 + signal for a killed process, or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);

  std::string out() const;
  std::string err() const;

private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::filesystem::path out_;
  std::filesystem::path err_;
};

/// Runs a command to completion (at most `timeout`) and returns its result.
struct run_result {
  int code = -1;
  std::string out;
  std::string err;
};
run_result run(std::vector<std::string> argv, const std::filesystem::path& dir,
               std::chrono::milliseconds timeout = std::chrono::seconds{30});

/// `name` found in $PATH, or empty (process runs its argv[0] with execv,
/// which does not search PATH).
std::string find_in_path(const std::string& name);

/// Reads a whole file; empty if it does not exist.
std::string read_file(const std::filesystem::path& path);

/// `agents.paths=[<source>/agents]`: the seed agents, for nodes whose
/// working directory is not the source tree.
std::string seed_agents_set();

/// The command line of a node (`binary`: bsmd or a test node) on `config`
/// and `data_dir`, with its HTTP and cluster ports on 127.0.0.1:0 and
/// warnings-only logging; `sets` are further `--set` overrides.
std::vector<std::string> node_argv(const std::string& binary,
                                   const std::string& config,
                                   const std::filesystem::path& data_dir,
                                   const std::vector<std::string>& sets = {});

/// The HTTP address ("127.0.0.1:PORT") from `<data_dir>/ports.json` once
/// `proc` wrote it; nullopt if it exited first or `timeout` passed.
std::optional<std::string>
await_http_address(const std::filesystem::path& data_dir, process& proc,
                   std::chrono::milliseconds timeout
                   = std::chrono::seconds{15});

} // namespace bsm::test
