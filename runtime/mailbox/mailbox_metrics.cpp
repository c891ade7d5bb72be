#include "runtime/mailbox/mailbox_metrics.hpp"

namespace bsm {

mailbox_metrics mailbox_metrics::make(metrics::registry& reg) {
  auto counter = [&](const char* name, const char* help) -> metrics::counter& {
    return reg.counter_family(name, help).with();
  };
  auto& rejected = reg.counter_family("bsm_mailbox_rejected_total",
                                      "Sends refused, by reason.", {"reason"});
  return mailbox_metrics{
    counter("bsm_mailbox_appended_total",
            "Envelopes appended to durable mailboxes."),
    counter("bsm_mailbox_duplicates_total",
            "Sends recognised by their idempotency key and not appended."),
    rejected.with({"full"}),
    rejected.with({"store"}),
    counter("bsm_mailbox_deliveries_total",
            "Deliveries started, first and repeated."),
    counter("bsm_mailbox_redeliveries_total",
            "Deliveries that failed and are repeated."),
    counter("bsm_mailbox_acknowledged_total",
            "Envelopes whose handler finished."),
    counter("bsm_mailbox_dead_letters_total",
            "Envelopes moved to dead letters."),
    reg.counter_family("bsm_dead_letters_total",
                       "Envelopes moved to dead letters, by target and reason.",
                       {"actor", "reason"}),
    counter("bsm_mailbox_dead_letters_dropped_total",
            "Oldest dead letters dropped to keep mailbox.dead_letter_max."),
    reg
      .gauge_family("bsm_mailbox_pending",
                    "Unacknowledged envelopes in all durable mailboxes.")
      .with(),
  };
}

} // namespace bsm
