// Recovery of a node with many pending envelopes: the time from process
// start to the first redelivery, the time until every envelope has been
// redelivered, and the peak resident memory of the recovering process.
//
//   bsm_recovery_bench [--envelopes N] [--dir D] [--out FILE] [--keep]
//                      [--drop-caches]
//
// The parent fills <D>/bsm-recovery-bench-*/store with N envelopes to the
// target "sink" (as a crashed node would have left them: appended, not
// acknowledged), closes it, then runs itself again as
// `/proc/self/exe --recover DATA_DIR N`, a fresh process that starts a real
// node (node::make + start) with a sink child and measures. The parent
// relays the one JSON line the child prints (and writes it to --out).
// D defaults to $BSM_BENCH_DIR, else the system temp dir;
// $BSM_BENCH_DELIVERY_WINDOW sets mailbox.delivery_window (default 32; 1
// delivers one at a time, as before the window). The store is
// read from the page cache (as after a process crash) unless
// --drop-caches (root only; drops the whole machine's page cache) makes it
// a cold start, as after a reboot. --keep leaves the data dir in place.
//
// The child's sink is a child named "sink" (a child name is one path
// segment, so "bench/sink" cannot be a supervised child's path).

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <rocksdb/write_batch.h>

#include "node/node.hpp"
#include "protocols/caf_types.hpp"
#include "runtime/error.hpp"
#include "runtime/mailbox/mailbox_store.hpp"
#include "runtime/mailbox/message_id.hpp"
#include "runtime/store/store.hpp"

namespace {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

const std::string target = "sink";

/// Bytes of each PingRequest's payload (as in bsm_mailbox_bench).
constexpr size_t ping_payload_bytes = 64;

/// Envelopes per WriteBatch while filling.
constexpr uint64_t fill_batch = 1000;

/// The longest the child waits for every envelope.
constexpr auto recover_timeout = std::chrono::minutes{10};

int usage() {
  std::cerr << "usage: bsm_recovery_bench [--envelopes N] [--dir D] "
               "[--out FILE] [--keep] [--drop-caches]\n";
  return 2;
}

// -- fill (parent) ------------------------------------------------------------

bool fill(const fs::path& data_dir, uint64_t n) {
  bsm::store_options opts;
  opts.durability = bsm::durability::os;
  auto s = bsm::store::open(data_dir / "store", opts);
  if (!s) {
    std::cerr << "cannot open store: " << bsm::render(s.error()) << '\n';
    return false;
  }
  auto& db = **s;
  const std::string pad(ping_payload_bytes, 'p');
  rocksdb::WriteBatch batch;
  for (uint64_t seq = 0; seq < n; ++seq) {
    bsm::v1::PingRequest ping;
    ping.set_sequence(seq);
    ping.set_payload(pad);
    bsm::v1::Envelope e;
    e.set_id(bsm::new_message_id());
    e.set_target(target);
    e.set_type_name("bsm.v1.PingRequest");
    e.set_payload(ping.SerializeAsString());
    auto st
      = bsm::mailbox::add_append(db, batch, target, seq, e.SerializeAsString());
    if (!st.ok()) {
      std::cerr << "cannot fill: " << st.ToString() << '\n';
      return false;
    }
    if (batch.Count() >= static_cast<uint32_t>(2 * fill_batch)
        || seq + 1 == n) {
      if (auto err = db.write(batch)) {
        std::cerr << "cannot fill: " << bsm::render(err) << '\n';
        return false;
      }
      batch.Clear();
    }
  }
  return true;
}

/// Runs `/proc/self/exe --recover data_dir n`, returns its JSON line.
bool run_child(const fs::path& data_dir, uint64_t n, std::string& json) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    std::perror("pipe2");
    return false;
  }
  auto dir = data_dir.string();
  auto count = std::to_string(n);
  std::vector<char*> args{const_cast<char*>("bsm_recovery_bench"),
                          const_cast<char*>("--recover"), dir.data(),
                          count.data(), nullptr};
  auto pid = fork();
  if (pid < 0) {
    std::perror("fork");
    return false;
  }
  if (pid == 0) {
    // Only async-signal-safe calls until exec.
    dup2(fds[1], STDOUT_FILENO);
    execv("/proc/self/exe", args.data());
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  for (;;) {
    auto got = read(fds[0], buf, sizeof buf);
    if (got > 0)
      out.append(buf, static_cast<size_t>(got));
    else if (got == 0 || errno != EINTR)
      break;
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::istringstream lines{out};
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && line.front() == '{')
      json = line;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::cerr << "recovering process failed (status " << status << ")\n" << out;
    return false;
  }
  if (json.empty()) {
    std::cerr << "recovering process printed no result\n" << out;
    return false;
  }
  return true;
}

/// Writes the store to disk and empties the page cache. Needs root.
bool drop_caches() {
  sync();
  std::ofstream out{"/proc/sys/vm/drop_caches"};
  out << "3\n";
  out.flush();
  return static_cast<bool>(out);
}

int run_parent(uint64_t n, fs::path base, const std::string& out_file,
               bool keep, bool cold) {
  if (base.empty()) {
    const char* env = std::getenv("BSM_BENCH_DIR");
    base = env != nullptr ? fs::path{env} : fs::temp_directory_path();
  }
  std::random_device rd;
  auto data_dir = base
                  / ("bsm-recovery-bench-" + std::to_string(getpid()) + "-"
                     + std::to_string(rd()));
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) {
    std::cerr << "cannot create " << data_dir << ": " << ec.message() << '\n';
    return 1;
  }
  auto t0 = clock_type::now();
  auto ok = fill(data_dir, n);
  auto fill_s = std::chrono::duration<double>(clock_type::now() - t0).count();
  std::cerr << "filled " << n << " envelopes in " << fill_s << " s\n";
  if (ok && cold && !drop_caches()) {
    std::cerr << "cannot drop the page cache (root only); measuring warm\n";
    cold = false;
  }
  std::string json;
  ok = ok && run_child(data_dir, n, json);
  if (!keep)
    fs::remove_all(data_dir, ec);
  if (!ok)
    return 1;
  json.pop_back(); // '}'
  std::ostringstream extra;
  extra << ",\"fill_s\":" << fill_s
        << ",\"cold_cache\":" << (cold ? "true" : "false") << "}";
  json += extra.str();
  std::cout << json << std::endl;
  if (!out_file.empty()) {
    std::ofstream out{out_file, std::ios::trunc};
    out << json << '\n';
    if (!out) {
      std::cerr << "cannot write " << out_file << '\n';
      return 1;
    }
  }
  return 0;
}

// -- recover (child) -------------------------------------------------------

/// What the sink saw, shared with main().
struct sink_log {
  explicit sink_log(uint64_t n) : expected(n), seen(n, false) {}

  const uint64_t expected;
  /// Touched by the sink only (one actor: one thread at a time).
  std::vector<bool> seen;
  uint64_t distinct = 0;
  std::atomic<uint64_t> deliveries{0};
  std::atomic<uint64_t> out_of_range{0};
  /// Time of the first delivery (steady clock, nanoseconds).
  std::atomic<int64_t> first_ns{0};

  std::mutex mtx;
  std::condition_variable cv;
  bool all = false;            // guarded by mtx
  clock_type::time_point last; // guarded by mtx
};

caf::behavior sink(caf::event_based_actor*, std::shared_ptr<sink_log> log) {
  return {
    [log](const bsm::v1::PingRequest& ping) {
      if (log->deliveries++ == 0)
        log->first_ns = clock_type::now().time_since_epoch().count();
      auto seq = ping.sequence();
      if (seq >= log->expected)
        ++log->out_of_range;
      else if (!log->seen[seq]) {
        log->seen[seq] = true;
        if (++log->distinct == log->expected) {
          std::lock_guard<std::mutex> guard{log->mtx};
          log->last = clock_type::now();
          log->all = true;
          log->cv.notify_all();
        }
      }
      bsm::v1::PingResponse resp;
      resp.set_sequence(seq);
      return resp;
    },
  };
}

double peak_rss_mib() {
  std::ifstream status{"/proc/self/status"};
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0)
      return std::strtod(line.c_str() + 6, nullptr) / 1024.0; // kB
  return -1;
}

int run_recover(clock_type::time_point start, const fs::path& data_dir,
                uint64_t n) {
  bsm::node_config cfg;
  cfg.node.name = "recovery-bench";
  cfg.node.data_dir = data_dir;
  cfg.cluster.listen.port = 0;
  cfg.http.listen.port = 0;
  cfg.logging.level = "warn";
  cfg.mailbox.max_depth = std::max<uint64_t>(cfg.mailbox.max_depth, n);
  if (const char* window = std::getenv("BSM_BENCH_DELIVERY_WINDOW"))
    cfg.mailbox.delivery_window = std::strtoull(window, nullptr, 10);
  if (auto err = bsm::validate(cfg)) {
    std::cerr << "bad config: " << bsm::render(err) << '\n';
    return 1;
  }
  auto node = bsm::node::make(std::move(cfg));
  if (!node) {
    std::cerr << "node::make: " << bsm::render(node.error()) << '\n';
    return 1;
  }
  auto made = clock_type::now();
  auto log = std::make_shared<sink_log>(n);
  bsm::child_spec spec;
  spec.name = target;
  spec.start = [log](caf::actor_system& sys,
                     const std::string&) -> caf::expected<caf::actor> {
    return sys.spawn(sink, log);
  };
  if (auto err = (*node)->start({spec})) {
    std::cerr << "node::start: " << bsm::render(err) << '\n';
    return 1;
  }
  auto started = clock_type::now();
  bool all;
  {
    std::unique_lock<std::mutex> guard{log->mtx};
    all = log->cv.wait_for(guard, recover_timeout, [&] { return log->all; });
  }
  auto ms = [&](clock_type::time_point t) {
    return std::chrono::duration<double, std::milli>(t - start).count();
  };
  auto deliveries = log->deliveries.load();
  auto first = clock_type::time_point{clock_type::duration{log->first_ns}};
  std::ostringstream json;
  json.precision(6);
  json << "{\"envelopes\":" << n << ",\"first_redelivery_ms\":";
  if (deliveries > 0)
    json << ms(first);
  else
    json << "null";
  json << ",\"all_redelivered_ms\":";
  if (all)
    json << ms(log->last);
  else
    json << "null";
  json << ",\"peak_rss_mib\":" << peak_rss_mib()
       << ",\"node_made_ms\":" << ms(made)
       << ",\"node_started_ms\":" << ms(started)
       << ",\"deliveries\":" << deliveries;
  if (all && n > 0 && log->last > first)
    json << ",\"redeliveries_per_s\":"
         << static_cast<double>(n)
              / std::chrono::duration<double>(log->last - first).count();
  json << "}";
  std::cout << json.str() << std::endl;
  (*node)->stop();
  if (!all) {
    std::cerr << "only " << deliveries << " deliveries ("
              << log->out_of_range.load() << " out of range) of " << n
              << " envelopes within the timeout\n";
    return 1;
  }
  return 0;
}

bool parse_count(const char* text, uint64_t& out) {
  char* end = nullptr;
  errno = 0;
  auto value = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0')
    return false;
  out = value;
  return true;
}

} // namespace

int main(int argc, char** argv) {
  auto start = clock_type::now();
  if (argc == 4 && std::strcmp(argv[1], "--recover") == 0) {
    uint64_t n = 0;
    if (!parse_count(argv[3], n))
      return usage();
    return run_recover(start, argv[2], n);
  }
  uint64_t n = 1'000'000;
  fs::path dir;
  std::string out;
  bool keep = false;
  bool cold = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> const char* {
      return i + 1 < argc ? argv[++i] : nullptr;
    };
    if (arg == "--envelopes") {
      auto v = value();
      if (v == nullptr || !parse_count(v, n))
        return usage();
    } else if (arg == "--dir") {
      auto v = value();
      if (v == nullptr)
        return usage();
      dir = v;
    } else if (arg == "--out") {
      auto v = value();
      if (v == nullptr)
        return usage();
      out = v;
    } else if (arg == "--keep") {
      keep = true;
    } else if (arg == "--drop-caches") {
      cold = true;
    } else {
      return usage();
    }
  }
  return run_parent(n, dir, out, keep, cold);
}
