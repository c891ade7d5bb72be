#include "promtool.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace bsm::test {

namespace {

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

} // namespace

promtool_result promtool_check(const std::string& exposition) {
  const char* promtool = "/usr/bin/promtool";
  promtool_result result;
  if (access(promtool, X_OK) != 0) {
    result.err = "promtool not installed (run deploy/install-deps.sh)";
    return result;
  }
  auto dir = std::filesystem::temp_directory_path();
  auto stem = "bsm_metrics_" + std::to_string(getpid());
  auto in = dir / (stem + ".prom");
  auto out = dir / (stem + ".out");
  auto err = dir / (stem + ".err");
  std::ofstream{in, std::ios::binary} << exposition;
  auto cmd = std::string{promtool} + " check metrics < " + in.string() + " > "
             + out.string() + " 2> " + err.string();
  auto status = std::system(cmd.c_str());
  if (status != -1 && WIFEXITED(status))
    result.code = WEXITSTATUS(status);
  result.out = slurp(out);
  result.err = slurp(err);
  std::filesystem::remove(in);
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return result;
}

} // namespace bsm::test
