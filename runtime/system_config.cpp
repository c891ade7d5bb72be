#include "runtime/system_config.hpp"

#include "protocols/caf_types.hpp"
#include "runtime/error.hpp"

namespace bsm {

system_config::system_config(const scheduler_options& opts,
                             metrics::actor_stats_collector* stats)
  : stats_(stats) {
  bsm::add_message_types(*this);
  bsm::add_error_category(*this);
  if (opts.threads > 0)
    set("scheduler.max-threads", static_cast<size_t>(opts.threads));
  set("scheduler.policy", opts.policy == scheduler_policy::sharing
                            ? caf::atom("sharing")
                            : caf::atom("stealing"));
}

} // namespace bsm
