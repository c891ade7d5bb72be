#include "bench/cluster_raw.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <future>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/io/middleman.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "protocols/caf_types.hpp"
#include "runtime/error.hpp"
#include "runtime/mailbox/message_id.hpp"
#include "runtime/system_config.hpp"

namespace bsm::bench {

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

// Control messages between the measuring process and the sink. They only
// pass between two copies of this binary, so atoms (which need no type
// registration) do; the measured traffic itself is bsm.v1 protobuf messages.

/// (start, n, window) -> n: count from zero to n, ack every window messages.
using start_atom = caf::atom_constant<caf::atom("rawstart")>;
/// (ack, count), sink to sender: `count` messages arrived.
using ack_atom = caf::atom_constant<caf::atom("rawack")>;
/// (done) -> count: answered once all n have arrived.
using done_atom = caf::atom_constant<caf::atom("rawdone")>;
/// (ping, Envelope) -> PingResponse: the round trip.
using ping_atom = caf::atom_constant<caf::atom("rawping")>;

/// How long the peer gets to exit after its stdin closes, then after SIGTERM.
constexpr auto peer_grace = 5s;

/// The measured message: an Envelope as a node would send it across, with
/// `payload_bytes` bytes of payload (not parsed by the sink).
v1::Envelope bench_envelope(size_t payload_bytes) {
  v1::Envelope env;
  env.set_id(new_message_id());
  env.set_target("bench/sink");
  env.set_type_name("bsm.v1.PingRequest");
  env.set_payload(std::string(payload_bytes, 'p'));
  return env;
}

/// Hands a worker actor's result to the thread that waits for it, once.
template <class T>
using result_slot = std::shared_ptr<std::promise<caf::expected<T>>>;

template <class T>
void fulfil(result_slot<T>& slot, caf::expected<T> x) {
  if (slot) {
    slot->set_value(std::move(x));
    slot.reset();
  }
}

/// Waits for a worker's result; kills the worker if it takes too long.
template <class T>
caf::expected<T> await(std::future<caf::expected<T>>& result,
                       const caf::actor& worker, std::chrono::seconds timeout,
                       const char* what) {
  if (result.wait_for(timeout) != std::future_status::ready) {
    caf::anon_send_exit(worker, caf::exit_reason::kill);
    return make_error(errc::deadline_exceeded,
                      std::string{what} + " took longer than "
                        + std::to_string(timeout.count()) + " s");
  }
  return result.get();
}

// -- the sink (peer process) --------------------------------------------------

struct sink_state {
  static constexpr const char* name = "raw_sink";
  uint64_t expected = 0;
  uint64_t window = 0;
  uint64_t received = 0;
  uint64_t replies = 0;
  /// Receives the acks: the sender of the last start message.
  caf::actor acker;
  /// The pending done request, if it came before the last message.
  caf::typed_response_promise<uint64_t> done;
};

using sink_actor = caf::stateful_actor<sink_state>;

void count_one(sink_actor* self) {
  auto& st = self->state;
  ++st.received;
  if (st.window > 0 && st.received % st.window == 0)
    self->send(st.acker, ack_atom::value, st.received);
  if (st.received == st.expected && st.done.pending())
    st.done.deliver(st.received);
}

caf::behavior raw_sink(sink_actor* self) {
  return {
    [self](start_atom, uint64_t n, uint64_t window) {
      auto& st = self->state;
      st.expected = n;
      st.window = window;
      st.received = 0;
      st.acker = caf::actor_cast<caf::actor>(self->current_sender());
      return n;
    },
    [self](const v1::Envelope&) { count_one(self); },
    [self](done_atom) -> caf::result<uint64_t> {
      auto& st = self->state;
      // One sender, one connection: its messages arrive in order, so this
      // normally comes after the last one; the promise is for safety.
      if (st.received >= st.expected)
        return st.received;
      st.done = self->make_response_promise<uint64_t>();
      return st.done;
    },
    [self](ping_atom, const v1::Envelope&) {
      v1::PingResponse resp;
      resp.set_sequence(++self->state.replies);
      return resp;
    },
  };
}

void wait_for_stdin_eof() {
  char buf[256];
  for (;;) {
    auto got = ::read(STDIN_FILENO, buf, sizeof buf);
    if (got == 0 || (got < 0 && errno != EINTR))
      return;
  }
}

system_config make_config(const scheduler_options& scheduler) {
  system_config cfg{scheduler};
  cfg.load<caf::io::middleman>();
  return cfg;
}

// -- the one-way sender (measuring process) -----------------------------------

struct sender_state {
  static constexpr const char* name = "raw_sender";
  caf::actor sink;
  v1::Envelope envelope;
  uint64_t messages = 0;
  uint64_t window = 0;
  uint64_t windows_in_flight = 0;
  caf::timespan timeout{};
  uint64_t sent = 0;
  uint64_t acked = 0;
  bool asked = false;
  clock_type::time_point start;
  result_slot<throughput_result> result;
};

using sender_actor = caf::stateful_actor<sender_state>;

void finish(sender_actor* self, caf::expected<throughput_result> x) {
  fulfil(self->state.result, std::move(x));
  self->quit();
}

void ask_done(sender_actor* self) {
  auto& st = self->state;
  st.asked = true;
  self->request(st.sink, st.timeout, done_atom::value)
    .then(
      [self](uint64_t count) {
        auto& s = self->state;
        std::chrono::duration<double> elapsed = clock_type::now() - s.start;
        if (count != s.messages) {
          finish(self, make_error(errc::internal,
                                  "the sink counted " + std::to_string(count)
                                    + " of " + std::to_string(s.messages)));
          return;
        }
        throughput_result r;
        r.messages = count;
        r.elapsed_s = elapsed.count();
        r.msgs_per_s = static_cast<double>(count) / r.elapsed_s;
        finish(self, r);
      },
      [self](caf::error& err) { finish(self, std::move(err)); });
}

// Each send copies the Envelope into a fresh CAF message, as an application
// sending a new message each time would; the proxy hands it to the BASP
// broker, which serializes it on the middleman's thread.
void send_more(sender_actor* self) {
  auto& st = self->state;
  auto limit = st.messages;
  if (st.window > 0)
    limit = std::min(limit, st.acked + st.window * st.windows_in_flight);
  for (; st.sent < limit; ++st.sent)
    self->send(st.sink, st.envelope);
  if (st.sent == st.messages && !st.asked)
    ask_done(self);
}

caf::behavior raw_sender(sender_actor* self, caf::actor sink, raw_options opts,
                         uint64_t messages,
                         result_slot<throughput_result> result) {
  auto& st = self->state;
  st.sink = std::move(sink);
  st.envelope = bench_envelope(opts.payload_bytes);
  st.messages = messages;
  st.window = opts.window;
  st.windows_in_flight = opts.windows_in_flight;
  st.timeout = opts.timeout;
  st.result = std::move(result);
  self->monitor(st.sink);
  self->set_down_handler([self](const caf::down_msg& msg) {
    finish(self, make_error(errc::unavailable,
                            "the sink went down: " + to_string(msg.reason)));
  });
  self->request(st.sink, st.timeout, start_atom::value, messages, opts.window)
    .then(
      [self](uint64_t) {
        self->state.start = clock_type::now();
        send_more(self);
      },
      [self](caf::error& err) { finish(self, std::move(err)); });
  return {
    [self](ack_atom, uint64_t count) {
      auto& s = self->state;
      s.acked = std::max(s.acked, count);
      send_more(self);
    },
  };
}

// -- the round-trip pinger (measuring process) --------------------------------

struct pinger_state {
  static constexpr const char* name = "raw_pinger";
  caf::actor sink;
  v1::Envelope envelope;
  uint64_t round_trips = 0;
  caf::timespan timeout{};
  std::vector<double> samples_us;
  clock_type::time_point sent_at;
  result_slot<latency_result> result;
};

using pinger_actor = caf::stateful_actor<pinger_state>;

/// Nearest rank: the smallest sample with at least `p` of them at or below.
double percentile(const std::vector<double>& sorted, double p) {
  auto rank
    = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

latency_result summarize(std::vector<double> samples_us) {
  std::sort(samples_us.begin(), samples_us.end());
  latency_result r;
  r.round_trips = samples_us.size();
  r.p50_us = percentile(samples_us, 0.50);
  r.p90_us = percentile(samples_us, 0.90);
  r.p99_us = percentile(samples_us, 0.99);
  r.max_us = samples_us.back();
  double sum = 0;
  for (auto x : samples_us)
    sum += x;
  r.mean_us = sum / static_cast<double>(samples_us.size());
  return r;
}

void finish(pinger_actor* self, caf::expected<latency_result> x) {
  fulfil(self->state.result, std::move(x));
  self->quit();
}

void ping_next(pinger_actor* self) {
  auto& st = self->state;
  if (st.samples_us.size() == st.round_trips) {
    finish(self, summarize(std::move(st.samples_us)));
    return;
  }
  st.sent_at = clock_type::now();
  self->request(st.sink, st.timeout, ping_atom::value, st.envelope)
    .then(
      [self](const v1::PingResponse&) {
        auto& s = self->state;
        std::chrono::duration<double, std::micro> took
          = clock_type::now() - s.sent_at;
        s.samples_us.push_back(took.count());
        ping_next(self);
      },
      [self](caf::error& err) { finish(self, std::move(err)); });
}

caf::behavior raw_pinger(pinger_actor* self, caf::actor sink, raw_options opts,
                         uint64_t round_trips,
                         result_slot<latency_result> result) {
  auto& st = self->state;
  st.sink = std::move(sink);
  st.envelope = bench_envelope(opts.payload_bytes);
  st.round_trips = round_trips;
  st.timeout = opts.timeout;
  st.samples_us.reserve(round_trips);
  st.result = std::move(result);
  ping_next(self);
  // Everything runs in response handlers, but CAF 0.17 stops an actor whose
  // behavior is empty even with a request in flight: keep one handler.
  return {
    [](ping_atom) {},
  };
}

// -- starting the peer --------------------------------------------------------

/// Reads the child's stdout up to the first line break, for up to `timeout`.
caf::expected<std::string> read_line(mcp::child_process& child,
                                     std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  std::string got;
  for (;;) {
    if (auto pos = got.find('\n'); pos != std::string::npos)
      return got.substr(0, pos);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - clock_type::now());
    if (left <= 0ms)
      return make_error(errc::deadline_exceeded,
                        "the peer printed no PORT line: "
                          + child.stderr_tail());
    pollfd pfd{child.stdout_fd(), POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0)
      continue;
    char buf[256];
    auto n = ::read(child.stdout_fd(), buf, sizeof buf);
    if (n > 0)
      got.append(buf, static_cast<size_t>(n));
    else if (n == 0)
      return make_error(errc::unavailable,
                        "the peer exited: " + child.stderr_tail());
  }
}

caf::expected<uint16_t> parse_port_line(const std::string& line) {
  constexpr std::string_view prefix = "PORT ";
  if (line.compare(0, prefix.size(), prefix) == 0) {
    auto port = std::strtoul(line.c_str() + prefix.size(), nullptr, 10);
    if (port > 0 && port <= 65535)
      return static_cast<uint16_t>(port);
  }
  return make_error(errc::internal, "unexpected line from the peer: " + line);
}

void progress(const std::string& what) {
  std::cerr << "cluster_bench: " << what << std::endl;
}

} // namespace

latency_result summarize_latency(std::vector<double> samples_us) {
  return summarize(std::move(samples_us));
}

caf::error validate(const raw_options& opts) {
  if (opts.messages == 0)
    return make_error(errc::invalid_argument, "messages must be positive");
  if (opts.round_trips == 0)
    return make_error(errc::invalid_argument, "round trips must be positive");
  if (opts.window > 0 && opts.windows_in_flight == 0)
    return make_error(errc::invalid_argument,
                      "windows in flight must be positive with a window");
  return caf::none;
}

const char* policy_name(scheduler_policy x) {
  return x == scheduler_policy::stealing ? "stealing" : "sharing";
}

int run_peer(uint16_t port, const scheduler_options& scheduler) {
  auto cfg = make_config(scheduler);
  caf::actor_system sys{cfg};
  auto sink = sys.spawn(raw_sink);
  auto bound = sys.middleman().publish(sink, port, "127.0.0.1", true);
  if (!bound) {
    std::cerr << "cannot publish the sink: " << render(bound.error()) << '\n';
    caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
    return 1;
  }
  std::cout << "PORT " << *bound << std::endl;
  wait_for_stdin_eof();
  caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
  return 0;
}

caf::expected<peer_process> start_peer(const std::string& exe,
                                       const scheduler_options& scheduler,
                                       std::chrono::milliseconds timeout) {
  mcp::spawn_options so;
  so.command = exe;
  so.args = {"peer",
             "--port",
             "0",
             "--threads",
             std::to_string(scheduler.threads),
             "--policy",
             policy_name(scheduler.policy)};
  so.on_stderr = [](std::string_view line) {
    std::cerr << "peer: " << line << '\n';
  };
  auto child = mcp::child_process::spawn(std::move(so));
  if (!child)
    return child.error();
  peer_process peer;
  peer.child = std::move(*child);
  auto line = read_line(*peer.child, timeout);
  if (!line) {
    stop_peer(peer);
    return line.error();
  }
  auto port = parse_port_line(*line);
  if (!port) {
    stop_peer(peer);
    return port.error();
  }
  peer.port = *port;
  return peer;
}

mcp::exit_status stop_peer(peer_process& peer) {
  return peer.child->terminate(peer_grace);
}

caf::expected<throughput_result> measure_one_way(caf::actor_system& sys,
                                                 const caf::actor& sink,
                                                 const raw_options& opts,
                                                 uint64_t messages) {
  auto slot
    = std::make_shared<std::promise<caf::expected<throughput_result>>>();
  auto result = slot->get_future();
  auto sender = sys.spawn(raw_sender, sink, opts, messages, std::move(slot));
  return await(result, sender, opts.timeout, "the one-way run");
}

caf::expected<latency_result> measure_round_trip(caf::actor_system& sys,
                                                 const caf::actor& sink,
                                                 const raw_options& opts,
                                                 uint64_t round_trips) {
  auto slot = std::make_shared<std::promise<caf::expected<latency_result>>>();
  auto result = slot->get_future();
  auto pinger = sys.spawn(raw_pinger, sink, opts, round_trips, std::move(slot));
  return await(result, pinger, opts.timeout, "the round trips");
}

caf::expected<raw_result> run_raw(const std::string& exe,
                                  const raw_options& opts) {
  if (auto err = validate(opts))
    return err;
  auto peer = start_peer(exe, opts.scheduler, opts.timeout);
  if (!peer)
    return peer.error();
  progress("peer " + std::to_string(peer->child->pid())
           + " on 127.0.0.1:" + std::to_string(peer->port));
  raw_result result;
  result.opts = opts;
  auto err = [&]() -> caf::error {
    auto cfg = make_config(opts.scheduler);
    caf::actor_system sys{cfg};
    // Blocking is fine here: this is main's thread, not a scheduler thread.
    auto sink = sys.middleman().remote_actor("127.0.0.1", peer->port);
    if (!sink)
      return sink.error();
    if (opts.warmup_messages > 0) {
      progress("warm-up: " + std::to_string(opts.warmup_messages)
               + " one-way messages");
      if (auto w = measure_one_way(sys, *sink, opts, opts.warmup_messages); !w)
        return w.error();
    }
    progress("one-way: " + std::to_string(opts.messages) + " messages");
    auto one_way = measure_one_way(sys, *sink, opts, opts.messages);
    if (!one_way)
      return one_way.error();
    result.one_way = *one_way;
    if (opts.warmup_round_trips > 0) {
      progress("warm-up: " + std::to_string(opts.warmup_round_trips)
               + " round trips");
      auto w = measure_round_trip(sys, *sink, opts, opts.warmup_round_trips);
      if (!w)
        return w.error();
    }
    progress("round trips: " + std::to_string(opts.round_trips));
    auto rtt = measure_round_trip(sys, *sink, opts, opts.round_trips);
    if (!rtt)
      return rtt.error();
    result.round_trip = *rtt;
    return caf::none;
  }();
  auto status = stop_peer(*peer);
  if (err)
    return err;
  if (status.code != 0)
    progress("the peer ended with " + mcp::to_string(status));
  return result;
}

std::string to_json(const raw_result& x) {
  const auto& o = x.opts;
  const auto& rtt = x.round_trip;
  std::ostringstream out;
  out << std::fixed << std::setprecision(1)
      << "{\"messages\":" << x.one_way.messages
      << ",\"payload_bytes\":" << o.payload_bytes << ",\"window\":" << o.window
      << ",\"windows_in_flight\":" << o.windows_in_flight
      << ",\"threads\":" << o.scheduler.threads << ",\"policy\":\""
      << policy_name(o.scheduler.policy)
      << "\",\"elapsed_s\":" << std::setprecision(4) << x.one_way.elapsed_s
      << std::setprecision(1) << ",\"msgs_per_s\":" << x.one_way.msgs_per_s
      << ",\"rtt_us\":{\"round_trips\":" << rtt.round_trips
      << ",\"p50\":" << rtt.p50_us << ",\"p90\":" << rtt.p90_us
      << ",\"p99\":" << rtt.p99_us << ",\"max\":" << rtt.max_us
      << ",\"mean\":" << rtt.mean_us << "}}";
  return out.str();
}

void print_table(std::ostream& out, const raw_result& x) {
  const auto& o = x.opts;
  const auto& rtt = x.round_trip;
  std::ostringstream flow;
  if (o.window > 0)
    flow << "window " << o.window << " x " << o.windows_in_flight;
  else
    flow << "no flow control";
  out << std::fixed << std::setprecision(1)
      << "raw CAF remote messaging (BASP over TCP, 127.0.0.1, 2 processes, "
      << policy_name(o.scheduler.policy) << " scheduler)\n"
      << "  one-way     " << x.one_way.messages << " Envelopes, "
      << o.payload_bytes << " B payload, " << flow.str() << ": "
      << std::setprecision(0) << x.one_way.msgs_per_s << " msg/s ("
      << std::setprecision(3) << x.one_way.elapsed_s << " s)\n"
      << std::setprecision(1) << "  round trip  " << rtt.round_trips
      << " requests: p50 " << rtt.p50_us << " us, p90 " << rtt.p90_us
      << " us, p99 " << rtt.p99_us << " us, max " << rtt.max_us << " us, mean "
      << rtt.mean_us << " us\n";
}

} // namespace bsm::bench
