// bsmctl: the command line for scripts. The HTTP commands (send, actors,
// tree, events, health) arrive with the HTTP bridge; this first version
// reads what a node publishes in its data dir.

#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

const char* usage
  = "usage: bsmctl ports [--data-dir DIR] [--key NAME]\n"
    "       bsmctl --version | --help\n"
    "\n"
    "  ports   print the addresses a running node bound (DIR/ports.json);\n"
    "          with --key, only that address (for scripts: --key cluster)\n"
    "          DIR defaults to ./data/node-a\n"
    "\n"
    "Exit codes: 0 ok, 1 failure, 2 usage error.\n";

int usage_error(const std::string& what) {
  std::cerr << "bsmctl: " << what << " (see bsmctl --help)\n";
  return exit_usage;
}

int ports(const std::vector<std::string>& args) {
  std::string dir = "./data/node-a";
  std::string key;
  for (size_t i = 0; i < args.size(); ++i) {
    bool has_value = i + 1 < args.size();
    if (args[i] == "--data-dir" && has_value)
      dir = args[++i];
    else if (args[i] == "--key" && has_value)
      key = args[++i];
    else
      return usage_error("unknown argument '" + args[i] + "'");
  }
  auto path = dir + "/ports.json";
  std::ifstream in{path};
  if (!in) {
    std::cerr << "bsmctl: no node has written " << path
              << " (is it running?)\n";
    return exit_failure;
  }
  auto doc = nlohmann::json::parse(in, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    std::cerr << "bsmctl: " << path << " is not a JSON object\n";
    return exit_failure;
  }
  if (key.empty()) {
    std::cout << doc.dump(2) << '\n';
    return exit_ok;
  }
  if (!doc.contains(key) || !doc[key].is_string()) {
    std::cerr << "bsmctl: " << path << " has no address '" << key << "'\n";
    return exit_failure;
  }
  std::cout << doc[key].get<std::string>() << '\n';
  return exit_ok;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args{argv + 1, argv + argc};
  if (args.empty())
    return usage_error("missing command");
  if (args[0] == "--help" || args[0] == "-h") {
    std::cout << usage;
    return exit_ok;
  }
  if (args[0] == "--version") {
    std::cout << "bsmctl " << BSM_VERSION << '\n';
    return exit_ok;
  }
  if (args[0] == "ports")
    return ports({args.begin() + 1, args.end()});
  return usage_error("unknown command '" + args[0] + "'");
}
