// bsmctl: the command line that scripts use against a node's HTTP bridge
// (send messages, list actors, show the tree, health, stream events) and
// that reads what a node publishes in its data dir (ports). The commands
// live in node/bsmctl/ (the CLI11 tree: command_line.cpp); `bsmctl --help`
// and docs/CLI.md document them.

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "node/bsmctl/args.hpp"
#include "node/bsmctl/commands.hpp"
#include "node/bsmctl/exit_code.hpp"
#include "node/bsmctl/http_client.hpp"

namespace {

std::optional<std::string> env_value(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0')
    return std::nullopt;
  return std::string{value};
}

} // namespace

int main(int argc, char** argv) {
  using namespace bsm::ctl;
  bsmctl_env env{env_value("BSM_URL"), env_value("BSM_TOKEN"),
                 isatty(STDOUT_FILENO) == 1};
  auto args = parse_bsmctl_args({argv + 1, argv + argc}, env);
  if (!args) {
    std::cerr << "bsmctl: " << describe(args.error())
              << " (see bsmctl --help)\n";
    return exit_usage;
  }
  curl_global curl;
  return run_command(*args, console{std::cin, std::cout, std::cerr});
}
