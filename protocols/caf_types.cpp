#include "protocols/caf_types.hpp"

namespace bsm {

void add_message_types(caf::actor_system_config& cfg) {
  for_each_type(bsm_v1_types{}, [&](auto* tag) {
    using type = std::remove_pointer_t<decltype(tag)>;
    cfg.add_message_type<type>(type::descriptor()->full_name());
  });
}

} // namespace bsm
