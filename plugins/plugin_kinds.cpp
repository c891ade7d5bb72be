#include "plugins/plugin_kinds.hpp"

#include <algorithm>
#include <exception>

#include "runtime/error.hpp"
#include "runtime/metrics/instrumented.hpp"
#include "runtime/supervision/supervisor.hpp"

namespace bsm::plugins {

namespace {

const plugin::actor_kind_spec& kind_of(const kind_env& env) {
  return env.plugin->contents().actor_kinds.at(env.index);
}

bool declares(const plugin::actor_kind_spec& kind, const std::string& type) {
  return std::find(kind.handles.begin(), kind.handles.end(), type)
         != kind.handles.end();
}

kind_answer failed(outcome how, std::string text) {
  return {how, {}, make_error(errc::internal, std::move(text))};
}

struct kind_state {
  static constexpr const char* name = "plugin_kind";
  kind_env env;
};

using kind_pointer = caf::stateful_actor<kind_state, actor_base>*;

// One message in, its answer out; `quit` says whether the actor should
// exit afterwards (the handler threw).
caf::result<caf::message> on_message(kind_pointer self, caf::message msg,
                                     bool& quit) {
  auto& env = self->state.env;
  const auto& kind = kind_of(env);
  auto in = env.types->encode_json(msg);
  if (!in || !declares(kind, in->type_name)) {
    env.metrics.count_message(kind.kind, outcome::refused);
    return make_error(
      errc::invalid_argument,
      "actor kind '" + kind.kind + "' takes "
        + (kind.handles.empty() ? "nothing" : kind.handles.front())
        + (kind.handles.size() > 1 ? " and others" : "")
        + ", not this message");
  }
  auto answer = handle_message(kind, {in->type_name, in->bytes});
  quit = answer.how == outcome::exception;
  if (answer.error) {
    env.metrics.count_message(kind.kind, answer.how);
    return answer.error;
  }
  if (answer.reply.type_name.empty()) {
    env.metrics.count_message(kind.kind, outcome::ok);
    return caf::message{};
  }
  auto reply
    = env.types->decode_json(answer.reply.type_name, answer.reply.json);
  if (!reply) {
    env.metrics.count_message(kind.kind, outcome::refused);
    return make_error(errc::internal,
                      "actor kind '" + kind.kind + "' replied with a "
                        + answer.reply.type_name
                        + " that does not parse: " + render(reply.error()));
  }
  env.metrics.count_message(kind.kind, outcome::ok);
  return std::move(*reply);
}

caf::behavior kind_actor(kind_pointer self, kind_env env) {
  self->state.env = std::move(env);
  // Every message reaches the default handler: the kind's types are known
  // only at run time.
  self->set_default_handler(
    [self](caf::scheduled_actor*,
           caf::message_view& xs) -> caf::result<caf::message> {
      bool quit = false;
      auto result = on_message(self, xs.copy_content_to_message(), quit);
      if (quit) {
        // The answer goes out first; then the supervisor restarts a fresh
        // incarnation.
        auto rp = self->make_response_promise();
        rp.deliver(result.err);
        self->quit(result.err);
        return rp;
      }
      return result;
    });
  // Everything arrives at the default handler; CAF needs one handler.
  return {[](caf::ok_atom) {
  }};
}

} // namespace

kind_answer handle_message(const plugin::actor_kind_spec& kind,
                           const plugin::json_message& in) {
  // The plugin's code may throw anything: the sender hears of it.
  try {
    auto result = kind.handler(in);
    if (!result.error.empty())
      return failed(outcome::error,
                    "actor kind '" + kind.kind + "': " + result.error);
    return {outcome::ok, std::move(result.reply), {}};
  } catch (const std::exception& ex) {
    return failed(outcome::exception,
                  "actor kind '" + kind.kind + "' failed: " + ex.what());
  } catch (...) {
    return failed(outcome::exception, "actor kind '" + kind.kind
                                        + "' failed with an unknown "
                                          "exception");
  }
}

caf::actor spawn_kind(caf::actor_system& sys, kind_env env) {
  return sys.spawn<caf::detached>(kind_actor, std::move(env));
}

bool has_actor_kinds(const plugin_set& set) {
  return std::any_of(set.loaded.begin(), set.loaded.end(), [](const auto& p) {
    return !p->contents().actor_kinds.empty();
  });
}

child_spec plugins_child(const std::vector<plugin_ptr>& loaded,
                         const type_registry* types, plugin_metrics metrics,
                         const supervision_options& sup, supervision_env env) {
  supervisor_options opts;
  opts.strategy = restart_strategy::one_for_one;
  // Never escalate: a faulty kind restarts with backoff for as long as it
  // throws, and the rest of the node keeps running.
  opts.max_restarts = 10'000;
  opts.period = std::chrono::minutes{1};
  opts.backoff_initial = sup.backoff_initial;
  opts.backoff_max = sup.backoff_max;
  opts.tree_timeout = sup.tree_timeout;
  for (const auto& p : loaded)
    for (size_t i = 0; i < p->contents().actor_kinds.size(); ++i) {
      const auto& kind = p->contents().actor_kinds[i];
      child_spec spec;
      spec.name = kind.kind;
      spec.handles = kind.handles;
      spec.shutdown_timeout = sup.shutdown_timeout;
      spec.start = [e = kind_env{p, i, types, metrics}](
                     caf::actor_system& sys,
                     const std::string&) -> caf::expected<caf::actor> {
        return spawn_kind(sys, e);
      };
      opts.children.push_back(std::move(spec));
    }
  return supervisor_child(plugins_supervisor_name, std::move(opts),
                          std::move(env));
}

} // namespace bsm::plugins
