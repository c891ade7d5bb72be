#include "node/bsmd_args.hpp"

#include "runtime/error.hpp"

namespace bsm {

namespace {

caf::error usage_error(const std::string& what) {
  return make_error(errc::invalid_argument, what + " (see bsmd --help)");
}

// Accepts "--opt VALUE" and "--opt=VALUE"; advances `i` past the value.
caf::expected<std::string> option_value(const std::vector<std::string>& args,
                                        size_t& i, const std::string& opt) {
  const auto& arg = args[i];
  if (arg.size() > opt.size() && arg[opt.size()] == '=')
    return arg.substr(opt.size() + 1);
  if (i + 1 >= args.size())
    return usage_error("option " + opt + " needs a value");
  return args[++i];
}

bool is_option(const std::string& arg, const std::string& opt) {
  return arg == opt || arg.rfind(opt + "=", 0) == 0;
}

} // namespace

caf::expected<bsmd_args> parse_bsmd_args(const std::vector<std::string>& args) {
  bsmd_args result;
  for (size_t i = 0; i < args.size(); ++i) {
    const auto& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      result.help = true;
    } else if (arg == "--version") {
      result.version = true;
    } else if (arg == "--check-config") {
      result.check_config = true;
    } else if (is_option(arg, "--config")) {
      auto value = option_value(args, i, "--config");
      if (!value)
        return value.error();
      result.config = *value;
    } else if (is_option(arg, "--set")) {
      auto value = option_value(args, i, "--set");
      if (!value)
        return value.error();
      auto x = parse_override(*value);
      if (!x)
        return x.error();
      result.overrides.push_back(std::move(*x));
    } else {
      return usage_error("unknown argument '" + arg + "'");
    }
  }
  return result;
}

std::string bsmd_usage() {
  return "usage: bsmd [--config FILE] [--set KEY=VALUE]... [--check-config]\n"
         "            [--version] [--help]\n"
         "\n"
         "Starts a BSM-AgentOS node.\n"
         "  --config FILE    node config (default: config/node.yaml)\n"
         "  --set K=V        override a config key, e.g. --set "
         "http.listen=127.0.0.1:0\n"
         "                   (repeatable; V is YAML: --set "
         "cluster.seeds=[a:1])\n"
         "  --check-config   validate the config and exit\n"
         "  --version        print the version and exit\n"
         "\n"
         "Exit codes: 0 clean stop, 1 runtime failure, 2 bad usage or config.\n"
         "SIGINT/SIGTERM stop the node in order; a second signal forces it.\n";
}

} // namespace bsm
