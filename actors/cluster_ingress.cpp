#include "actors/cluster_ingress.hpp"

#include <caf/typed_event_based_actor.hpp>

#include "runtime/error.hpp"

namespace bsm {

mailbox_router_actor::behavior_type
cluster_ingress(mailbox_router_actor::pointer self,
                std::shared_ptr<name_registry> names) {
  return {
    [self, names](v1::SendRequest& req) -> caf::result<v1::SendResponse> {
      auto router = names->get(mailbox_router_path);
      if (!router)
        return make_error(errc::unavailable,
                          "the mailbox router is not running");
      return self->delegate(caf::actor_cast<mailbox_router_actor>(*router),
                            std::move(req));
    },
  };
}

} // namespace bsm
