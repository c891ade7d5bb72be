#include "agents/caller.hpp"

#include "actors/cluster_ingress.hpp"
#include "actors/mailbox_actor.hpp"

namespace bsm::agents {

request_origin origin_of(bool present, bool same_node,
                         std::string_view sender_name) {
  if (!present || !same_node)
    return request_origin::outside;
  // These are local actors, but what they deliver came from elsewhere.
  if (sender_name == cluster_ingress_state::name
      || sender_name == mailbox_state::name)
    return request_origin::outside;
  return request_origin::this_node;
}

v1::Principal local_principal() {
  v1::Principal result;
  result.set_name("local");
  result.set_kind("local");
  result.add_permissions("*");
  return result;
}

v1::Principal anonymous_principal() {
  v1::Principal result;
  result.set_name("anonymous");
  result.set_kind("anonymous");
  return result;
}

v1::Principal default_caller(request_origin origin) {
  return origin == request_origin::this_node ? local_principal()
                                             : anonymous_principal();
}

bool may_cancel(const v1::Principal& canceller, const v1::Principal& owner,
                const std::string& agent) {
  if (canceller.kind() == anonymous_principal().kind())
    return false;
  if (canceller.name() == owner.name() && canceller.kind() == owner.kind())
    return true;
  return grants_of(canceller).allows("agents:" + agent + ":cancel");
}

security::permission_set grants_of(const v1::Principal& caller) {
  security::permission_set result;
  for (const auto& x : caller.permissions())
    if (auto grant = security::parse_permission(x))
      result.add(std::move(*grant));
  return result;
}

std::string chat_permission(const std::string& agent) {
  return "agents:" + agent + ":chat";
}

} // namespace bsm::agents
