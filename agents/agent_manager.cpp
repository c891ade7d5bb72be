#include "agents/agent_manager.hpp"

#include <memory>
#include <optional>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "agents/agent_listing.hpp"
#include "agents/tools/tool_host.hpp"
#include "runtime/error.hpp"
#include "runtime/messages/handled_types.hpp"

namespace bsm::agents {

namespace {

// Reloads the catalog on its own thread (file reads, index builds), answers
// the one request and quits.
caf::behavior reload_worker(caf::event_based_actor* self,
                            std::shared_ptr<agent_catalog> catalog) {
  return {
    [self, catalog](
      const v1::AgentReloadRequest&) -> caf::result<v1::AgentReloadResponse> {
      self->quit();
      return reload_response(catalog->load());
    },
  };
}

} // namespace

child_spec agent_child(const std::string& name, agent_env env,
                       std::chrono::milliseconds shutdown_timeout) {
  child_spec spec;
  spec.name = name;
  spec.handles = handled_types<agent_actor>();
  spec.shutdown_timeout = shutdown_timeout;
  spec.start = [name, env = std::move(env)](
                 caf::actor_system& sys,
                 const std::string&) -> caf::expected<caf::actor> {
    return caf::actor_cast<caf::actor>(sys.spawn(agent, name, env));
  };
  return spec;
}

supervisor_options
agents_supervisor_options(supervisor_options opts, const std::string& path,
                          const agent_env& env,
                          std::chrono::milliseconds shutdown_timeout) {
  opts.path = path;
  opts.children.clear();
  for (const auto& entry : env.catalog->all())
    opts.children.push_back(
      agent_child(entry->def.name(), env, shutdown_timeout));
  return opts;
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
    auto sub = agents_supervisor_options(opts, path, env, shutdown_timeout);
    return spawn_supervisor(sys, std::move(sub), sup_env);
  };
  return spec;
}

child_spec agent_manager_child(agent_env env,
                               std::shared_ptr<mailbox_depths> depths,
                               std::chrono::milliseconds shutdown_timeout) {
  child_spec spec;
  spec.name = agent_manager_path;
  spec.handles = handled_types<agent_manager_actor>();
  spec.shutdown_timeout = shutdown_timeout;
  spec.start =
    [env = std::move(env), depths = std::move(depths), shutdown_timeout](
      caf::actor_system& sys, const std::string&) -> caf::expected<caf::actor> {
    return caf::actor_cast<caf::actor>(
      sys.spawn(agent_manager, env, depths, shutdown_timeout));
  };
  return spec;
}

namespace {

using manager_pointer
  = agent_manager_actor::stateful_pointer<agent_manager_state>;

// What list() gathers before it answers.
struct listing {
  agent_entries entries;
  caf::typed_response_promise<v1::AgentListResponse> rp;
  std::optional<v1::TreeNode> tree;
  std::optional<std::vector<std::string>> hosted_tools;
};

using listing_ptr = std::shared_ptr<listing>;

void answer(manager_pointer self, const listing_ptr& l) {
  auto& st = self->state;
  running_view now;
  if (st.depths)
    now.depths = st.depths->snapshot();
  now.tree = l->tree ? &*l->tree : nullptr;
  now.hosted_tools = l->hosted_tools ? &*l->hosted_tools : nullptr;
  l->rp.deliver(list_agents(l->entries, st.env.node_name, now));
}

// The tools the tool host serves now, then the answer; without them when
// the host is not there or does not answer in time.
void ask_tools(manager_pointer self, listing_ptr l) {
  auto host = self->state.env.names->get(tool_host_path);
  if (!host)
    return answer(self, l);
  self
    ->request(caf::actor_cast<tool_host_actor>(*host),
              self->state.env.opts.list_timeout, v1::ToolListRequest{})
    .then(
      [self, l](const v1::ToolListResponse& resp) {
        l->hosted_tools.emplace();
        for (const auto& tool : resp.tools())
          l->hosted_tools->push_back(tool.name());
        answer(self, l);
      },
      [self, l](caf::error&) { answer(self, l); });
}

// Answers with the agents and, for those that answer in time, their states
// in the agents supervisor's tree and their tools' sources.
caf::result<v1::AgentListResponse> list(manager_pointer self,
                                        const v1::AgentListRequest& req) {
  auto& st = self->state;
  auto entries = select_agents(*st.env.catalog, req.name());
  if (!entries)
    return entries.error();
  auto l = std::make_shared<listing>();
  l->entries = std::move(*entries);
  l->rp = self->make_response_promise<v1::AgentListResponse>();
  auto rp = l->rp;
  auto sup = st.env.names->get(agents_path);
  if (!sup) {
    ask_tools(self, std::move(l));
    return rp;
  }
  self->request(*sup, st.env.opts.list_timeout, v1::TreeRequest{})
    .then(
      [self, l](v1::TreeResponse& tree) {
        l->tree = std::move(*tree.mutable_root());
        ask_tools(self, l);
      },
      [self, l](caf::error&) { ask_tools(self, l); });
  return rp;
}

// Starts the added agents and stops the removed ones.
void apply(manager_pointer self, const v1::AgentReloadResponse& resp) {
  auto& st = self->state;
  if (auto sup = st.env.names->get(agents_path)) {
    for (const auto& name : resp.removed())
      caf::anon_send(*sup, atom::remove_child::value, name);
    for (const auto& name : resp.added())
      caf::anon_send(*sup, atom::add_child::value,
                     agent_child(name, st.env, st.shutdown_timeout));
  }
  if (!st.env.log)
    return;
  st.env.log->info(reload_summary(resp));
  for (const auto& err : resp.errors())
    st.env.log->error("agents reload: {}", err);
}

caf::result<v1::AgentReloadResponse> reload(manager_pointer self,
                                            const v1::AgentReloadRequest& req) {
  auto& st = self->state;
  if (auto err = st.reload.enter())
    return err;
  auto rp = self->make_response_promise<v1::AgentReloadResponse>();
  auto worker
    = self->home_system().spawn<caf::detached>(reload_worker, st.env.catalog);
  self->request(worker, st.env.opts.reload_timeout, req)
    .then(
      [self, rp](v1::AgentReloadResponse& resp) mutable {
        self->state.reload.leave();
        apply(self, resp);
        rp.deliver(std::move(resp));
      },
      [self, rp](caf::error& err) mutable {
        self->state.reload.leave();
        rp.deliver(std::move(err));
      });
  return rp;
}

} // namespace

agent_manager_actor::behavior_type
agent_manager(agent_manager_actor::stateful_pointer<agent_manager_state> self,
              agent_env env, std::shared_ptr<mailbox_depths> depths,
              std::chrono::milliseconds shutdown_timeout) {
  self->state.env = std::move(env);
  self->state.depths = std::move(depths);
  self->state.shutdown_timeout = shutdown_timeout;
  return {
    [self](const v1::AgentListRequest& req) { return list(self, req); },
    [self](const v1::AgentReloadRequest& req) { return reload(self, req); },
  };
}

} // namespace bsm::agents
