#include "node/bsmd_runner.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include <caf/send.hpp>

#include "node/bsmd_args.hpp"
#include "node/node.hpp"
#include "runtime/error.hpp"
#include "runtime/security/authenticator.hpp"
#include "runtime/supervision/restart_policy.hpp"

namespace {

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

// Waits for SIGINT/SIGTERM/SIGHUP on its own thread (the signals are blocked in
// every other thread): the first starts an ordered stop, a second one
// forces the exit at once.
void watch_signals(bsm::node& n, caf::actor root, std::atomic<bool>& done) {
  auto set = stop_signals();
  std::thread stopper;
  timespec poll{0, 200'000'000};
  while (!done) {
    int sig = sigtimedwait(&set, nullptr, &poll);
    if (sig < 0)
      continue;
    if (sig == SIGHUP) {
      // The agent definitions and the HTTP certificate (a renewed one is
      // picked up without a restart); the node's log says what changed.
      n.log().info("SIGHUP");
      (void)n.reload();
      continue;
    }
    if (stopper.joinable()) {
      std::fprintf(stderr, "bsmd: second signal %d, exiting at once\n", sig);
      std::_Exit(128 + sig);
    }
    n.log().info("signal {}: draining HTTP and the mailboxes, then stopping "
                 "the supervision tree",
                 sig);
    // On its own thread, so a second signal still finds this loop.
    stopper = std::thread{[&n, root] {
      n.drain_http();
      n.drain_mailboxes();
      caf::anon_send_exit(root, caf::exit_reason::user_shutdown);
    }};
  }
  if (stopper.joinable())
    stopper.join();
}

int fail(int code, const std::string& what) {
  std::cerr << "bsmd: " << what << '\n';
  return code;
}

int run(const bsm::bsmd_args& args, std::vector<bsm::child_spec> extra) {
  auto cfg = bsm::load_node_config(args.config, args.overrides);
  if (!cfg)
    return fail(exit_usage, bsm::render(cfg.error()));
  // Agent definitions are configuration too: a bad one is a usage error.
  auto catalog
    = std::make_shared<bsm::agents::agent_catalog>(cfg->agents.paths);
  if (auto loaded = catalog->load(); !loaded)
    return fail(exit_usage, bsm::render(loaded.error()));
  // So are the key files the security options name.
  if (auto access = bsm::security::authenticator::make(cfg->security); !access)
    return fail(exit_usage, bsm::render(access.error()));
  // So are the plugins when plugins.required is set; a plugin that does not
  // load otherwise is skipped, and the node logs and lists it.
  auto types = bsm::type_registry::with_bsm_v1_types();
  auto plugins = bsm::plugins::load_plugins(
    cfg->plugins, [&types](const std::string& x) { return types.contains(x); },
    bsm::tool_server_names(*cfg));
  if (!plugins)
    return fail(exit_usage, bsm::render(plugins.error()));
  if (args.check_config) {
    std::cout << args.config.string() << ": ok\n";
    return exit_ok;
  }
  auto set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  auto n = bsm::node::make(
    std::move(*cfg), std::move(catalog),
    std::make_shared<const bsm::plugins::plugin_set>(std::move(*plugins)));
  if (!n)
    return fail(exit_failure, bsm::render(n.error()));
  if (auto err = (*n)->start(std::move(extra)))
    return fail(exit_failure, bsm::render(err));
  std::atomic<bool> done{false};
  // A copy: await_root() clears the node's handle when the tree stops.
  std::thread signals{[&, root = (*n)->root()] {
    watch_signals(**n, root, done);
  }};
  auto reason = (*n)->await_root();
  done = true;
  signals.join();
  if (!bsm::is_normal_exit(reason))
    return fail(exit_failure,
                "supervision tree failed: " + bsm::render(reason));
  return exit_ok;
}

} // namespace

namespace bsm {

int run_bsmd(int argc, char** argv, std::vector<child_spec> extra) {
  auto args = parse_bsmd_args({argv + 1, argv + argc});
  if (!args)
    return fail(exit_usage, bsm::render(args.error()));
  if (args->help) {
    std::cout << bsmd_usage();
    return exit_ok;
  }
  if (args->version) {
    std::cout << "bsmd " << BSM_VERSION << '\n';
    return exit_ok;
  }
  return run(*args, std::move(extra));
}

} // namespace bsm
