#include "process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

namespace bsm::test {

namespace {

int decode_status(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return -1;
}

[[noreturn]] void exec_child(const std::vector<std::string>& argv,
                             const std::string& out, const std::string& err) {
  int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int null_fd = ::open("/dev/null", O_RDONLY);
  dup2(null_fd, 0);
  dup2(out_fd, 1);
  dup2(err_fd, 2);
  std::vector<char*> args;
  for (const auto& arg : argv)
    args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  // The test binary may block signals; the child must start clean.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execv(args[0], args.data());
  _exit(127);
}

} // namespace

process::process(std::vector<std::string> argv,
                 const std::filesystem::path& dir) {
  static int counter = 0;
  auto id = std::to_string(++counter);
  out_ = dir / ("proc" + id + ".out");
  err_ = dir / ("proc" + id + ".err");
  pid_ = fork();
  if (pid_ < 0)
    throw std::runtime_error("fork failed");
  if (pid_ == 0)
    exec_child(argv, out_.string(), err_.string());
}

process::~process() {
  if (pid_ > 0 && !status_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

void process::signal(int sig) const {
  ::kill(pid_, sig);
}

std::optional<int> process::wait(std::chrono::milliseconds timeout) {
  if (status_)
    return status_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    auto res = waitpid(pid_, &status, WNOHANG);
    if (res == pid_) {
      status_ = decode_status(status);
      return status_;
    }
    if (std::chrono::steady_clock::now() >= deadline)
      return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
}

std::string process::out() const {
  return read_file(out_);
}

std::string process::err() const {
  return read_file(err_);
}

run_result run(std::vector<std::string> argv, const std::filesystem::path& dir,
               std::chrono::milliseconds timeout) {
  process proc{std::move(argv), dir};
  run_result result;
  auto code = proc.wait(timeout);
  result.code = code ? *code : -1;
  result.out = proc.out();
  result.err = proc.err();
  return result;
}

std::string find_in_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs{path != nullptr ? path : ""};
  for (std::string dir; std::getline(dirs, dir, ':');) {
    auto candidate = std::filesystem::path{dir.empty() ? "." : dir} / name;
    if (::access(candidate.c_str(), X_OK) == 0)
      return candidate.string();
  }
  return {};
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in{path};
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::string seed_agents_set() {
  return std::string{"agents.paths=["} + BSM_SOURCE_DIR + "/agents/seed]";
}

std::vector<std::string> node_argv(const std::string& binary,
                                   const std::string& config,
                                   const std::filesystem::path& data_dir,
                                   const std::vector<std::string>& sets) {
  std::vector<std::string> argv{binary,
                                "--config",
                                config,
                                "--set",
                                "node.data_dir=" + data_dir.string(),
                                "--set",
                                "cluster.listen=127.0.0.1:0",
                                "--set",
                                "http.listen=127.0.0.1:0",
                                "--set",
                                "logging.level=warn",
                                "--set",
                                seed_agents_set()};
  for (const auto& set : sets) {
    argv.emplace_back("--set");
    argv.push_back(set);
  }
  return argv;
}

std::optional<std::string>
await_http_address(const std::filesystem::path& data_dir, process& proc,
                   std::chrono::milliseconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    // Written once, by rename: a complete file or none.
    auto doc = nlohmann::json::parse(read_file(data_dir / "ports.json"),
                                     nullptr, false);
    if (!doc.is_discarded() && doc.contains("http"))
      return doc["http"].get<std::string>();
    if (proc.wait(std::chrono::milliseconds{0}))
      return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return std::nullopt;
}

} // namespace bsm::test
