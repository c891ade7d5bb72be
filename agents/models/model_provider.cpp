#include "agents/models/model_provider.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include <unistd.h> // environ

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "agents/models/local_model.hpp"
#include "runtime/error.hpp"
#include "runtime/messages/handled_types.hpp"

namespace bsm {

namespace {

using clock = std::chrono::steady_clock;
using job = model_provider_state::job;

constexpr uint32_t max_workers = 256;

bool is_http_url(const std::string& x) {
  for (std::string_view scheme : {"http://", "https://"})
    if (x.size() > scheme.size() && x.compare(0, scheme.size(), scheme) == 0)
      return true;
  return false;
}

// Metric labels take known values only: the provider named by a request is
// whatever its agent file says.
std::string provider_label(const std::string& provider) {
  return provider == "local" || provider == "openai" ? provider : "unknown";
}

std::string outcome_label(const caf::error& err) {
  if (!err)
    return "ok";
  if (err.category() == errc_category)
    return to_string(static_cast<errc>(err.code()));
  return "internal";
}

uint64_t micros_since(clock::time_point start) {
  return static_cast<uint64_t>(
    std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - start)
      .count());
}

// -- workers ------------------------------------------------------------------

/// A worker owns one connection, so calls on it reuse keep-alive sockets.
struct model_worker_state {
  static constexpr const char* name = "model_worker";
  models::openai_connection conn;
};

using model_worker_pointer = bsm::stateful_actor<model_worker_state>*;

caf::expected<v1::ModelResponse> call_upstream(model_worker_pointer self,
                                               const model_worker_env& env,
                                               const v1::ModelRequest& req,
                                               const caf::actor& sink) {
  auto ep = resolve_endpoint(env.opts, req.model());
  if (!ep)
    return ep.error();
  models::delta_handler on_delta;
  if (sink)
    on_delta = [&sink](const v1::ChatDelta& piece) {
      caf::anon_send(sink, piece);
    };
  models::completion_control ctl;
  ctl.cancelled = env.cancelled.get();
  auto res = self->state.conn.complete(*ep, req, on_delta, &ctl);
  if (ctl.retries > 0)
    env.metrics.retries.with({"openai"}).inc(ctl.retries);
  return res;
}

/// Runs detached: each call blocks this actor's own thread only.
caf::behavior model_worker(model_worker_pointer self,
                           std::shared_ptr<const model_worker_env> env) {
  return {
    [self, env](const v1::ModelRequest& req,
                const caf::actor& sink) -> caf::result<v1::ModelResponse> {
      auto res = call_upstream(self, *env, req, sink);
      if (!res)
        return std::move(res.error());
      return std::move(*res);
    },
  };
}

// -- the provider -------------------------------------------------------------

void finish(model_provider_pointer self, const std::string& provider,
            clock::time_point arrived, const caf::error& outcome) {
  self->state.env->metrics.record(provider, outcome, clock::now() - arrived);
}

void run(model_provider_pointer self, caf::actor worker, job j);

// A worker finished: it takes the oldest waiting job, or waits itself.
void release(model_provider_pointer self, caf::actor worker) {
  auto& st = self->state;
  if (st.queue.empty()) {
    st.idle.push_back(std::move(worker));
    return;
  }
  auto next = std::move(st.queue.front());
  st.queue.pop_front();
  run(self, std::move(worker), std::move(next));
}

void run(model_provider_pointer self, caf::actor worker, job j) {
  auto rp = j.rp;
  auto arrived = j.arrived;
  self->request(worker, caf::infinite, std::move(j.req), std::move(j.sink))
    .then(
      [self, worker, rp, arrived](v1::ModelResponse& res) mutable {
        finish(self, "openai", arrived, caf::error{});
        rp.deliver(std::move(res));
        release(self, worker);
      },
      [self, worker, rp, arrived](caf::error& err) mutable {
        finish(self, "openai", arrived, err);
        rp.deliver(std::move(err));
        release(self, worker);
      });
}

// Hands the job to an idle worker, a new one, or the queue.
caf::error dispatch(model_provider_pointer self, job j) {
  auto& st = self->state;
  if (!st.idle.empty()) {
    auto worker = std::move(st.idle.back());
    st.idle.pop_back();
    run(self, std::move(worker), std::move(j));
    return {};
  }
  if (st.workers.size() < st.env->opts.max_concurrency) {
    // Linked: workers live and die with the provider.
    auto worker
      = self->spawn<caf::detached + caf::linked>(model_worker, st.env);
    st.workers.push_back(worker);
    run(self, std::move(worker), std::move(j));
    return {};
  }
  if (st.queue.size() >= st.env->opts.max_queued)
    return make_error(errc::resource_exhausted,
                      "model provider: " + std::to_string(st.queue.size())
                        + " openai requests are waiting already");
  st.queue.push_back(std::move(j));
  return {};
}

caf::result<v1::ModelResponse> answer_locally(model_provider_pointer self,
                                              const v1::ModelRequest& req,
                                              const caf::actor& sink) {
  auto arrived = clock::now();
  if (auto err = models::refuse_locally(req)) {
    finish(self, "local", arrived, err);
    return err;
  }
  auto res = models::complete_locally(req);
  res.set_provider_micros(micros_since(arrived));
  // Word-sized deltas and whole client tool calls, as a model streams
  // them. Enqueued before the answer leaves this handler, so they arrive
  // first.
  if (sink)
    for (auto& delta : models::local_deltas(req, res))
      caf::anon_send(sink, std::move(delta));
  finish(self, "local", arrived, caf::error{});
  return res;
}

// openai.timeout bounds every call; a request's own deadline can only
// shorten it. Agents always name one (their turn's remaining time), so
// without the cap the option would never apply to them.
void cap_timeout(v1::ModelRequest& req, std::chrono::milliseconds limit) {
  auto cap = static_cast<uint32_t>(
    std::min<int64_t>(limit.count(), std::numeric_limits<uint32_t>::max()));
  if (req.timeout_ms() == 0 || req.timeout_ms() > cap)
    req.set_timeout_ms(cap);
}

caf::result<v1::ModelResponse> handle(model_provider_pointer self,
                                      v1::ModelRequest& req, caf::actor sink) {
  auto arrived = clock::now();
  // A copy: `req` moves into the queue below.
  auto provider = req.model().provider();
  if (provider == "local")
    return answer_locally(self, req, sink);
  caf::error err;
  if (provider != "openai")
    err
      = make_error(errc::invalid_argument, "unknown model provider '" + provider
                                             + "' (known: local, openai)");
  else if (req.model().name().empty())
    err = make_error(errc::invalid_argument,
                     "model.name is required for the openai provider");
  else if (auto ep = resolve_endpoint(self->state.env->opts, req.model()); !ep)
    err = std::move(ep.error());
  if (err) {
    finish(self, provider_label(provider), arrived, err);
    return err;
  }
  cap_timeout(req, self->state.env->opts.openai.timeout);
  auto rp = self->make_response_promise<v1::ModelResponse>();
  if (auto refused
      = dispatch(self, job{std::move(req), std::move(sink), rp, arrived})) {
    finish(self, "openai", arrived, refused);
    // The promise owns the answer now: a returned error would be dropped.
    rp.deliver(std::move(refused));
  }
  return rp;
}

} // namespace

// -- options ------------------------------------------------------------------

environment_map read_environment() {
  environment_map result;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text{*entry};
    auto eq = text.find('=');
    if (eq != std::string_view::npos && eq > 0)
      result.emplace(std::string{text.substr(0, eq)},
                     std::string{text.substr(eq + 1)});
  }
  return result;
}

model_provider_options model_provider_options::from(const openai_options& x,
                                                    environment_map env) {
  model_provider_options opts;
  opts.openai.base_url = x.base_url;
  opts.openai.api_key = x.api_key;
  if (opts.openai.api_key.empty() && !x.api_key_env.empty())
    if (auto i = env.find(x.api_key_env); i != env.end())
      opts.openai.api_key = i->second;
  opts.openai.timeout = x.timeout;
  opts.openai.connect_timeout = x.connect_timeout;
  opts.openai.max_retries = x.max_retries;
  opts.openai.backoff_initial = x.retry_backoff_initial;
  opts.openai.backoff_max = x.retry_backoff_max;
  opts.max_concurrency = x.max_concurrency;
  opts.environment = std::move(env);
  return opts;
}

caf::error validate(const model_provider_options& opts) {
  auto bad = [](const std::string& what) {
    return make_error(errc::invalid_argument, "model provider: " + what);
  };
  if (opts.max_concurrency == 0 || opts.max_concurrency > max_workers)
    return bad("max_concurrency must be in 1..256");
  if (!is_http_url(opts.openai.base_url))
    return bad("base_url must be an http:// or https:// URL");
  if (opts.openai.timeout.count() <= 0
      || opts.openai.connect_timeout.count() <= 0)
    return bad("timeouts must be positive");
  if (opts.openai.backoff_initial > opts.openai.backoff_max)
    return bad("backoff_initial must not exceed backoff_max");
  return {};
}

caf::expected<models::openai_endpoint>
resolve_endpoint(const model_provider_options& opts,
                 const v1::ModelSettings& model) {
  auto ep = opts.openai;
  const auto& url = model.base_url();
  if (!url.empty()) {
    if (!is_http_url(url))
      return make_error(errc::invalid_argument,
                        "model.base_url '" + url
                          + "' is not an http:// or https:// URL");
    // The node's key belongs to the configured upstream only.
    if (url != opts.openai.base_url)
      ep.api_key.clear();
    ep.base_url = url;
  }
  const auto& var = model.api_key_env();
  if (!var.empty()) {
    auto i = opts.environment.find(var);
    if (i == opts.environment.end() || i->second.empty())
      return make_error(errc::invalid_argument,
                        "model.api_key_env names '" + var
                          + "', which was not set when the node started");
    ep.api_key = i->second;
  }
  return ep;
}

// -- metrics ------------------------------------------------------------------

model_metrics model_metrics::make(metrics::registry& reg) {
  return model_metrics{
    reg.counter_family("bsm_model_requests_total",
                       "Model calls answered, by provider and outcome (ok or "
                       "the error code).",
                       {"provider", "outcome"}),
    reg.histogram_family("bsm_model_request_duration_seconds",
                         "Time from a model call's arrival at the provider to "
                         "its answer, queueing and retries included.",
                         {"provider"},
                         metrics::exponential_buckets(0.005, 2.0, 15)),
    reg.counter_family("bsm_model_retries_total",
                       "Retried upstream attempts of model calls.",
                       {"provider"}),
  };
}

void model_metrics::record(const std::string& provider,
                           const caf::error& outcome,
                           clock::duration elapsed) const {
  requests.with({provider, outcome_label(outcome)}).inc();
  duration.with({provider})
    .observe(std::chrono::duration<double>(elapsed).count());
}

// -- the actor ----------------------------------------------------------------

model_provider_state::~model_provider_state() {
  // Workers may be blocked in a transfer for up to its deadline: make them
  // give up now, and stop them even after a normal exit (links only
  // propagate abnormal ones).
  if (env)
    env->cancelled->store(true);
  for (const auto& worker : workers)
    caf::anon_send_exit(worker, caf::exit_reason::user_shutdown);
}

model_provider_actor::behavior_type model_provider(model_provider_pointer self,
                                                   model_provider_options opts,
                                                   model_metrics metrics) {
  self->state.env = std::make_shared<const model_worker_env>(model_worker_env{
    std::move(opts), metrics, std::make_shared<std::atomic<bool>>(false)});
  return {
    [self](v1::ModelRequest& req) -> caf::result<v1::ModelResponse> {
      return handle(self, req, caf::actor{});
    },
    [self](v1::ModelRequest& req,
           caf::actor& sink) -> caf::result<v1::ModelResponse> {
      return handle(self, req, std::move(sink));
    },
  };
}

caf::expected<model_provider_actor>
spawn_model_provider(caf::actor_system& sys, model_provider_options opts,
                     model_metrics metrics) {
  if (auto err = validate(opts))
    return err;
  return sys.spawn(model_provider, std::move(opts), metrics);
}

child_spec model_provider_child(model_provider_options opts,
                                model_metrics metrics) {
  child_spec spec;
  spec.name = model_provider_path;
  spec.handles = handled_types<model_provider_actor>();
  spec.start
    = [opts, metrics](caf::actor_system& sys,
                      const std::string&) -> caf::expected<caf::actor> {
    return caf::actor_cast<caf::actor>(
      sys.spawn(model_provider, opts, metrics));
  };
  return spec;
}

child_spec model_provider_child(const openai_options& openai,
                                environment_map env, metrics::registry& reg,
                                std::chrono::milliseconds shutdown_timeout) {
  auto spec
    = model_provider_child(model_provider_options::from(openai, std::move(env)),
                           model_metrics::make(reg));
  spec.shutdown_timeout = shutdown_timeout;
  return spec;
}

} // namespace bsm
