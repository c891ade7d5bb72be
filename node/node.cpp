#include "node/node.hpp"

#include <atomic>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <nlohmann/json.hpp>

#include "actors/cluster_ingress.hpp"
#include "actors/cluster_membership.hpp"
#include "actors/event_bus.hpp"
#include "actors/handoff_actor.hpp"
#include "actors/http_idempotency_store.hpp"
#include "actors/mailbox_router.hpp"
#include "actors/memory_actor.hpp"
#include "actors/node_info_actor.hpp"
#include "actors/security_hub.hpp"
#include "actors/supervision_relay.hpp"
#include "agents/agent_manager.hpp"
#include "agents/models/model_provider.hpp"
#include "agents/tools/builtin_tools.hpp"
#include "agents/tools/tool_host.hpp"
#include "agents/tools/tool_ledger.hpp"
#include "gateway/a2a_tasks.hpp"
#include "gateway/mcp_server.hpp"
#include "http_api/front.hpp"
#include "http_api/routes.hpp"
#include "plugins/plugin_kinds.hpp"
#include "plugins/plugin_report.hpp"
#include "plugins/plugin_tools.hpp"
#include "protocols/enum_label.hpp"
#include "runtime/config/listen_address.hpp"
#include "runtime/error.hpp"
#include "runtime/filesystem.hpp"
#include "runtime/listen_socket.hpp"
#include "runtime/messages/handled_types.hpp"
#include "runtime/process_memory.hpp"
#include "runtime/store/big_endian.hpp"
#include "runtime/store/memory_metrics.hpp"
#include "runtime/supervision/supervisor.hpp"
#include "tasks/tasks_actor.hpp"
#include "workflows/definition_files.hpp"
#include "workflows/workflow_version.hpp"
#include "workflows/workflows_actor.hpp"

namespace bsm {

namespace {

cluster_transport_options transport_options(const cluster_options& x) {
  cluster_transport_options result;
  result.limits.max_frame_bytes = x.max_frame_bytes;
  result.limits.max_handshake_bytes = x.max_handshake_bytes;
  result.handshake_timeout = x.handshake_timeout;
  result.max_pending_handshakes = x.max_pending_handshakes;
  result.tls = tls_enabled(x);
  return result;
}

// How long start() waits for the root to answer; children spawn
// asynchronously, so the first answer proves the tree came up.

supervisor_options root_options(const supervision_options& sup) {
  supervisor_options opts;
  opts.strategy = restart_strategy::one_for_one;
  opts.max_restarts = sup.max_restarts;
  opts.period = sup.period;
  opts.backoff_initial = sup.backoff_initial;
  opts.backoff_max = sup.backoff_max;
  opts.tree_timeout = sup.tree_timeout;
  return opts;
}

// "One worker per core" leaves no core to the HTTP I/O threads, which
// then wait behind actors; reserve theirs.
scheduler_options scheduler_for(scheduler_options opts,
                                const http_options& http) {
  if (opts.threads > 0)
    return opts;
  auto cores = std::max(1u, std::thread::hardware_concurrency());
  opts.threads = cores > http.io_threads ? cores - http.io_threads : 1;
  return opts;
}

child_spec node_info_child(const node_config& cfg,
                           std::chrono::steady_clock::time_point started_at) {
  child_spec spec;
  spec.name = "node_info";
  spec.handles = handled_types<node_info_actor>();
  spec.shutdown_timeout = cfg.supervision.shutdown_timeout;
  node_info_options opts{cfg.node.name, started_at};
  spec.start = [opts](caf::actor_system& sys,
                      const std::string&) -> caf::expected<caf::actor> {
    return caf::actor_cast<caf::actor>(sys.spawn(node_info, opts));
  };
  return spec;
}

child_spec memory_child(const node_config& cfg, store* db,
                        metrics::registry& reg,
                        memory_replication_env replication) {
  child_spec spec;
  spec.name = "memory";
  spec.handles = handled_types<memory_actor>();
  spec.shutdown_timeout = cfg.supervision.shutdown_timeout;
  // One for every incarnation: a restart must not forget turn numbers
  // handed to a mailbox and not yet committed.
  auto sequences = std::make_shared<session_sequences>(
    static_cast<size_t>(cfg.memory.sequence_cache_sessions),
    session_sequence_metrics::make(reg));
  spec.start =
    [db, limits = cfg.memory, metrics = session_cache_metrics::make(reg),
     sequences, replication = std::move(replication),
     replica_metrics = memory_replica_metrics::make(reg)](
      caf::actor_system& sys, const std::string&) -> caf::expected<caf::actor> {
    // Detached: its store reads and writes block its own thread only.
    return caf::actor_cast<caf::actor>(sys.spawn<caf::detached>(
      memory, db, limits, metrics, sequences, replication, replica_metrics));
  };
  return spec;
}

child_spec security_child(const node_config& cfg, store* db,
                          std::shared_ptr<security::authenticator_slot> access,
                          std::shared_ptr<spdlog::logger> log,
                          metrics::registry& reg) {
  child_spec spec;
  spec.name = security_path;
  spec.handles = handled_types<security_hub_actor>();
  spec.shutdown_timeout = cfg.supervision.shutdown_timeout;
  // Made once: each incarnation of the hub shows its backoff in them.
  spec.start = [opts = cfg.security, db, access, log,
                backoff = security::login_backoff_metrics::make(reg)](
                 caf::actor_system& sys,
                 const std::string&) -> caf::expected<caf::actor> {
    // Detached: the store and password hashing block its own thread only.
    return caf::actor_cast<caf::actor>(
      sys.spawn<caf::detached>(security_hub, opts, db, access, log, backoff));
  };
  return spec;
}

void render_tree(const v1::TreeNode& x, int depth, std::ostringstream& out) {
  out << std::string(static_cast<size_t>(depth) * 2, ' ') << x.name();
  if (x.strategy() != v1::RESTART_STRATEGY_UNSPECIFIED)
    out << " ["
        << enum_label(v1::RestartStrategy_Name(x.strategy()),
                      "RESTART_STRATEGY_")
        << "]";
  if (x.state() != v1::CHILD_STATE_UNSPECIFIED)
    out << " " << enum_label(v1::ChildState_Name(x.state()), "CHILD_STATE_");
  if (x.restarts() > 0)
    out << " restarts=" << x.restarts();
  out << '\n';
  for (const auto& child : x.children())
    render_tree(child, depth + 1, out);
}

} // namespace

std::string render_tree(const v1::TreeNode& root) {
  std::ostringstream out;
  render_tree(root, 0, out);
  return out.str();
}

node::node(node_config cfg) : cfg_(std::move(cfg)) {}

node::~node() {
  stop();
  writer_.reset();
}

caf::expected<std::unique_ptr<node>>
node::make(node_config cfg, std::shared_ptr<agents::agent_catalog> catalog,
           std::shared_ptr<const plugins::plugin_set> loaded_plugins) {
  if (!catalog) {
    catalog = std::make_shared<agents::agent_catalog>(cfg.agents.paths);
    if (auto diff = catalog->load(); !diff)
      return diff.error();
  }
  if (auto err = ensure_directory(cfg.node.data_dir, "data dir"))
    return err;
  std::unique_ptr<node> result{new node(std::move(cfg))};
  auto& n = *result;
  auto logger = make_node_logger(n.cfg_.logging, n.cfg_.node.name);
  if (!logger)
    return logger.error();
  n.logger_ = std::move(*logger);
  auto db = store::open(n.cfg_.node.data_dir / "store", n.cfg_.store);
  if (!db)
    return db.error();
  n.store_ = std::move(*db);
  n.writer_ = std::make_unique<store_writer>(*n.store_);
  n.types_
    = std::make_unique<type_registry>(type_registry::with_bsm_v1_types());
  n.metrics_ = std::make_unique<metrics::registry>();
  if (!loaded_plugins) {
    const auto* types = n.types_.get();
    auto loaded = plugins::load_plugins(
      n.cfg_.plugins,
      [types](const std::string& x) { return types->contains(x); },
      tool_server_names(n.cfg_));
    if (!loaded)
      return loaded.error();
    loaded_plugins
      = std::make_shared<const plugins::plugin_set>(std::move(*loaded));
  }
  n.add_plugins(std::move(loaded_plugins));
  n.add_log_metrics();
  n.add_store_metrics();
  n.watch_memory();
  n.mailbox_metrics_
    = std::make_unique<mailbox_metrics>(mailbox_metrics::make(*n.metrics_));
  n.depths_ = std::make_shared<mailbox_depths>();
  n.local_mailboxes_ = std::make_shared<local_mailboxes>();
  n.http_metrics_ = http::http_metrics::make(*n.metrics_);
  n.stats_ = std::make_unique<metrics::actor_stats_collector>(*n.metrics_);
  n.names_ = std::make_shared<name_registry>();
  n.directory_
    = std::make_shared<cluster::directory>(n.cfg_.node.name, n.names_);
  // No hashed name runs here before the membership actor knows the
  // cluster (runtime/cluster/join_rule.hpp).
  if (has_peers(n.cfg_.cluster))
    n.directory_->set_join(cluster::join_state::joining);
  n.directory_->set_replication_factor(n.cfg_.cluster.replication_factor);
  if (auto err = n.start_incarnation())
    return err;
  n.catalog_ = std::move(catalog);
  n.publish_placements();
  n.add_cluster_metrics();
  n.agent_metrics_ = std::make_unique<agents::agent_metrics>(
    agents::agent_metrics::make(*n.metrics_));
  // Checks the key files now; the slot is filled by the security hub
  // once it has read the stored credentials too (await_access).
  if (auto access = security::authenticator::make(n.cfg_.security); !access)
    return access.error();
  n.access_ = std::make_shared<security::authenticator_slot>();
  n.metrics_->add_collector(
    [access = n.access_,
     series = std::make_shared<security::verified_tokens_series>(*n.metrics_)] {
      if (auto current = access->get())
        series->publish(current->verified());
    });
  // A workflow file with a problem stops the start, as an agent's does.
  auto flows = workflows::load_definition_files(n.cfg_.workflows.paths,
                                                n.workflow_catalog());
  if (!flows)
    return flows.error();
  n.workflow_files_ = std::move(*flows);
  n.system_cfg_ = std::make_unique<system_config>(
    scheduler_for(n.cfg_.scheduler, n.cfg_.http), n.stats_.get(),
    n.logger_.log);
  n.system_cfg_->load<caf::io::middleman>();
  if (tls_enabled(n.cfg_.cluster)) {
    // caf_openssl reads these per TLS session (actors/cluster_transport).
    n.system_cfg_->openssl_certificate = n.cfg_.cluster.tls_certificate;
    n.system_cfg_->openssl_key = n.cfg_.cluster.tls_key;
    n.system_cfg_->openssl_cafile = n.cfg_.cluster.tls_ca;
    n.system_cfg_->load<caf::openssl::manager>();
  }
  n.system_ = std::make_unique<caf::actor_system>(*n.system_cfg_);
  return result;
}

caf::error node::start_incarnation() {
  auto stored = store_->get(column::meta, incarnation_key);
  if (!stored)
    return stored.error();
  uint64_t last = 0;
  if (*stored && (*stored)->size() == 8)
    last = read_big_endian(**stored);
  std::string next;
  append_big_endian(next, last + 1);
  if (auto err = store_->put(column::meta, incarnation_key, next))
    return err;
  directory_->set_incarnation(last + 1);
  return caf::none;
}

void node::publish_placements() {
  std::map<std::string, cluster::placement> rules;
  for (const auto& entry : catalog_->all()) {
    const auto& def = entry->def;
    rules.emplace(agent_path(def.name()),
                  cluster::placement{def.placement_node(), def.stateless()});
  }
  directory_->set_placements(std::move(rules));
}

child_spec node::cluster_child() {
  child_spec spec;
  spec.name = cluster_membership_path;
  spec.handles = handled_types<cluster_membership_actor>();
  spec.shutdown_timeout = cfg_.supervision.shutdown_timeout;
  cluster_membership_env env;
  env.opts = cfg_.cluster;
  env.directory = directory_;
  env.names = names_;
  env.log = logger_.log;
  env.db = store_.get();
  env.writer = writer_.get();
  env.transport = transport_;
  env.types = types_.get();
  spec.start = [env](caf::actor_system& sys,
                     const std::string&) -> caf::expected<caf::actor> {
    return caf::actor_cast<caf::actor>(sys.spawn(cluster_membership, env));
  };
  return spec;
}

child_spec node::handoff_child() {
  child_spec spec;
  spec.name = handoff_path;
  spec.handles = handled_types<handoff_actor>();
  spec.shutdown_timeout = cfg_.supervision.shutdown_timeout;
  handoff_env env;
  env.calls = remote_call_env{names_, directory_, types_.get()};
  env.directory = directory_;
  env.db = store_.get();
  env.depths = depths_;
  env.log = logger_.log;
  env.metrics = handoff_metrics::make(*metrics_);
  spec.start = [env](caf::actor_system& sys,
                     const std::string&) -> caf::expected<caf::actor> {
    // Detached: it lists and reads the store.
    return caf::actor_cast<caf::actor>(sys.spawn<caf::detached>(handoff, env));
  };
  return spec;
}

void node::add_cluster_metrics() {
  auto& members = metrics_->gauge_family(
    "bsm_cluster_members",
    "Members of the cluster as this node sees them, by state; this node "
    "counts itself as up.",
    {"state"});
  auto& incarnation = metrics_
                        ->gauge_family("bsm_cluster_incarnation",
                                       "This node's current incarnation.")
                        .with();
  // Every state has a series from the start, so a scrape shows 0s.
  std::map<v1::MemberState, metrics::gauge*> by_state;
  for (auto x :
       {v1::MEMBER_STATE_UP, v1::MEMBER_STATE_SUSPECT, v1::MEMBER_STATE_DOWN,
        v1::MEMBER_STATE_LEFT, v1::MEMBER_STATE_LEAVING})
    by_state[x]
      = &members.with({enum_label(v1::MemberState_Name(x), "MEMBER_STATE_")});
  metrics_->add_collector([dir = directory_, by_state, &incarnation] {
    // This node answers, so it is up (1 on a single node).
    std::map<v1::MemberState, double> counts{{v1::MEMBER_STATE_UP, 1}};
    for (const auto& m : dir->members())
      counts[m.state] += 1;
    for (const auto& [state, g] : by_state)
      g->set(counts[state]);
    incarnation.set(static_cast<double>(dir->incarnation()));
  });
  add_transport_metrics();
}

void node::add_transport_metrics() {
  auto& refused = metrics_->counter_family(
    "bsm_cluster_peers_refused_total",
    "Connections the cluster port closed before or at the handshake, by "
    "reason: a frame over its limit or out of order, no handshake in time, "
    "too many connections waiting for theirs, a handshake that failed "
    "(with TLS: no certificate from the cluster CA).",
    {"reason"});
  using counter_field = std::atomic<uint64_t> cluster_transport_counters::*;
  const std::pair<const char*, counter_field> reasons[]
    = {{"frame", &cluster_transport_counters::refused_frames},
       {"handshake_timeout", &cluster_transport_counters::handshake_timeouts},
       {"pending_limit", &cluster_transport_counters::over_pending_limit},
       {"handshake_failed", &cluster_transport_counters::handshake_failures}};
  for (const auto& [label, field] : reasons) {
    auto& series = refused.with({label});
    auto published = std::make_shared<std::atomic<uint64_t>>(0);
    metrics_->add_collector(
      [counters = transport_counters_, &series, published, field = field] {
        auto now = ((*counters).*field).load();
        if (auto before = published->exchange(now); now > before)
          series.inc(now - before);
      });
  }
}

void node::add_log_metrics() {
  // The series exists from the start, so a scrape shows 0, not nothing.
  auto& dropped = metrics_
                    ->counter_family(
                      "bsm_log_records_dropped_total",
                      "Log records dropped because the log writer fell behind.")
                    .with();
  // Collectors may run for overlapping scrapes: publish each drop once.
  auto published = std::make_shared<std::atomic<size_t>>(0);
  metrics_->add_collector([this, &dropped, published] {
    auto now = logger_.dropped();
    auto before = published->exchange(now);
    if (now > before)
      dropped.inc(now - before);
  });
}

void node::add_store_metrics() {
  auto& writes = metrics_
                   ->counter_family("bsm_store_group_commits_total",
                                    "Store writes, each a group of batches.")
                   .with();
  auto& batches = metrics_
                    ->counter_family("bsm_store_batches_total",
                                     "Batches written by group commits.")
                    .with();
  // Publish the writer's running totals as increments, once per change.
  auto published
    = std::make_shared<std::pair<std::atomic<uint64_t>, std::atomic<uint64_t>>>(
      0, 0);
  metrics_->add_collector([this, &writes, &batches, published] {
    auto w = writer_->writes();
    auto b = writer_->batches();
    if (auto before = published->first.exchange(w); w > before)
      writes.inc(w - before);
    if (auto before = published->second.exchange(b); b > before)
      batches.inc(b - before);
  });
}

void node::watch_memory() {
  // Once a second: a verdict is at most that stale, as Retry-After says.
  constexpr std::chrono::seconds interval{1};
  memory_limits limits{cfg_.store.memory_budget, cfg_.store.memory_headroom};
  memory_watch_ = std::make_unique<memory_watch>(
    limits,
    [db = store_.get()] {
      auto use = db->memory_in_use();
      // Before reading the resident set: what the allocator holds free
      // (over 8 MiB) goes back first, so the rule judges memory in use.
      release_free_memory(8u << 20);
      use.resident = resident_bytes();
      return use;
    },
    interval);
  add_memory_metrics(*metrics_, *memory_watch_);
}

child_spec node::mailboxes_child() {
  child_spec spec;
  spec.name = mailbox_router_path;
  spec.handles = handled_types<mailbox_router_actor>();
  spec.shutdown_timeout = cfg_.supervision.shutdown_timeout;
  mailbox_env env;
  env.db = store_.get();
  env.writer = writer_.get();
  env.types = types_.get();
  env.names = names_;
  env.opts = cfg_.mailbox;
  env.log = logger_.log;
  env.metrics = mailbox_metrics_.get();
  env.depths = depths_;
  env.locals = local_mailboxes_;
  env.directory = directory_;
  // Store-backed handlers: their effects commit with their envelopes.
  env.store_backed = {"memory"};
  spec.start = [env](caf::actor_system& sys,
                     const std::string&) -> caf::expected<caf::actor> {
    return caf::actor_cast<caf::actor>(sys.spawn(mailbox_router, env));
  };
  return spec;
}

child_spec node::tasks_child() {
  tasks::tasks_env env;
  env.db = store_.get();
  env.writer = writer_.get();
  env.calls = call_env();
  env.node_name = cfg_.node.name;
  env.incarnation = directory_->incarnation();
  env.opts = cfg_.tasks;
  env.metrics = std::make_shared<tasks::task_metrics>(
    tasks::task_metrics::make(*metrics_));
  env.topics = event_interest_;
  env.log = logger_.log;
  return tasks::tasks_child(std::move(env), cfg_.supervision.shutdown_timeout);
}

workflows::workflow_catalog node::workflow_catalog() const {
  workflows::workflow_catalog catalog;
  catalog.has_agent = [agents = catalog_](const std::string& name) {
    return agents && agents->find(name) != nullptr;
  };
  // Built-in tools by name; the others by their source ("<source>__<tool>":
  // an MCP server, a remote A2A agent or a plugin), whose tools are known
  // only once it answers.
  std::set<std::string> sources;
  for (const auto& server : cfg_.tools.mcp_servers)
    sources.insert(server.name);
  for (const auto& agent : cfg_.a2a.agents)
    sources.insert(agent.name);
  if (plugins_)
    for (const auto& plugin : plugins_->loaded)
      sources.insert(plugin->name());
  catalog.has_tool = [sources](const std::string& name) {
    if (agents::is_builtin_tool(name))
      return true;
    auto cut = name.find("__");
    return cut != std::string::npos && cut + 2 < name.size()
           && sources.count(name.substr(0, cut)) > 0;
  };
  catalog.has_message_type = [types = types_.get()](const std::string& name) {
    return types->contains(name);
  };
  return catalog;
}

child_spec node::workflows_child() {
  workflows::workflows_env env;
  env.db = store_.get();
  env.writer = writer_.get();
  env.calls = call_env();
  env.node_name = cfg_.node.name;
  env.max_running = cfg_.workflows.max_running;
  env.max_body_bytes = cfg_.workflows.max_body_bytes;
  env.limits.max_map_items = cfg_.workflows.max_map_items;
  env.limits.max_output_bytes = cfg_.workflows.max_output_bytes;
  env.catalog = workflow_catalog();
  env.initial = workflow_files_;
  env.metrics = std::make_shared<workflows::workflow_metrics>(
    workflows::workflow_metrics::make(*metrics_));
  env.topics = event_interest_;
  env.log = logger_.log;
  return workflows::workflows_child(std::move(env),
                                    cfg_.supervision.shutdown_timeout);
}

child_spec tool_ledger_child(const node_config& cfg, store* db) {
  child_spec spec;
  spec.name = tool_ledger_path;
  spec.handles = handled_types<tool_ledger_actor>();
  spec.shutdown_timeout = cfg.supervision.shutdown_timeout;
  spec.start = [db, ttl = cfg.mailbox.idempotency_ttl](
                 caf::actor_system& sys,
                 const std::string&) -> caf::expected<caf::actor> {
    // Detached: its store reads and writes block its own thread only.
    return caf::actor_cast<caf::actor>(
      sys.spawn<caf::detached>(tool_ledger, db, ttl));
  };
  return spec;
}

child_spec http_idempotency_child(const node_config& cfg, store* db) {
  child_spec spec;
  spec.name = http_idempotency_path;
  spec.handles = handled_types<http_idempotency_actor>();
  spec.shutdown_timeout = cfg.supervision.shutdown_timeout;
  http_idempotency_options opts;
  opts.ttl = cfg.mailbox.idempotency_ttl;
  // A claim outlives the longest request a bridge may run for it.
  opts.claims.max_lease = cfg.http.max_ask_timeout + cfg.http.internal_timeout;
  spec.start = [db, opts](caf::actor_system& sys,
                          const std::string&) -> caf::expected<caf::actor> {
    // Detached: its store reads and writes block its own thread only.
    return caf::actor_cast<caf::actor>(
      sys.spawn<caf::detached>(http_idempotency_store, db, opts));
  };
  return spec;
}

void node::add_plugins(std::shared_ptr<const plugins::plugin_set> set) {
  for (const auto& p : set->loaded)
    logger_.log->info("{}", plugins::summary(*p));
  for (const auto& x : set->failed)
    logger_.log->warn("{}; skipped", plugins::describe(x));
  plugin_metrics_ = plugins::plugin_metrics::make(*metrics_, *set);
  plugins_ = std::move(set);
}

std::vector<hosted_tool_server> node::plugin_tool_servers() const {
  std::vector<hosted_tool_server> result;
  for (const auto& p : plugins_->loaded) {
    if (p->contents().tools.empty())
      continue;
    hosted_tool_server server;
    server.name = p->name();
    server.child = plugins::tools_child_name(p->name());
    server.call_timeout = cfg_.tools.call_timeout;
    server.start = [p, metrics = plugin_metrics_](
                     caf::actor_system& sys,
                     const std::string&) -> caf::expected<caf::actor> {
      return caf::actor_cast<caf::actor>(
        plugins::spawn_plugin_tools(sys, p, metrics));
    };
    result.push_back(std::move(server));
  }
  return result;
}

void node::add_agent_children(std::vector<child_spec>& children,
                              const supervision_env& sup_env) {
  // Before the agents, so it stops after their last model call.
  budget_metrics_
    = std::make_unique<budget_metrics>(budget_metrics::make(*metrics_));
  children.push_back(budgets_child(
    budget_env{cfg_.budgets, names_, budget_metrics_.get(), logger_.log},
    cfg_.supervision.shutdown_timeout));
  children.push_back(tool_ledger_child(cfg_, store_.get()));
  tool_host_options tools;
  tools.tools = cfg_.tools;
  tools.a2a_agents = cfg_.a2a.agents;
  tools.hosted = plugin_tool_servers();
  tools.names = names_;
  tools.log = logger_.log;
  tools.metrics = finished_calls_metrics::make(*metrics_);
  children.push_back(
    tool_host_child(std::move(tools), cfg_.supervision, sup_env));
  agents::agent_env env;
  env.node_name = cfg_.node.name;
  env.catalog = catalog_;
  env.names = names_;
  env.log = logger_.log;
  env.metrics = agent_metrics_.get();
  env.directory = directory_;
  env.types = types_.get();
  env.opts = cfg_.agents;
  env.ledger_timeout = cfg_.tools.ledger_timeout;
  env.budgets = budget_client_env{
    remote_call_env{names_, directory_, types_.get()},
    std::make_shared<const budgets::budgets_options>(cfg_.budgets),
    budget_metrics_.get()};
  children.push_back(agents::agents_supervisor_child(
    env, root_options(cfg_.supervision), sup_env,
    cfg_.supervision.shutdown_timeout));
  children.push_back(agents::agent_manager_child(
    env, depths_, cfg_.supervision.shutdown_timeout));
}

caf::expected<v1::AgentReloadResponse> node::reload_agents() {
  auto manager = names_->get(agent_manager_path);
  if (!manager)
    return manager.error();
  caf::expected<v1::AgentReloadResponse> result{v1::AgentReloadResponse{}};
  caf::scoped_actor self{*system_};
  self
    ->request(caf::actor_cast<agent_manager_actor>(*manager),
              std::chrono::minutes{2}, v1::AgentReloadRequest{})
    .receive([&](v1::AgentReloadResponse& resp) { result = std::move(resp); },
             [&](caf::error& err) { result = std::move(err); });
  if (result)
    publish_placements();
  return result;
}

caf::expected<v1::AgentReloadResponse> node::reload() {
  std::lock_guard<std::mutex> one_at_a_time{reload_mtx_};
  log().info("reloading the agent definitions");
  auto resp = reload_agents();
  if (!resp && is(resp.error(), errc::not_found))
    // Between an agent manager's crash and its restart: ask again soon.
    resp = make_error(errc::unavailable, "the agent manager is restarting");
  if (!resp) {
    log().error("agent reload failed: {}", render(resp.error()));
    return resp;
  }
  reload_workflows(*resp);
  if (cfg_.http.tls_certificate.empty())
    return resp;
  log().info("reloading the HTTP TLS certificate and key");
  if (auto err = reload_http_tls()) {
    log().error("TLS reload failed, the current certificate stays: {}",
                render(err));
    resp->add_errors("http TLS: " + render(err));
  }
  return resp;
}

void node::reload_workflows(v1::AgentReloadResponse& into) {
  if (cfg_.workflows.paths.empty())
    return;
  log().info("reloading the workflow definitions");
  auto fail = [&](const std::string& what) {
    log().error("workflow reload: {}", what);
    into.add_errors("workflows: " + what);
  };
  auto flows = workflows::load_definition_files(cfg_.workflows.paths,
                                                workflow_catalog());
  if (!flows)
    return fail(render(flows.error()) + " (the stored versions stay)");
  auto engine = names_->get(workflows_path);
  if (!engine)
    return fail("the workflow engine is restarting");
  std::set<std::string> known;
  for (const auto& def : workflow_files_)
    known.insert(def.name);
  caf::scoped_actor self{*system_};
  for (const auto& def : *flows) {
    v1::WorkflowPutRequest req;
    req.set_name(def.name);
    req.set_body(workflows::canonical_json(def));
    req.set_format("json");
    req.mutable_caller()->set_kind("local");
    req.mutable_caller()->set_name("local");
    self
      ->request(caf::actor_cast<workflows_actor>(*engine),
                std::chrono::seconds{30}, std::move(req))
      .receive(
        [&](v1::WorkflowPutResponse& resp) {
          if (resp.existed())
            return;
          auto name = "workflows/" + def.name;
          if (known.count(def.name) != 0)
            into.add_updated(name);
          else
            into.add_added(name);
          log().info("workflow {}: version {}", def.name,
                     resp.workflow().version());
        },
        [&](caf::error& err) {
          fail("workflow " + def.name + ": " + render(err));
        });
  }
  workflow_files_ = std::move(*flows);
}

child_spec node::http_bridge_child() {
  auto env = std::make_shared<http_bridge_env>();
  env->node_name = cfg_.node.name;
  env->started_at = started_at_;
  env->opts = cfg_.http;
  env->types = types_.get();
  env->names = names_;
  env->depths = depths_;
  env->mailboxes = local_mailboxes_;
  env->max_envelope_bytes = cfg_.mailbox.max_envelope_bytes;
  env->metrics = metrics_.get();
  env->log = logger_.log;
  env->root = std::make_shared<caf::actor>();
  env->draining = std::make_shared<std::atomic<bool>>(false);
  env->directory = directory_;
  env->access = access_;
  env->metrics_open = cfg_.security.metrics_open;
  env->openapi_open = cfg_.security.openapi_open;
  if (cfg_.mcp.enabled)
    env->mcp = gateway::mcp_server::make(
      cfg_.mcp, config::is_loopback(cfg_.http.listen), metrics_.get());
  if (cfg_.a2a.enabled)
    env->a2a = std::make_shared<gateway::a2a_tasks>(cfg_.a2a.max_tasks,
                                                    cfg_.a2a.max_task_bytes);
  env->a2a_public_url = cfg_.a2a.public_url;
  env->plugins_json = plugins::report(*plugins_).dump();
  env->chats
    = security::concurrency_limiter::make(cfg_.security.max_concurrent_chats);
  env->streams
    = security::concurrency_limiter::make(cfg_.security.max_open_streams);
  const auto& sec = cfg_.security;
  env->memory = memory_watch_.get();
  env->memory_refusals = &memory_refusals(*metrics_);
  // The node outlives its actor system, so its bridge's calls.
  env->reload = [this] {
    return reload();
  };
  env->rates = std::make_shared<security::request_limits>(
    security::request_limit_options{sec.rate_per_address, sec.burst_per_address,
                                    sec.rate_per_principal,
                                    sec.burst_per_principal},
    metrics_.get());
  http_env_ = env;
  http_routes_ = make_http_routes();
  child_spec spec;
  spec.name = http_bridge_path;
  spec.shutdown_timeout = cfg_.supervision.shutdown_timeout;
  spec.start = [env, routes = http_routes_](
                 caf::actor_system& sys,
                 const std::string&) -> caf::expected<caf::actor> {
    return sys.spawn(http_bridge, env, routes);
  };
  return spec;
}

caf::error node::start(std::vector<child_spec> extra) {
  started_at_ = std::chrono::steady_clock::now();
  auto events = event_metrics::make(*metrics_);
  supervision_env env;
  env.names = names_;
  env.log = logger_.log;
  auto relay = spawn_supervision_relay(*system_, names_,
                                       supervision_relay_options{}, events);
  if (!relay)
    return relay.error();
  relay_ = *relay;
  env.observer = relay_;
  env.restarts = &metrics_->counter_family(
    "bsm_supervisor_restarts_total", "Child restarts, by supervisor and child.",
    {"supervisor", "child"});
  auto opts = root_options(cfg_.supervision);
  opts.children.push_back(node_info_child(cfg_, started_at_));
  memory_replication_env replication;
  replication.directory = directory_;
  replication.calls = remote_call_env{names_, directory_, types_.get()};
  // A copy silent this long is down: the owner then acts alone.
  replication.timeout = cfg_.cluster.down_after;
  replication.lease = cfg_.cluster.down_after / 2;
  opts.children.push_back(
    memory_child(cfg_, store_.get(), *metrics_, std::move(replication)));
  opts.children.push_back(
    security_child(cfg_, store_.get(), access_, logger_.log, *metrics_));
  opts.children.push_back(
    event_bus_child(event_bus_options{}, events, event_interest_));
  transport_
    = spawn_cluster_transport(*system_, transport_options(cfg_.cluster),
                              logger_.log, transport_counters_);
  opts.children.push_back(cluster_child());
  opts.children.push_back(handoff_child());
  // The environment is read here, once: actors read none (API keys).
  opts.children.push_back(
    model_provider_child(cfg_.openai, read_environment(), *metrics_,
                         cfg_.supervision.shutdown_timeout));
  add_agent_children(opts.children, env);
  if (plugins::has_actor_kinds(*plugins_))
    opts.children.push_back(plugins::plugins_child(
      plugins_->loaded, types_.get(), plugin_metrics_, cfg_.supervision, env));
  // After the actors it delivers to, so it stops before them.
  opts.children.push_back(mailboxes_child());
  opts.children.push_back(tasks_child());
  // After the tasks its steps run as, so it stops before them.
  opts.children.push_back(workflows_child());
  // Before the bridge, so it stops after the bridge's last answer.
  opts.children.push_back(http_idempotency_child(cfg_, store_.get()));
  opts.children.push_back(http_bridge_child());
  for (auto& child : extra)
    opts.children.push_back(std::move(child));
  auto root = spawn_supervisor(*system_, std::move(opts), std::move(env));
  if (!root)
    return root.error();
  root_ = std::move(*root);
  *http_env_->root = root_;
  if (auto err = log_tree())
    return err;
  if (auto err = await_access())
    return err;
  if (auto err = open_listeners())
    return err;
  if (auto err = write_ports_file())
    return err;
  logger_.log->info("bsmd {} node={} data_dir={} listening http={} cluster={}",
                    BSM_VERSION, cfg_.node.name, cfg_.node.data_dir.string(),
                    published_http_, addresses_.cluster);
  if (auto warning = insecure_warning(cfg_); !warning.empty())
    logger_.log->warn("{}", warning);
  return caf::none;
}

caf::error node::reload_http_tls() {
  std::lock_guard<std::mutex> guard{http_mtx_};
  if (!http_server_)
    return caf::none;
  return http_server_->reload_tls();
}

void node::drain_http() {
  std::lock_guard<std::mutex> guard{http_mtx_};
  if (!http_server_)
    return;
  http_env_->draining->store(true);
  http_server_->drain(cfg_.http.drain_timeout);
  http_server_.reset();
}

void node::drain_mailboxes() {
  auto timeout = cfg_.shutdown.drain_timeout;
  // Nothing to drain without a tree (a node that failed to start).
  if (timeout.count() == 0 || !root_)
    return;
  // The cluster port's asks drain meanwhile, within the same time.
  auto until = std::chrono::steady_clock::now() + timeout;
  if (asks_)
    asks_->close();
  drain_router(timeout);
  if (!asks_)
    return;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
    until - std::chrono::steady_clock::now());
  if (auto cut = asks_->wait(std::max(left, std::chrono::milliseconds{0})))
    logger_.log->warn("cluster port: {} asks of other nodes still unanswered "
                      "after shutdown.drain_timeout; their askers get none",
                      cut);
}

void node::drain_router(std::chrono::milliseconds timeout) {
  auto router = names_->get(mailbox_router_path);
  if (!router)
    return;
  v1::MailboxDrainRequest req;
  req.set_timeout_ms(static_cast<uint32_t>(timeout.count()));
  caf::scoped_actor self{*system_};
  // The router answers at the timeout itself; the margin is for its answer.
  self
    ->request(caf::actor_cast<mailbox_router_actor>(*router),
              timeout + std::chrono::seconds{1}, std::move(req))
    .receive(
      [this](const v1::MailboxDrainResponse& resp) {
        if (resp.cut() == 0)
          logger_.log->info("mailboxes drained: {} ended their deliveries",
                            resp.mailboxes());
        else
          logger_.log->warn("mailboxes drained: {} of {} were still "
                            "delivering after shutdown.drain_timeout; those "
                            "deliveries come again after a restart",
                            resp.cut(), resp.mailboxes());
      },
      [this](const caf::error& err) {
        logger_.log->warn("mailboxes did not drain: {}", render(err));
      });
}

void node::stop() {
  drain_http();
  drain_mailboxes();
  if (ingress_) {
    caf::anon_send_exit(ingress_, caf::exit_reason::user_shutdown);
    ingress_ = nullptr;
  }
  if (root_) {
    caf::anon_send_exit(root_, caf::exit_reason::user_shutdown);
    await_root();
  }
  if (relay_) {
    caf::anon_send_exit(relay_, caf::exit_reason::user_shutdown);
    relay_ = nullptr;
  }
  if (transport_) {
    caf::anon_send_exit(transport_, caf::exit_reason::user_shutdown);
    transport_ = nullptr;
  }
}

caf::error node::await_root() {
  if (!root_)
    return caf::none;
  caf::error result;
  {
    caf::scoped_actor self{*system_};
    self->monitor(root_);
    self->receive([&](caf::down_msg& msg) { result = msg.reason; });
  }
  root_ = nullptr;
  logger_.log->info("supervision tree stopped: {}",
                    result ? render(result) : "normal");
  logger_.log->flush();
  return result;
}

caf::error node::open_listeners() {
  const auto& listen = cfg_.cluster.listen;
  cluster_ingress_env ingress_env;
  ingress_env.names = names_;
  ingress_env.directory = directory_;
  ingress_env.types = types_.get();
  ingress_env.log = logger_.log;
  ingress_env.max_ask_timeout = cfg_.http.max_ask_timeout;
  ingress_env.append_timeout = cfg_.cluster.append_timeout;
  asks_ = std::make_shared<cluster::ask_drain>();
  ingress_env.asks = asks_;
  auto ingress = system_->spawn(cluster_ingress, std::move(ingress_env));
  ingress_ = caf::actor_cast<caf::actor>(ingress);
  auto port = publish_on_cluster_port(*system_, transport_, ingress_,
                                      system_->message_types(ingress), listen);
  if (!port) {
    auto why = bind_problem(listen);
    return make_error(errc::unavailable,
                      "cannot listen on cluster address " + to_string(listen)
                        + " (cluster.listen): "
                        + (why.empty() ? system_->render(port.error()) : why));
  }
  addresses_.cluster = to_string(listen_address{listen.host, *port});
  auto server = http::server::start(http::server_options::from(cfg_.http),
                                    make_http_front(http_env_, http_routes_),
                                    http_metrics_.get(), logger_.log);
  if (!server)
    return server.error();
  http_server_ = std::move(*server);
  addresses_.http = http_server_->address();
  published_http_ = http_server_->published_address();
  directory_->set_self_addresses(cfg_.cluster.advertise.empty()
                                   ? addresses_.cluster
                                   : cfg_.cluster.advertise,
                                 addresses_.http);
  return caf::none;
}

caf::error node::write_ports_file() const {
  auto path = cfg_.node.data_dir / "ports.json";
  auto tmp = path;
  tmp += ".tmp";
  nlohmann::json doc{{"http", published_http_},
                     {"cluster", addresses_.cluster}};
  {
    std::ofstream out{tmp, std::ios::trunc};
    out << doc.dump() << '\n';
    if (!out)
      return make_error(errc::unavailable,
                        "cannot write '" + tmp.string() + "'");
  }
  // Rename so that a reader never sees a half-written file.
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec)
    return make_error(errc::unavailable,
                      "cannot write '" + path.string() + "': " + ec.message());
  return caf::none;
}

// The HTTP port opens once the security hub has published the
// credentials in force (stored API keys and users included), so that no
// request is decided without them.
caf::error node::await_access() {
  if (access_->await_first(cfg_.supervision.start_timeout))
    return caf::none;
  return make_error(errc::failed_precondition,
                    "the security hub did not load the credentials within "
                    "supervision.start_timeout");
}

caf::error node::log_tree() {
  caf::error result;
  caf::scoped_actor self{*system_};
  self->request(root_, cfg_.supervision.start_timeout, v1::TreeRequest{})
    .receive(
      [&](v1::TreeResponse& resp) {
        logger_.log->info("supervision tree:\n{}", render_tree(resp.root()));
      },
      [&](caf::error& err) {
        result = make_error(errc::failed_precondition,
                            "supervision tree did not start: "
                              + system_->render(err));
      });
  return result;
}

} // namespace bsm
