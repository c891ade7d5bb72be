#include "actors/cluster_table.hpp"

#include <memory>

#include <caf/typed_event_based_actor.hpp>

#include "runtime/error.hpp"

namespace bsm {

cluster_table_actor::behavior_type
cluster_table(cluster_table_actor::pointer self, cluster_table_options opts,
              caf::actor_addr owner) {
  if (auto handle = caf::actor_cast<caf::actor>(owner))
    self->monitor(handle);
  self->set_down_handler(
    [self](caf::down_msg& msg) { self->quit(msg.reason); });
  auto client = std::make_shared<std::unique_ptr<cluster::redis_membership>>();
  auto connected = [client, opts]() -> caf::error {
    if (*client)
      return caf::none;
    auto c = cluster::redis_membership::connect(opts.url, opts.timeout);
    if (!c)
      return c.error();
    *client = std::move(*c);
    return caf::none;
  };
  return {
    [self, client, connected,
     opts](v1::Heartbeat& hb) -> caf::result<v1::Heartbeat> {
      if (auto err = connected())
        return err;
      auto& redis = **client;
      if (hb.leaving() || hb.stopping()) {
        // A stop keeps the record (the node comes back and keeps its
        // agents); only a leave removes it.
        auto err = hb.leaving() ? redis.leave(hb.from().name())
                                : redis.stop(hb.from().name());
        self->quit();
        if (err)
          return err;
        return v1::Heartbeat{};
      }
      if (auto err = redis.announce(hb.from(), opts.ttl))
        return err;
      auto members = redis.members();
      if (!members)
        return members.error();
      v1::Heartbeat resp;
      for (auto& m : *members)
        if (m.name() != hb.from().name())
          *resp.add_known() = std::move(m);
      return resp;
    },
  };
}

} // namespace bsm
