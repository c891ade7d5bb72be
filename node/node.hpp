#pragma once

// The one object that holds a node's top-level state (no singletons): the
// config, the logger, the metrics registry, the name registry, the actor
// system and the root of the supervision tree.

#include <memory>
#include <mutex>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "actors/budgets/budget_actor.hpp"
#include "actors/cluster_transport.hpp"
#include "actors/http_bridge.hpp"
#include "actors/remote_call.hpp"
#include "agents/agent_catalog.hpp"
#include "agents/agent_metrics.hpp"
#include "agents/tools/tool_host.hpp"
#include "node/node_config.hpp"
#include "plugins/plugin_loader.hpp"
#include "plugins/plugin_metrics.hpp"
#include "protocols/caf_types.hpp"
#include "runtime/cluster/ask_drain.hpp"
#include "runtime/cluster/directory.hpp"
#include "runtime/events/topic_interest.hpp"
#include "runtime/http/server.hpp"
#include "runtime/logging/logger.hpp"
#include "runtime/mailbox/local_mailboxes.hpp"
#include "runtime/mailbox/mailbox_depths.hpp"
#include "runtime/mailbox/mailbox_metrics.hpp"
#include "runtime/messages/type_registry.hpp"
#include "runtime/metrics/actor_stats.hpp"
#include "runtime/metrics/registry.hpp"
#include "runtime/naming/name_registry.hpp"
#include "runtime/store/memory_watch.hpp"
#include "runtime/store/store.hpp"
#include "runtime/store/store_writer.hpp"
#include "runtime/supervision/child_spec.hpp"
#include "runtime/system_config.hpp"
#include "workflows/workflow_validation.hpp"

namespace bsm {

/// Addresses the node actually bound (port 0 resolved).
struct bound_addresses {
  std::string http;
  std::string cluster;
};

class node {
public:
  /// Builds a node from a validated config: data dir, logger, store (in
  /// <data_dir>/store), metrics, plugins, actor system. Starts no actor
  /// yet. `loaded_plugins` are the libraries of plugins.paths already loaded
  /// (bsmd loads them before, to exit 2 on a required one); null: loaded
  /// here. Errors: `unavailable` if the data dir or log file cannot be
  /// created; the store's open errors (another bsmd holds the data dir, a
  /// damaged write-ahead log); failed_precondition for a plugin that did
  /// not load with plugins.required.
  [[nodiscard]] static caf::expected<std::unique_ptr<node>>
  make(node_config cfg,
       std::shared_ptr<agents::agent_catalog> catalog = nullptr,
       std::shared_ptr<const plugins::plugin_set> loaded_plugins = nullptr);

  ~node();

  /// Starts the supervision tree and the listeners, then writes
  /// `<data_dir>/ports.json` and logs the addresses and the tree.
  /// `extra` children start under the root after the node's own (tests and
  /// embedders add their actors here; they can receive durable sends by
  /// their path). Errors: `unavailable` for a port that cannot be bound;
  /// the start error of any child.
  [[nodiscard]] caf::error start(std::vector<child_spec> extra = {});

  /// Drains the HTTP bridge (no new requests, in-flight ones finish within
  /// http.drain_timeout) and the mailboxes (drain_mailboxes), then stops
  /// the tree in reverse start order and waits for it.
  void stop();

  /// Stops the HTTP bridge's listener: new requests get 503, in-flight ones
  /// finish within http.drain_timeout, then the connections close. Blocks
  /// the calling (non-scheduler) thread; idempotent and thread-safe.
  void drain_http();

  /// After drain_http: the mailboxes start no delivery, and those in flight
  /// end and are acknowledged on disk, within shutdown.drain_timeout (0:
  /// nothing). Meanwhile, within the same time, the cluster port refuses
  /// new asks from other nodes and those it serves are answered, so no
  /// other node waits for an answer from an actor the tree stopped. Logs
  /// what was cut. Blocks the calling (non-scheduler) thread; nothing to
  /// do once the tree has stopped.
  void drain_mailboxes();

  /// Reads the agent definitions again (SIGHUP): starts added agents,
  /// stops removed ones; changed ones use their new definition from their
  /// next turn. Blocks the calling (non-scheduler) thread until done.
  caf::expected<v1::AgentReloadResponse> reload_agents();

  /// Reads the files of workflows.paths again (SIGHUP): a changed
  /// definition is stored as a new version, which new runs use. Names what
  /// it stored in `into` as "workflows/<name>" (added: a name no file had
  /// before); a file with a problem is one line in `errors` and changes
  /// nothing. Blocks the calling (non-scheduler) thread until done.
  void reload_workflows(v1::AgentReloadResponse& into);

  /// What SIGHUP and POST /v1/admin/reload do: reload_agents(),
  /// reload_workflows(), then reload_http_tls() when the bridge has TLS (a
  /// failure of either is one more line in `errors`); logs what changed or
  /// failed. Blocks the calling (non-scheduler) thread until done.
  caf::expected<v1::AgentReloadResponse> reload();

  /// Reads the HTTP bridge's TLS certificate and key again (SIGHUP): new
  /// connections use the new pair; on an error the current pair stays.
  /// Nothing to do without TLS. Thread-safe.
  [[nodiscard]] caf::error reload_http_tls();

  /// Blocks the calling (non-scheduler) thread until the root supervisor
  /// terminates; returns its exit reason (none after a clean stop).
  caf::error await_root();

  /// The root supervisor (invalid before start()).
  const caf::actor& root() const noexcept {
    return root_;
  }

  const node_config& config() const noexcept {
    return cfg_;
  }

  const bound_addresses& addresses() const noexcept {
    return addresses_;
  }

  caf::actor_system& system() noexcept {
    return *system_;
  }

  metrics::registry& metrics() noexcept {
    return *metrics_;
  }

  name_registry& names() noexcept {
    return *names_;
  }

  bsm::store& store() noexcept {
    return *store_;
  }

  const type_registry& types() const noexcept {
    return *types_;
  }

  /// Where names live in the cluster (this node's view).
  cluster::directory& directory() noexcept {
    return *directory_;
  }

  /// For tells and asks to a name wherever it lives, from outside actors.
  remote_call_env call_env() const {
    return remote_call_env{names_, directory_, types_.get()};
  }

  spdlog::logger& log() noexcept {
    return *logger_.log;
  }

private:
  explicit node(node_config cfg);

  /// drain_mailboxes' mailbox part: asks the router and logs its answer.
  void drain_router(std::chrono::milliseconds timeout);

  /// Exports the log records the asynchronous logger dropped.
  void add_log_metrics();
  /// Exports the group commit's writes and batches.
  void add_store_metrics();
  /// Starts sampling memory against store.memory_budget and exports it.
  void watch_memory();
  /// Exports the members by state, this node's incarnation and the peers
  /// the cluster port refused.
  void add_cluster_metrics();
  void add_transport_metrics();
  /// Raises the incarnation kept in the store; a node runs every start as
  /// a new incarnation, so nothing of an earlier run is taken for current.
  caf::error start_incarnation();
  /// Agent placements from the catalog, for the directory.
  void publish_placements();
  child_spec cluster_child();
  /// This node's decommission (actors/handoff_actor.hpp).
  child_spec handoff_child();
  child_spec mailboxes_child();
  /// The task queue (tasks/tasks_actor.hpp).
  child_spec tasks_child();
  /// The workflow engine (workflows/workflows_actor.hpp).
  child_spec workflows_child();
  /// What workflow definitions may name: the agents, tools and message
  /// types this node knows.
  workflows::workflow_catalog workflow_catalog() const;
  child_spec http_bridge_child();
  void add_agent_children(std::vector<child_spec>& children,
                          const supervision_env& sup_env);
  /// Logs and counts the plugins; their tools go to the tool host.
  void add_plugins(std::shared_ptr<const plugins::plugin_set> set);
  std::vector<hosted_tool_server> plugin_tool_servers() const;
  caf::error open_listeners();
  caf::error write_ports_file() const;
  caf::error log_tree();
  caf::error await_access();

  node_config cfg_;
  node_logger logger_;
  // Declared before the actor system: actors may use it until they stop.
  std::unique_ptr<bsm::store> store_;
  // Reset before the actor system: its completions message actors.
  std::unique_ptr<store_writer> writer_;
  // Samples the store, so declared after it (stopped before it).
  std::unique_ptr<memory_watch> memory_watch_;
  std::unique_ptr<type_registry> types_;
  std::unique_ptr<metrics::registry> metrics_;
  std::unique_ptr<mailbox_metrics> mailbox_metrics_;
  std::shared_ptr<mailbox_depths> depths_;
  /// Published by the mailbox router, read by the HTTP bridge.
  std::shared_ptr<local_mailboxes> local_mailboxes_;
  std::unique_ptr<http::http_metrics> http_metrics_;
  std::shared_ptr<http_bridge_env> http_env_;
  /// Who may call: read by the HTTP front on its threads.
  std::shared_ptr<security::authenticator_slot> access_;
  std::shared_ptr<const http_routes> http_routes_;
  std::unique_ptr<metrics::actor_stats_collector> stats_;
  std::shared_ptr<name_registry> names_;
  std::shared_ptr<cluster::directory> directory_;
  std::shared_ptr<agents::agent_catalog> catalog_;
  std::unique_ptr<agents::agent_metrics> agent_metrics_;
  /// Declared before the actor system: its actors run the plugins' code,
  /// which stays mapped until they are gone.
  std::shared_ptr<const plugins::plugin_set> plugins_;
  /// The definitions of workflows.paths, read at start.
  std::vector<workflows::workflow_definition> workflow_files_;
  plugins::plugin_metrics plugin_metrics_;
  std::unique_ptr<budget_metrics> budget_metrics_;
  std::unique_ptr<system_config> system_cfg_;
  std::unique_ptr<caf::actor_system> system_;
  caf::actor root_;
  // Turns supervision events into bus events; outside the tree it reports.
  caf::actor relay_;
  // Published on the cluster port; forwards to the mailbox router.
  caf::actor ingress_;
  /// The asks ingress_ serves for other nodes, drained on a stop.
  std::shared_ptr<cluster::ask_drain> asks_;
  // Kept by the event bus, asked by the publishers that check it first.
  std::shared_ptr<events::topic_interest> event_interest_
    = std::make_shared<events::topic_interest>();
  // Serves and connects the cluster port (guarded reads, mutual TLS);
  // stopped after the tree, whose membership connects through it.
  caf::io::middleman_actor transport_;
  std::shared_ptr<cluster_transport_counters> transport_counters_
    = std::make_shared<cluster_transport_counters>();
  // Stopped (drained) before the tree, so answers can still be made.
  std::unique_ptr<http::server> http_server_;
  // What ports.json and the log show: "https://host:port" with TLS.
  std::string published_http_;
  std::mutex http_mtx_;
  // One reload at a time: SIGHUP and POST /v1/admin/reload may come
  // together, and a reload rewrites workflow_files_.
  std::mutex reload_mtx_;
  bound_addresses addresses_;
  std::chrono::steady_clock::time_point started_at_;
};

/// Renders a supervision tree as indented lines, one per node.
std::string render_tree(const v1::TreeNode& root);

} // namespace bsm
