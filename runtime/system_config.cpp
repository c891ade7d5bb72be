#include "runtime/system_config.hpp"

#include "protocols/caf_types.hpp"
#include "runtime/error.hpp"

namespace bsm {

system_config::system_config(const scheduler_options& opts,
                             metrics::actor_stats_collector* stats,
                             std::shared_ptr<spdlog::logger> log)
  : stats_(stats), log_(std::move(log)) {
  bsm::add_message_types(*this);
  bsm::add_error_category(*this);
  if (opts.threads > 0)
    set("scheduler.max-threads", static_cast<size_t>(opts.threads));
  set("scheduler.policy", opts.policy == scheduler_policy::sharing
                            ? caf::atom("sharing")
                            : caf::atom("stealing"));
}

} // namespace bsm
