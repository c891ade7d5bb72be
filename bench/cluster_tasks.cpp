#include "bench/cluster_tasks.hpp"

#include <deque>
#include <functional>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include <caf/scoped_actor.hpp>

#include "actors/cluster_ingress.hpp"
#include "bench/cluster_runtime.hpp"
#include "runtime/clock.hpp"
#include "runtime/error.hpp"
#include "runtime/http/blocking_fetch.hpp"
#include "tasks/tasks_actor.hpp"

namespace bsm::bench {

namespace {

using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* target_actor = "node_info";
constexpr const char* ping_type = "bsm.v1.PingRequest";

/// The message of both flows: TASK_BODY's payload in bench/tasks_bench.py.
std::string ping_bytes() {
  v1::PingRequest req;
  req.set_sequence(1);
  return req.SerializeAsString();
}

v1::SendRequest send_request() {
  v1::SendRequest req;
  auto& envelope = *req.mutable_envelope();
  envelope.set_target(target_actor);
  envelope.set_type_name(ping_type);
  envelope.set_payload(ping_bytes());
  return req;
}

/// What node A's HTTP front would stamp for a key that may submit it
/// (http_api/task_routes.cpp: the target's inject permission). The
/// cluster port takes the caller a member puts in the message.
v1::TaskSubmitRequest submit_request() {
  v1::TaskSubmitRequest req;
  auto& spec = *req.mutable_spec();
  spec.set_actor(target_actor);
  spec.set_type_name(ping_type);
  spec.set_payload(ping_bytes());
  auto& caller = *req.mutable_caller();
  caller.set_name("cluster-bench");
  caller.set_kind("api_key");
  caller.add_permissions(std::string{"actors:"} + target_actor
                         + ":inject:" + ping_type);
  return req;
}

// -- node B's HTTP port: its metrics and its actors' mailboxes
// -------------------------------------------------------------------------

class peer_http {
public:
  explicit peer_http(std::string address)
    : base_("http://" + std::move(address)), fetch_(16 << 20) {}

  caf::expected<std::string> get(const std::string& path) {
    auto reply = fetch_.perform({base_ + path, {}, {}, {}}, 30s);
    if (!reply)
      return reply.error();
    if (reply->status != 200)
      return make_error(errc::unavailable, "GET " + path + " answered "
                                             + std::to_string(reply->status));
    return std::move(reply->body);
  }

private:
  std::string base_;
  http::blocking_fetch fetch_;
};

/// The sum of the samples of `name` whose labels contain `label` (empty:
/// all), in Prometheus text.
double metric_sum(const std::string& text, const std::string& name,
                  const std::string& label = {}) {
  double total = 0;
  std::istringstream in{text};
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, name.size(), name) != 0 || line.size() <= name.size()
        || (line[name.size()] != '{' && line[name.size()] != ' '))
      continue;
    auto end_of_labels = line.rfind('}');
    auto labels = end_of_labels == std::string::npos
                    ? std::string{}
                    : line.substr(name.size(), end_of_labels - name.size());
    if (!label.empty() && labels.find(label) == std::string::npos)
      continue;
    total += std::strtod(line.c_str() + line.rfind(' ') + 1, nullptr);
  }
  return total;
}

struct task_figures {
  double succeeded = 0;
  double dead = 0;
  /// Queued + running.
  double backlog = 0;
  double failed = 0;
};

caf::expected<task_figures> read_tasks(peer_http& b) {
  auto text = b.get("/metrics");
  if (!text)
    return text.error();
  task_figures f;
  f.succeeded
    = metric_sum(*text, "bsm_tasks_finished_total", R"(state="succeeded")");
  f.dead = metric_sum(*text, "bsm_tasks_finished_total", R"(state="dead")");
  f.backlog = metric_sum(*text, "bsm_tasks_depth", R"(state="queued")")
              + metric_sum(*text, "bsm_tasks_depth", R"(state="running")");
  f.failed = metric_sum(*text, "bsm_tasks_depth", R"(state="failed")");
  return f;
}

caf::expected<double> target_depth(peer_http& b) {
  auto text = b.get("/v1/actors");
  if (!text)
    return text.error();
  auto doc = nlohmann::json::parse(*text, nullptr, false);
  if (!doc.is_discarded())
    for (const auto& actor : doc.value("actors", nlohmann::json::array()))
      if (actor.value("name", "") == target_actor)
        return actor.value("mailbox_depth", 0.0);
  return make_error(errc::not_found, "GET /v1/actors names no node_info");
}

/// Polls `done` (errors end the wait) until true: the seconds it took, or
/// nullopt after `limit`.
caf::expected<std::optional<double>>
wait_until(const std::function<caf::expected<bool>()>& done,
           std::chrono::seconds limit) {
  auto t0 = clock_type::now();
  while (seconds_since(t0) < static_cast<double>(limit.count())) {
    auto x = done();
    if (!x)
      return x.error();
    if (*x)
      return seconds_since(t0);
    std::this_thread::sleep_for(20ms);
  }
  return std::optional<double>{};
}

// -- K requests in flight
// -------------------------------------------------------------------------

/// Keeps `in_flight` requests from `make` open at `to` for `duration`,
/// then waits for the open ones. An answer `check` passes is accepted;
/// an error or a failed check is a refusal. Answers are taken oldest
/// first (later ones wait in the mailbox), which is the order one mailbox
/// or one store writer gives them.
template <class Answer, class Request>
caf::expected<flow_result>
keep_in_flight(caf::scoped_actor& self, const cluster_ingress_actor& to,
               const std::function<Request()>& make,
               const std::function<caf::error(const Answer&)>& check,
               uint64_t in_flight, std::chrono::seconds duration,
               std::chrono::seconds timeout) {
  using handle = decltype(self->request(to, timeout, make()));
  flow_result r;
  auto refuse = [&r](const caf::error& err) {
    if (r.refused++ == 0)
      r.first_refusal = render(err);
  };
  std::deque<std::pair<handle, clock_type::time_point>> open;
  std::vector<double> latencies;
  caf::error failed;
  auto t0 = clock_type::now();
  auto until = t0 + duration;
  while (!failed && (!open.empty() || clock_type::now() < until)) {
    while (open.size() < in_flight && clock_type::now() < until)
      open.emplace_back(self->request(to, timeout, make()), clock_type::now());
    // The time may have run out between the two checks.
    if (open.empty())
      break;
    auto h = std::move(open.front().first);
    auto sent = open.front().second;
    open.pop_front();
    h.receive(
      [&](Answer& answer) {
        latencies.push_back(
          std::chrono::duration<double, std::micro>(clock_type::now() - sent)
            .count());
        if (auto err = check(answer))
          refuse(err);
        else
          ++r.accepted;
      },
      [&](caf::error& err) {
        if (err == caf::sec::request_timeout)
          failed = make_error(errc::deadline_exceeded,
                              "no answer from node b within "
                                + std::to_string(timeout.count()) + " s");
        else
          refuse(err);
      });
  }
  if (failed)
    return failed;
  r.elapsed_s = seconds_since(t0);
  r.accepted_per_s = static_cast<double>(r.accepted) / r.elapsed_s;
  if (!latencies.empty())
    r.latency = summarize_latency(std::move(latencies));
  return r;
}

/// A warm-up's error, or its first refusal: nothing is measured then.
caf::error refused(const caf::expected<flow_result>& warm) {
  if (!warm)
    return warm.error();
  if (warm->refused > 0)
    return make_error(errc::unavailable,
                      "node b refused " + std::to_string(warm->refused)
                        + " requests of the warm-up, the first: "
                        + warm->first_refusal);
  return caf::none;
}

/// One node pair's runs.
struct pair_run {
  caf::scoped_actor& self;
  node& a;
  cluster_ingress_actor ingress;
  peer_http b;
  const tasks_options& opts;

  caf::expected<flow_result> sends(uint64_t k, std::chrono::seconds d) {
    return keep_in_flight<v1::SendResponse, v1::SendRequest>(
      self, ingress, std::function<v1::SendRequest()>{send_request},
      [](const v1::SendResponse&) { return caf::error{}; }, k, d,
      opts.base.timeout);
  }

  caf::expected<flow_result> submits(uint64_t k, std::chrono::seconds d) {
    // Encoded once; each copy gets its own deadline.
    auto ask = make_remote_ask(a.call_env(), tasks_path,
                               caf::make_message(submit_request()), 0ms);
    if (!ask)
      return ask.error();
    std::function<v1::RemoteAskRequest()> make
      = [ask = std::move(*ask), timeout = opts.base.timeout] {
          auto req = ask;
          req.mutable_envelope()->set_deadline_unix_ms(
            unix_now_ms()
            + std::chrono::duration_cast<std::chrono::milliseconds>(timeout)
                .count());
          return req;
        };
    return keep_in_flight<v1::RemoteAskResponse, v1::RemoteAskRequest>(
      self, ingress, make,
      [](const v1::RemoteAskResponse& resp) {
        if (resp.reply().type_name() == "bsm.v1.TaskSubmitResponse")
          return caf::error{};
        return make_error(errc::internal,
                          "answered with " + resp.reply().type_name());
      },
      k, d, opts.base.timeout);
  }

  caf::expected<bool> target_idle() {
    auto depth = target_depth(b);
    if (!depth)
      return depth.error();
    return *depth == 0;
  }

  caf::expected<bool> tasks_idle() {
    auto f = read_tasks(b);
    if (!f)
      return f.error();
    return f->backlog + f->failed == 0;
  }

  caf::expected<flow_result> send_run(uint64_t k) {
    auto warm = sends(k, opts.warmup);
    if (auto err = refused(warm))
      return err;
    if (auto idle
        = wait_until([this] { return target_idle(); }, opts.drain_limit);
        !idle)
      return idle.error();
    auto t0 = clock_type::now();
    auto r = sends(k, opts.duration);
    if (!r)
      return r;
    auto depth = target_depth(b);
    if (!depth)
      return depth.error();
    r->backlog_at_end = *depth;
    auto drain = wait_until([this] { return target_idle(); }, opts.drain_limit);
    if (!drain)
      return drain.error();
    if (*drain) {
      r->drain_s = **drain;
      r->applied_per_s = static_cast<double>(r->accepted) / seconds_since(t0);
    }
    return r;
  }

  caf::expected<flow_result> task_run(uint64_t k) {
    auto warm = submits(k, opts.warmup);
    if (auto err = refused(warm))
      return err;
    if (auto idle
        = wait_until([this] { return tasks_idle(); }, opts.drain_limit);
        !idle)
      return idle.error();
    auto f0 = read_tasks(b);
    if (!f0)
      return f0.error();
    auto t0 = clock_type::now();
    auto r = submits(k, opts.duration);
    if (!r)
      return r;
    auto f1 = read_tasks(b);
    if (!f1)
      return f1.error();
    r->applied_during_run_per_s
      = (f1->succeeded - f0->succeeded) / r->elapsed_s;
    r->backlog_at_end = f1->backlog;
    auto want = f0->succeeded + f0->dead + static_cast<double>(r->accepted);
    auto drain = wait_until(
      [&]() -> caf::expected<bool> {
        auto f = read_tasks(b);
        if (!f)
          return f.error();
        return f->succeeded + f->dead >= want;
      },
      opts.drain_limit);
    if (!drain)
      return drain.error();
    if (*drain) {
      r->drain_s = **drain;
      r->applied_per_s = static_cast<double>(r->accepted) / seconds_since(t0);
    }
    return r;
  }

  /// A second of single submits, none refused, and their tasks succeeding,
  /// before anything is measured.
  caf::error smoke() {
    auto r = submits(1, 1s);
    if (!r)
      return r.error();
    if (r->refused > 0)
      return make_error(errc::unavailable,
                        "node b refused a TaskSubmitRequest over its cluster "
                        "port: "
                          + r->first_refusal);
    auto done = wait_until(
      [this, want = static_cast<double>(r->accepted)]() -> caf::expected<bool> {
        auto f = read_tasks(b);
        if (!f)
          return f.error();
        return f->succeeded >= want;
      },
      opts.drain_limit);
    if (!done)
      return done.error();
    if (!*done)
      return make_error(errc::deadline_exceeded,
                        "the smoke tasks did not succeed in time");
    return caf::none;
  }

  caf::expected<std::map<std::string, flow_result>> all() {
    if (auto err = smoke())
      return err;
    std::map<std::string, flow_result> out;
    for (auto k : opts.submitters) {
      std::cerr << "tasks: " << k << " in flight: durable sends...\n";
      auto s = send_run(k);
      if (!s)
        return s.error();
      out["send_c" + std::to_string(k)] = *s;
      std::cerr << "tasks: " << k << " in flight: task submits...\n";
      auto t = task_run(k);
      if (!t)
        return t.error();
      out["task_c" + std::to_string(k)] = *t;
    }
    return out;
  }
};

nlohmann::json json_of(const flow_result& x) {
  nlohmann::json j{
    {"accepted", x.accepted},
    {"refused", x.refused},
    {"elapsed_s", x.elapsed_s},
    {"accepted_per_s", x.accepted_per_s},
    {"backlog_at_end", x.backlog_at_end},
    {"answer_us", {{"p50", x.latency.p50_us}, {"p99", x.latency.p99_us}}}};
  if (!x.first_refusal.empty())
    j["first_refusal"] = x.first_refusal;
  if (x.applied_during_run_per_s > 0)
    j["applied_during_run_per_s"] = x.applied_during_run_per_s;
  if (x.applied_per_s > 0) {
    j["applied_per_s"] = x.applied_per_s;
    j["drain_s"] = x.drain_s;
  }
  return j;
}

} // namespace

caf::expected<tasks_result> run_tasks(const std::string& exe,
                                      const std::string& config,
                                      const tasks_options& opts) {
  tasks_result result;
  for (const auto& durability : opts.durabilities) {
    std::cerr << "tasks: durability " << durability << '\n';
    std::vector<std::string> sets{"store.durability=" + durability,
                                  "tasks.concurrency="
                                    + std::to_string(opts.target_concurrency),
                                  "tasks.max_queued=10000000"};
    auto err = with_two_nodes(
      exe, config, opts.base, sets, [&](node& a, peer_node& b) -> caf::error {
        auto ingress = peer_ingress(a);
        if (!ingress)
          return ingress.error();
        caf::scoped_actor self{a.system()};
        pair_run run{self, a, *ingress, peer_http{b.http_address}, opts};
        auto r = run.all();
        if (!r)
          return r.error();
        result[durability] = std::move(*r);
        return caf::none;
      });
    if (err)
      return err;
  }
  return result;
}

nlohmann::json to_json(const tasks_result& x, const tasks_options& opts) {
  nlohmann::json runs = nlohmann::json::object();
  for (const auto& [durability, flows] : x) {
    auto& j = runs[durability];
    for (const auto& [name, flow] : flows)
      j[name] = json_of(flow);
    // The ratios against the durable send at the same K.
    for (auto k : opts.submitters) {
      auto s = flows.find("send_c" + std::to_string(k));
      auto t = flows.find("task_c" + std::to_string(k));
      if (s == flows.end() || t == flows.end() || s->second.accepted == 0)
        continue;
      auto send = s->second.accepted_per_s;
      auto& ratio = j["task_over_send_c" + std::to_string(k)];
      ratio["accepted"] = t->second.accepted_per_s / send;
      if (t->second.applied_per_s > 0)
        ratio["applied"] = t->second.applied_per_s / send;
      ratio["applied_during_run"] = t->second.applied_during_run_per_s / send;
    }
  }
  return {{"target_concurrency", opts.target_concurrency},
          {"duration_s", opts.duration.count()},
          {"warmup_s", opts.warmup.count()},
          {"tls", !opts.base.tls_dir.empty()},
          {"runs", runs}};
}

void print_table(std::ostream& out, const tasks_result& x) {
  out << std::fixed << std::setprecision(0);
  for (const auto& [durability, flows] : x)
    for (const auto& [name, f] : flows) {
      out << durability << ' ' << std::left << std::setw(9) << name
          << std::right << " accepted " << std::setw(7) << f.accepted_per_s
          << "/s";
      if (name.rfind("task", 0) == 0)
        out << ", applied during the run " << std::setw(7)
            << f.applied_during_run_per_s << "/s";
      out << ", applied " << std::setw(7) << f.applied_per_s
          << "/s, backlog at end " << f.backlog_at_end << ", answer p50 "
          << f.latency.p50_us << " us";
      if (f.refused > 0)
        out << ", refused " << f.refused << " (" << f.first_refusal << ')';
      out << '\n';
    }
}

} // namespace bsm::bench
