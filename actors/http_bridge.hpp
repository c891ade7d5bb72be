#pragma once

// The HTTP bridge (API.md). Two halves:
// - the front (http_api/front.hpp), on the HTTP server's I/O threads: path
//   normalisation, CORS, access (who calls, with which permission), route
//   matching, 404 and 405, draining, and the few answers made from memory
//   (/healthz, /metrics); every other request becomes a message to
// - the bridge actor, a supervised child named "http_bridge", which turns
//   requests into typed messages to other actors and their replies into
//   answers, without ever waiting on a thread.
// Routes are listed in one place, http_api/routes.cpp, each with the one
// permission it requires.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <spdlog/logger.h>

#include "actors/interfaces.hpp"
#include "actors/remote_call.hpp"
#include "actors/timed_request.hpp"
#include "runtime/cluster/directory.hpp"
#include "runtime/http/exchange.hpp"
#include "runtime/http/http_options.hpp"
#include "runtime/http/route_doc.hpp"
#include "runtime/http/route_table.hpp"
#include "runtime/http/session.hpp"
#include "runtime/mailbox/local_mailboxes.hpp"
#include "runtime/mailbox/mailbox_depths.hpp"
#include "runtime/messages/type_registry.hpp"
#include "runtime/metrics/registry.hpp"
#include "runtime/naming/name_registry.hpp"
#include "runtime/security/authenticator.hpp"
#include "runtime/security/concurrency_limiter.hpp"
#include "runtime/security/permission_template.hpp"
#include "runtime/security/request_limits.hpp"
#include "runtime/store/memory_watch.hpp"

namespace bsm {

/// Registered path of the bridge actor.
inline constexpr const char* http_bridge_path = "http_bridge";

/// What the front and the bridge actor share. Every pointer must outlive
/// both; `root` is set once the tree runs, before the first request.
namespace gateway {
class mcp_server;
class a2a_tasks;
} // namespace gateway

struct http_bridge_env {
  std::string node_name;
  std::chrono::steady_clock::time_point started_at;
  http_options opts;
  const type_registry* types = nullptr;
  std::shared_ptr<name_registry> names;
  std::shared_ptr<mailbox_depths> depths;
  /// Local targets' mailboxes: a tell to one skips the mailbox router. May
  /// be null (every tell goes through the router).
  std::shared_ptr<const local_mailboxes> mailboxes;
  /// mailbox.max_envelope_bytes, checked on that shortcut.
  size_t max_envelope_bytes = 0;
  metrics::registry* metrics = nullptr;
  std::shared_ptr<spdlog::logger> log;
  /// The root supervisor (for /v1/tree and /readyz).
  std::shared_ptr<caf::actor> root;
  /// Set when the node begins to shut down.
  std::shared_ptr<std::atomic<bool>> draining;
  /// Where names live in the cluster; null without the cluster layer.
  std::shared_ptr<const cluster::directory> directory;
  /// Who calls: the authenticator in force.
  std::shared_ptr<security::authenticator_slot> access;
  /// GET /metrics without credentials (security.metrics_open).
  bool metrics_open = false;
  /// GET /openapi.json without credentials (security.openapi_open).
  bool openapi_open = true;
  /// Per principal: chats in flight, open event streams.
  std::shared_ptr<security::concurrency_limiter> chats;
  std::shared_ptr<security::concurrency_limiter> streams;
  /// Request rates per address and per principal; null: none.
  std::shared_ptr<security::request_limits> rates;
  /// The node's memory budget and its use (store.memory_budget); null:
  /// no work is refused for memory.
  const memory_watch* memory = nullptr;
  /// bsm_http_refused_memory_total; may be null.
  metrics::counter* memory_refusals = nullptr;
  /// POST /v1/admin/reload: the node's reload, the one SIGHUP runs. It
  /// blocks, so the bridge runs it on a detached actor of its own, one at
  /// a time (`reloading`). Null: the route answers 503.
  std::function<caf::expected<v1::AgentReloadResponse>()> reload;
  std::shared_ptr<std::atomic<bool>> reloading
    = std::make_shared<std::atomic<bool>>(false);
  /// The MCP server's sessions, hosts and metrics (gateway/mcp_server.hpp);
  /// null: /mcp is off (mcp.enabled).
  std::shared_ptr<gateway::mcp_server> mcp;
  /// The A2A server's tasks (gateway/a2a_tasks.hpp); null: /a2a is off
  /// (a2a.enabled).
  std::shared_ptr<gateway::a2a_tasks> a2a;
  /// a2a.public_url: the base URL the Agent Cards name; empty: from Host.
  std::string a2a_public_url;
  /// GET /v1/plugins's body: the plugins loaded at start and those skipped
  /// (plugins/plugin_report.hpp), made once, as they never change while
  /// the node runs.
  std::string plugins_json = R"({"plugins":[]})";

  /// For asks to a name wherever it lives.
  remote_call_env call_env() const {
    return remote_call_env{names, directory, types};
  }
};

struct http_bridge_state;
using http_bridge_pointer = caf::stateful_actor<http_bridge_state>*;

/// How one route is answered.
struct http_route {
  /// The one permission the route requires ("open" for none).
  security::permission_template permission;
  /// On the I/O thread, from memory only (never blocks, never messages).
  std::function<void(const http_bridge_env&, const http::exchange_ptr&)>
    from_memory;
  /// By the bridge actor.
  std::function<void(http_bridge_pointer, const http::exchange_ptr&)> by_actor;
  /// A dashboard page: gets the browser security headers.
  bool dashboard = false;
  /// Which per-principal limit of concurrent exchanges the route counts in.
  enum class concurrency { none, chat, stream } counts_in = concurrency::none;
  /// Answers an error in the route's own shape (OpenAI's); null: API.md's.
  std::function<void(const http::exchange_ptr&, const caf::error&)>
    respond_error;
  /// What the route reads and answers (the OpenAPI document, the 415s).
  http::route_doc doc;
};

using http_routes = http::route_table<http_route>;

struct http_bridge_state {
  static constexpr const char* name = "http_bridge";

  http_bridge_pointer self = nullptr;
  std::shared_ptr<const http_bridge_env> env;
  std::shared_ptr<const http_routes> routes;
  /// The deadlines of the requests the routes make per HTTP request, on
  /// one timer (timed_request.hpp).
  request_deadlines deadlines;

  void handle(const http::exchange_ptr& ex);
};

/// The bridge actor. Idempotency-Keys are kept by the `http_idempotency`
/// store of the node that owns each request's target
/// (http_api/idempotency.hpp).
caf::behavior http_bridge(http_bridge_pointer self,
                          std::shared_ptr<const http_bridge_env> env,
                          std::shared_ptr<const http_routes> routes);

} // namespace bsm
