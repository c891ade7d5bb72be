#include "node/bsmd_args.hpp"

#include <CLI/CLI.hpp>

#include "runtime/error.hpp"

namespace bsm {

namespace {

caf::error usage_error(const std::string& what) {
  return make_error(errc::invalid_argument, what + " (see bsmd --help)");
}

// The one CLI11 tree of bsmd's flags, bound to `out` and `sets`.
std::unique_ptr<CLI::App> make_command_line(bsmd_args& out,
                                            std::vector<std::string>& sets) {
  auto app = std::make_unique<CLI::App>("Starts a BSM-AgentOS node.", "bsmd");
  // --help is a result (bsmd prints the usage), not an exception.
  app->set_help_flag();
  // Words it does not know stay for parse_bsmd_args to name.
  app->allow_extras();
  app->add_flag("-h,--help", out.help, "print this help and exit");
  app
    ->add_option("--config", out.config,
                 "node config (default: config/node.yaml)")
    ->type_name("FILE");
  app
    ->add_option("--set", sets,
                 "override a config key, e.g. --set http.listen=127.0.0.1:0 "
                 "(repeatable; the value is YAML: --set cluster.seeds=[a:1])")
    ->type_name("KEY=VALUE")
    ->allow_extra_args(false);
  app->add_flag("--check-config", out.check_config,
                "validate the config and exit");
  app->add_flag("--version", out.version, "print the version and exit");
  app->footer(
    "\nExit codes: 0 clean stop, 1 runtime failure, 2 bad usage or config.\n"
    "SIGINT/SIGTERM stop the node in order; a second signal forces it.\n"
    "SIGHUP (or `bsmctl reload`) reloads the agent and workflow definitions\n"
    "and the HTTP TLS certificate.\n");
  return app;
}

} // namespace

caf::expected<bsmd_args> parse_bsmd_args(const std::vector<std::string>& args) {
  bsmd_args result;
  std::vector<std::string> sets;
  auto app = make_command_line(result, sets);
  std::vector<std::string> reversed{args.rbegin(), args.rend()};
  try {
    app->parse(reversed);
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what());
  }
  if (auto extra = app->remaining(); !extra.empty())
    return usage_error("unknown argument '" + extra.front() + "'");
  for (const auto& set : sets) {
    auto x = parse_override(set);
    if (!x)
      return x.error();
    result.overrides.push_back(std::move(*x));
  }
  return result;
}

std::string bsmd_usage() {
  bsmd_args out;
  std::vector<std::string> sets;
  return make_command_line(out, sets)->help();
}

} // namespace bsm
