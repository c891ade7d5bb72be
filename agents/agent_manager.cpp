#include "agents/agent_manager.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "agents/agent_definition.hpp"
#include "protocols/enum_label.hpp"
#include "runtime/error.hpp"

namespace bsm::agents {

namespace {

constexpr auto tree_timeout = std::chrono::seconds{5};
constexpr auto reload_timeout = std::chrono::minutes{2};

// Reloads the catalog on its own thread (file reads, index builds), answers
// the one request and quits.
caf::behavior reload_worker(caf::event_based_actor* self,
                            std::shared_ptr<agent_catalog> catalog) {
  return {
    [self, catalog](
      const v1::AgentReloadRequest&) -> caf::result<v1::AgentReloadResponse> {
      self->quit();
      v1::AgentReloadResponse resp;
      auto diff = catalog->load();
      if (!diff) {
        resp.add_errors(render(diff.error()));
        return resp;
      }
      for (auto& x : diff->added)
        resp.add_added(std::move(x));
      for (auto& x : diff->updated)
        resp.add_updated(std::move(x));
      for (auto& x : diff->removed)
        resp.add_removed(std::move(x));
      return resp;
    },
  };
}

std::string state_label(v1::ChildState x) {
  return enum_label(v1::ChildState_Name(x), "CHILD_STATE_");
}

v1::AgentInfo describe(const agent_entry& entry, const agent_env& env,
                       const std::map<std::string, uint64_t>& depths,
                       const v1::TreeNode* tree) {
  v1::AgentInfo info;
  const auto& def = entry.def;
  info.set_name(def.name());
  info.set_description(def.description());
  info.set_node(env.node_name);
  info.set_model(model_label(def));
  for (const auto& x : def.tools())
    info.add_tools(x);
  auto path = agent_path(def.name());
  if (auto i = depths.find(path); i != depths.end())
    info.set_mailbox_depth(i->second);
  info.set_state("stopped");
  if (tree)
    for (const auto& child : tree->children())
      if (child.name() == path) {
        info.set_state(state_label(child.state()));
        info.set_restarts(child.restarts());
      }
  return info;
}

} // namespace

child_spec agent_child(const std::string& name, agent_env env,
                       std::chrono::milliseconds shutdown_timeout) {
  child_spec spec;
  spec.name = name;
  spec.shutdown_timeout = shutdown_timeout;
  spec.start = [name, env = std::move(env)](
                 caf::actor_system& sys,
                 const std::string&) -> caf::expected<caf::actor> {
    return caf::actor_cast<caf::actor>(sys.spawn(agent, name, env));
  };
  return spec;
}

child_spec agents_supervisor_child(agent_env env, supervisor_options opts,
                                   supervision_env sup_env,
                                   std::chrono::milliseconds shutdown_timeout) {
  child_spec spec;
  spec.name = agents_path;
  spec.is_supervisor = true;
  // Each agent may take its own shutdown timeout.
  spec.shutdown_timeout = shutdown_timeout * 2 + std::chrono::seconds{1};
  spec.start =
    [env = std::move(env), opts = std::move(opts), sup_env = std::move(sup_env),
     shutdown_timeout](caf::actor_system& sys,
                       const std::string& path) -> caf::expected<caf::actor> {
    auto sub = opts;
    sub.path = path;
    sub.children.clear();
    for (const auto& entry : env.catalog->all())
      sub.children.push_back(
        agent_child(entry->def.name(), env, shutdown_timeout));
    return spawn_supervisor(sys, std::move(sub), sup_env);
  };
  return spec;
}

child_spec agent_manager_child(agent_env env,
                               std::shared_ptr<mailbox_depths> depths,
                               std::chrono::milliseconds shutdown_timeout) {
  child_spec spec;
  spec.name = agent_manager_path;
  spec.shutdown_timeout = shutdown_timeout;
  spec.start =
    [env = std::move(env), depths = std::move(depths), shutdown_timeout](
      caf::actor_system& sys, const std::string&) -> caf::expected<caf::actor> {
    return caf::actor_cast<caf::actor>(
      sys.spawn(agent_manager, env, depths, shutdown_timeout));
  };
  return spec;
}

agent_manager_actor::behavior_type
agent_manager(agent_manager_actor::stateful_pointer<agent_manager_state> self,
              agent_env env, std::shared_ptr<mailbox_depths> depths,
              std::chrono::milliseconds shutdown_timeout) {
  self->state.env = std::move(env);
  self->state.depths = std::move(depths);
  self->state.shutdown_timeout = shutdown_timeout;
  return {
    [self](
      const v1::AgentListRequest& req) -> caf::result<v1::AgentListResponse> {
      auto& st = self->state;
      std::vector<std::shared_ptr<const agent_entry>> entries;
      if (req.name().empty()) {
        entries = st.env.catalog->all();
      } else if (auto entry = st.env.catalog->find(req.name())) {
        entries.push_back(std::move(entry));
      } else {
        return make_error(errc::not_found, "no agent '" + req.name() + "'");
      }
      auto rp = self->make_response_promise<v1::AgentListResponse>();
      auto answer = [self, rp, entries](const v1::TreeNode* tree) mutable {
        auto depth_map = self->state.depths ? self->state.depths->snapshot()
                                            : std::map<std::string, uint64_t>{};
        v1::AgentListResponse resp;
        for (const auto& entry : entries)
          *resp.add_agents()
            = describe(*entry, self->state.env, depth_map, tree);
        rp.deliver(std::move(resp));
      };
      auto sup = st.env.names->get(agents_path);
      if (!sup) {
        answer(nullptr);
        return rp;
      }
      self->request(*sup, tree_timeout, v1::TreeRequest{})
        .then([answer](
                const v1::TreeResponse& tree) mutable { answer(&tree.root()); },
              [answer](caf::error&) mutable { answer(nullptr); });
      return rp;
    },
    [self](const v1::AgentReloadRequest& req)
      -> caf::result<v1::AgentReloadResponse> {
      auto& st = self->state;
      if (st.reloading)
        return make_error(errc::unavailable, "a reload is running");
      st.reloading = true;
      auto rp = self->make_response_promise<v1::AgentReloadResponse>();
      auto worker = self->home_system().spawn<caf::detached>(reload_worker,
                                                             st.env.catalog);
      self->request(worker, reload_timeout, req)
        .then(
          [self, rp](v1::AgentReloadResponse& resp) mutable {
            auto& mgr = self->state;
            mgr.reloading = false;
            if (auto sup = mgr.env.names->get(agents_path)) {
              for (const auto& name : resp.removed())
                caf::anon_send(*sup, atom::remove_child::value, name);
              for (const auto& name : resp.added())
                caf::anon_send(
                  *sup, atom::add_child::value,
                  agent_child(name, mgr.env, mgr.shutdown_timeout));
            }
            if (mgr.env.log)
              mgr.env.log->info(
                "agents reloaded: {} added, {} updated, {} removed, {} errors",
                resp.added_size(), resp.updated_size(), resp.removed_size(),
                resp.errors_size());
            for (const auto& err : resp.errors())
              if (mgr.env.log)
                mgr.env.log->error("agents reload: {}", err);
            rp.deliver(std::move(resp));
          },
          [self, rp](caf::error& err) mutable {
            self->state.reloading = false;
            rp.deliver(std::move(err));
          });
      return rp;
    },
  };
}

} // namespace bsm::agents
