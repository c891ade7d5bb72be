// The cluster benchmark (bench/cluster_bench.sh): messaging between two
// processes on 127.0.0.1.
//
//   bsm_cluster_bench raw [--messages N] [--payload-bytes B]
//                         [--round-trips K] [--window W]
//                         [--windows-in-flight F] [--warmup-messages M]
//                         [--warmup-round-trips R] [--threads T]
//                         [--policy sharing|stealing] [--timeout-s S]
//       The raw CAF baseline (bench/cluster_raw.hpp): starts
//       `bsm_cluster_bench peer` as a child, connects to its sink through
//       CAF's middleman and measures one-way throughput and round trips.
//       Prints {"raw_caf":{...}} on stdout, a table on stderr.
//   bsm_cluster_bench peer [--port P] [--threads T] [--policy P]
//       The other process of `raw`: publishes the sink, prints "PORT <n>",
//       runs until stdin closes or SIGTERM.
//   bsm_cluster_bench all [the flags of raw] [--tls-dir DIR]
//       (--tls-dir: the runtime's two nodes speak mutual TLS with the
//       certificates in DIR, see raw_options::tls_dir)
//       Side by side in one run: the raw baseline, then the runtime's
//       cross-node tell, durable send and ask, and the failure detection
//       time (bench/cluster_runtime.hpp). Prints
//       {"raw_caf":{...},"runtime":{...}}.
//   bsm_cluster_bench tasks [--submitters 1,64] [--durabilities os,fsync]
//                           [--duration-s 10] [--warmup-s 2]
//                           [--target-concurrency 64] [--drain-limit-s 300]
//                           [--threads T] [--policy P] [--timeout-s S]
//                           [--tls-dir DIR]
//       The task queue over the cluster port (bench/cluster_tasks.hpp):
//       task submits to node B's "tasks" against durable sends to its
//       node_info, K in flight. Prints {"cluster_tasks":{...}}.
//   bsm_cluster_bench node <bsmd arguments>
//       Node B of `all` and `tasks`: bsmd plus a counting sink at
//       "bench_sink".
//
// Defaults as in bsm::bench::raw_options.

#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bench/cluster_raw.hpp"
#include "bench/cluster_runtime.hpp"
#include "bench/cluster_tasks.hpp"
#include "runtime/error.hpp"

namespace {

using bsm::bench::raw_options;

int usage() {
  std::cerr
    << "usage: bsm_cluster_bench raw [--messages N] [--payload-bytes B]\n"
       "                             [--round-trips K] [--window W]\n"
       "                             [--windows-in-flight F]\n"
       "                             [--warmup-messages M]\n"
       "                             [--warmup-round-trips R] [--threads T]\n"
       "                             [--policy sharing|stealing]\n"
       "                             [--timeout-s S]\n"
       "       bsm_cluster_bench peer [--port P] [--threads T] [--policy P]\n"
       "       bsm_cluster_bench all [the flags of raw] [--tls-dir DIR]\n"
       "       bsm_cluster_bench tasks [--submitters 1,64]\n"
       "                               [--durabilities os,fsync]\n"
       "                               [--duration-s 10] [--warmup-s 2]\n"
       "                               [--target-concurrency 64]\n"
       "                               [--drain-limit-s 300] [--threads T]\n"
       "                               [--policy P] [--timeout-s S]\n"
       "                               [--tls-dir DIR]\n"
       "       bsm_cluster_bench node <bsmd arguments>\n";
  return 2;
}

/// "--name value" pairs; nullopt on a stray word or a missing value.
std::optional<std::map<std::string, std::string>> parse_flags(int argc,
                                                              char** argv) {
  std::map<std::string, std::string> flags;
  for (int i = 2; i < argc; i += 2) {
    std::string name = argv[i];
    if (name.rfind("--", 0) != 0 || i + 1 >= argc)
      return std::nullopt;
    flags[name.substr(2)] = argv[i + 1];
  }
  return flags;
}

std::optional<uint64_t> parse_u64(const std::string& text) {
  if (text.empty() || text.front() == '-')
    return std::nullopt;
  errno = 0;
  char* end = nullptr;
  auto x = std::strtoull(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0')
    return std::nullopt;
  return static_cast<uint64_t>(x);
}

/// Moves the flags into `opts`; false (and a message) on a bad one.
bool apply_flags(const std::map<std::string, std::string>& flags,
                 raw_options& opts, uint64_t& port) {
  std::map<std::string, uint64_t*> numbers{
    {"messages", &opts.messages},
    {"round-trips", &opts.round_trips},
    {"window", &opts.window},
    {"windows-in-flight", &opts.windows_in_flight},
    {"warmup-messages", &opts.warmup_messages},
    {"warmup-round-trips", &opts.warmup_round_trips},
    {"port", &port},
  };
  for (const auto& [name, value] : flags) {
    if (name == "tls-dir") {
      opts.tls_dir = value;
      continue;
    }
    if (name == "policy") {
      if (value != "sharing" && value != "stealing") {
        std::cerr << "--policy: sharing or stealing\n";
        return false;
      }
      opts.scheduler.policy = value == "sharing"
                                ? bsm::scheduler_policy::sharing
                                : bsm::scheduler_policy::stealing;
      continue;
    }
    auto x = parse_u64(value);
    if (!x) {
      std::cerr << "--" << name << ": not a number: " << value << '\n';
      return false;
    }
    if (auto i = numbers.find(name); i != numbers.end())
      *i->second = *x;
    else if (name == "payload-bytes")
      opts.payload_bytes = static_cast<size_t>(*x);
    else if (name == "threads" && *x <= 256)
      opts.scheduler.threads = static_cast<uint32_t>(*x);
    else if (name == "timeout-s" && *x > 0)
      opts.timeout = std::chrono::seconds{*x};
    else {
      std::cerr << "unknown or out-of-range flag --" << name << '\n';
      return false;
    }
  }
  if (port > 65535) {
    std::cerr << "--port: at most 65535\n";
    return false;
  }
  return true;
}

/// "a,b,c" split at the commas; empty words are dropped.
std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::string word;
  for (auto c : text + ",") {
    if (c != ',') {
      word += c;
    } else if (!word.empty()) {
      out.push_back(word);
      word.clear();
    }
  }
  return out;
}

/// Moves the flags of `tasks` into `opts` and the rest into opts.base;
/// false (and a message) on a bad one.
bool apply_task_flags(std::map<std::string, std::string> flags,
                      bsm::bench::tasks_options& opts) {
  auto take = [&flags](const std::string& name) -> std::optional<std::string> {
    auto i = flags.find(name);
    if (i == flags.end())
      return std::nullopt;
    auto value = i->second;
    flags.erase(i);
    return value;
  };
  auto seconds = [&take](const std::string& name, std::chrono::seconds& out) {
    auto text = take(name);
    if (!text)
      return true;
    auto x = parse_u64(*text);
    if (!x || *x == 0) {
      std::cerr << "--" << name << ": a number of seconds above 0\n";
      return false;
    }
    out = std::chrono::seconds{*x};
    return true;
  };
  if (auto text = take("submitters")) {
    opts.submitters.clear();
    for (const auto& word : split_list(*text)) {
      auto x = parse_u64(word);
      if (!x || *x == 0 || *x > 100'000) {
        std::cerr << "--submitters: numbers from 1 to 100000\n";
        return false;
      }
      opts.submitters.push_back(*x);
    }
  }
  if (auto text = take("durabilities"))
    opts.durabilities = split_list(*text);
  if (auto text = take("target-concurrency")) {
    auto x = parse_u64(*text);
    if (!x || *x == 0) {
      std::cerr << "--target-concurrency: a number above 0\n";
      return false;
    }
    opts.target_concurrency = *x;
  }
  if (opts.submitters.empty() || opts.durabilities.empty()) {
    std::cerr << "--submitters and --durabilities: at least one each\n";
    return false;
  }
  uint64_t port = 0;
  return seconds("duration-s", opts.duration)
         && seconds("warmup-s", opts.warmup)
         && seconds("drain-limit-s", opts.drain_limit)
         && apply_flags(flags, opts.base, port);
}

/// The path of this binary, for starting the peer.
std::string self_path() {
  char buf[PATH_MAX];
  auto n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0)
    return "/proc/self/exe";
  return std::string(buf, static_cast<size_t>(n));
}

int run_raw_command(const raw_options& opts) {
  auto result = bsm::bench::run_raw(self_path(), opts);
  if (!result) {
    std::cerr << "cluster_bench: " << bsm::render(result.error()) << '\n';
    return 1;
  }
  bsm::bench::print_table(std::cerr, *result);
  std::cout << "{\"raw_caf\":" << bsm::bench::to_json(*result) << '}'
            << std::endl;
  return 0;
}

int run_all_command(const raw_options& opts) {
  auto raw = bsm::bench::run_raw(self_path(), opts);
  if (!raw) {
    std::cerr << "cluster_bench: raw: " << bsm::render(raw.error()) << '\n';
    return 1;
  }
  auto rt = bsm::bench::run_runtime(self_path(), BSM_DEFAULT_CONFIG, opts);
  if (!rt) {
    std::cerr << "cluster_bench: runtime: " << bsm::render(rt.error()) << '\n';
    return 1;
  }
  bsm::bench::print_table(std::cerr, *raw);
  bsm::bench::print_table(std::cerr, *rt);
  std::cout << "{\"raw_caf\":" << bsm::bench::to_json(*raw)
            << ",\"runtime\":" << bsm::bench::to_json(*rt) << '}' << std::endl;
  return 0;
}

int run_tasks_command(const bsm::bench::tasks_options& opts) {
  auto result = bsm::bench::run_tasks(self_path(), BSM_DEFAULT_CONFIG, opts);
  if (!result) {
    std::cerr << "cluster_bench: tasks: " << bsm::render(result.error())
              << '\n';
    return 1;
  }
  bsm::bench::print_table(std::cerr, *result);
  std::cout << nlohmann::json{{"cluster_tasks",
                               bsm::bench::to_json(*result, opts)}}
                 .dump()
            << std::endl;
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2)
    return usage();
  std::string command = argv[1];
  if (command == "node")
    return bsm::bench::run_bench_node(argc, argv);
  auto flags = parse_flags(argc, argv);
  if (command == "tasks") {
    bsm::bench::tasks_options opts;
    if (!flags || !apply_task_flags(*flags, opts))
      return usage();
    return run_tasks_command(opts);
  }
  raw_options opts;
  uint64_t port = 0;
  if (!flags || !apply_flags(*flags, opts, port))
    return usage();
  if (command == "peer")
    return bsm::bench::run_peer(static_cast<uint16_t>(port), opts.scheduler);
  if (command == "raw")
    return run_raw_command(opts);
  if (command == "all")
    return run_all_command(opts);
  return usage();
}
