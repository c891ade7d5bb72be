#include "runtime/logging/unexpected_message.hpp"

#include <caf/actor_system.hpp>
#include <caf/message_view.hpp>
#include <caf/sec.hpp>
#include <caf/type_erased_tuple.hpp>
#include <caf/uniform_type_info_map.hpp>

namespace bsm {

namespace {

std::string type_names(caf::scheduled_actor* self,
                       const caf::type_erased_tuple& xs) {
  std::string result;
  const auto& types = self->home_system().types();
  for (size_t i = 0; i < xs.size(); ++i) {
    if (i > 0)
      result += ", ";
    const auto& name = types.portable_name(xs.type(i));
    result += name.empty() ? std::string{"?"} : name;
  }
  return result;
}

} // namespace

std::string unexpected_message_text(uint64_t actor_id,
                                    const std::string& types) {
  return "unexpected message (" + types + ") dropped by actor "
         + std::to_string(actor_id);
}

caf::scheduled_actor::default_handler
log_unexpected_messages(std::shared_ptr<spdlog::logger> log,
                        std::string component) {
  // The clone is made at the first unexpected message, not per actor.
  std::shared_ptr<spdlog::logger> named;
  return [log = std::move(log), component = std::move(component),
          named](caf::scheduled_actor* self,
                 caf::message_view& x) mutable -> caf::result<caf::message> {
    if (!named)
      named = log->clone(log->name() + ":" + component);
    named->warn(
      unexpected_message_text(self->id(), type_names(self, x.content())));
    return caf::sec::unexpected_message;
  };
}

} // namespace bsm
