#pragma once

// The model provider (`model_provider_actor`, actors/interfaces.hpp): the
// one place agents call language models through.
//
// - provider "local": answered inline by `models::complete_locally`
//   (pure, microseconds), so it runs on the provider's own thread.
// - provider "openai": any OpenAI-compatible upstream. Each call blocks a
//   thread for up to its deadline, so calls run on a pool of at most
//   `max_concurrency` detached worker actors, spawned on demand and linked
//   to the provider. Requests beyond that wait in a FIFO queue of at most
//   `max_queued`; one more is refused with `resource_exhausted`.
// - anything else: `invalid_argument`.
//
// Streaming (`ModelRequest, caf::actor sink`): each content fragment, and
// each fragment of a call of a tool the request names in
// `relay_tool_calls`, goes to the sink as a `v1::ChatDelta`, in order,
// before the answer goes to the requester. The local provider sends its
// content a word at a time and each relayed call whole.
//
// API keys: actors read no environment (STYLE.md, section 3), and getenv
// races with any setenv on another thread. The node therefore reads the
// environment once at start (`read_environment`) and passes the snapshot
// in the options; a request's `model.api_key_env` is looked up there, so
// agents added by a reload find every variable the node was started with.
// A request that overrides `model.base_url` without naming an
// `api_key_env` gets no key: the node's key is never sent to an upstream
// other than the configured one.
//
// Metrics: bsm_model_requests_total{provider,outcome} (outcome "ok" or the
// error code), bsm_model_request_duration_seconds{provider} (arrival to
// answer, queueing included), bsm_model_retries_total{provider}.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/interfaces.hpp"
#include "agents/models/openai_client.hpp"
#include "agents/models/openai_options.hpp"
#include "runtime/metrics/instrumented.hpp"
#include "runtime/metrics/registry.hpp"
#include "runtime/supervision/child_spec.hpp"

namespace bsm {

/// Path under which the provider is registered (a child of the root).
inline constexpr const char* model_provider_path = "model_provider";

/// Environment variables by name.
using environment_map = std::map<std::string, std::string>;

/// Reads the process environment. Call once at node start (node code),
/// before threads that might call setenv exist.
environment_map read_environment();

struct model_provider_options {
  /// Defaults of every openai request, the API key already resolved.
  /// `openai.timeout` bounds every call: a request's `timeout_ms` (an
  /// agent's remaining turn time) can only shorten it. Hot-reloadable: no.
  models::openai_endpoint openai;
  /// Upstream calls at once (worker threads). Default: 8. Range: 1..256.
  uint32_t max_concurrency = 8;
  /// openai requests waiting for a worker; one more is refused with
  /// `resource_exhausted`. Default: 1024.
  size_t max_queued = 1024;
  /// Where `ModelSettings.api_key_env` finds its key (a snapshot taken at
  /// node start). Default: empty.
  environment_map environment;

  /// The options of the config's `openai` section. The key is
  /// `openai.api_key`, or else `env[openai.api_key_env]` (may be empty:
  /// local upstreams such as Ollama need none).
  static model_provider_options from(const openai_options& openai,
                                     environment_map env);
};

/// Errors: `invalid_argument` for max_concurrency outside 1..256, an empty
/// or non-HTTP(S) base_url, zero timeouts, or backoff_initial >
/// backoff_max.
[[nodiscard]] caf::error validate(const model_provider_options& opts);

/// The endpoint for one openai request: the defaults with the request's
/// `base_url` and `api_key_env` applied (see the file comment for keys).
/// Errors: `invalid_argument` for a base_url that is not http(s) or an
/// api_key_env that names an unset or empty variable.
[[nodiscard]] caf::expected<models::openai_endpoint>
resolve_endpoint(const model_provider_options& opts,
                 const v1::ModelSettings& model);

/// The provider's series, registered once per node; copies share them.
/// REQUIRES: the registry outlives every copy.
struct model_metrics {
  /// bsm_model_requests_total{provider,outcome}.
  metrics::family<metrics::counter>& requests;
  /// bsm_model_request_duration_seconds{provider}.
  metrics::family<metrics::histogram>& duration;
  /// bsm_model_retries_total{provider}.
  metrics::family<metrics::counter>& retries;

  static model_metrics make(metrics::registry& reg);

  /// Counts one answered request; `provider` must be a known label value.
  void record(const std::string& provider, const caf::error& outcome,
              std::chrono::steady_clock::duration elapsed) const;
};

/// What an openai worker shares with the provider.
struct model_worker_env {
  model_provider_options opts;
  model_metrics metrics;
  /// Set when the provider terminates: workers abort their transfers.
  std::shared_ptr<std::atomic<bool>> cancelled;
};

struct model_provider_state {
  static constexpr const char* name = "model_provider";

  /// One openai request waiting for, or running on, a worker.
  struct job {
    v1::ModelRequest req;
    /// Invalid for a non-streaming request.
    caf::actor sink;
    caf::typed_response_promise<v1::ModelResponse> rp;
    std::chrono::steady_clock::time_point arrived;
  };

  ~model_provider_state();

  std::shared_ptr<const model_worker_env> env;
  /// Every worker spawned (running or idle).
  std::vector<caf::actor> workers;
  /// Workers waiting for a job.
  std::vector<caf::actor> idle;
  /// Jobs waiting for a worker, oldest first.
  std::deque<job> queue;
};

using model_provider_pointer = caf::stateful_actor<
  model_provider_state,
  typed_actor_base<
    caf::replies_to<v1::ModelRequest>::with<v1::ModelResponse>,
    caf::replies_to<v1::ModelRequest, caf::actor>::with<v1::ModelResponse>>>*;

/// The behavior of the provider. REQUIRES: validate(opts) succeeded.
model_provider_actor::behavior_type model_provider(model_provider_pointer self,
                                                   model_provider_options opts,
                                                   model_metrics metrics);

/// Spawns a provider. Errors: those of `validate(opts)`.
[[nodiscard]] caf::expected<model_provider_actor>
spawn_model_provider(caf::actor_system& sys, model_provider_options opts,
                     model_metrics metrics);

/// A child spec named `model_provider_path` that runs the provider.
/// REQUIRES: validate(opts) succeeded.
child_spec model_provider_child(model_provider_options opts,
                                model_metrics metrics);

/// The provider of a node: options from `openai` and `env` (see
/// `model_provider_options::from`), metrics registered in `reg`, stopped
/// within `shutdown_timeout`.
child_spec model_provider_child(const openai_options& openai,
                                environment_map env, metrics::registry& reg,
                                std::chrono::milliseconds shutdown_timeout);

} // namespace bsm
