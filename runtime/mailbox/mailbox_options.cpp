#include "runtime/mailbox/mailbox_options.hpp"

#include "runtime/config/config_fields.hpp"

namespace bsm {

namespace {

using namespace std::chrono_literals;

constexpr int64_t mib = int64_t{1} << 20;

config::maybe_problem check_mailbox(const mailbox_options& x) {
  return config::not_less(
    "mailbox.redelivery_backoff_max", x.redelivery_backoff_max,
    "mailbox.redelivery_backoff_initial", x.redelivery_backoff_initial);
}

} // namespace

const config::section<mailbox_options>& mailbox_section() {
  static const config::section<mailbox_options> result{
    "mailbox",
    {config::integer("max_depth", &mailbox_options::max_depth, 1, 100'000'000),
     config::integer("max_deliveries", &mailbox_options::max_deliveries, 1,
                     1000),
     config::integer("dead_letter_max", &mailbox_options::dead_letter_max, 1,
                     100'000'000),
     config::duration("delivery_timeout", &mailbox_options::delivery_timeout,
                      1ms),
     config::duration("redelivery_backoff_initial",
                      &mailbox_options::redelivery_backoff_initial, 1ms),
     config::duration("redelivery_backoff_max",
                      &mailbox_options::redelivery_backoff_max),
     config::duration("idempotency_ttl", &mailbox_options::idempotency_ttl, 1s),
     config::integer("max_envelope_bytes", &mailbox_options::max_envelope_bytes,
                     1024, 64 * mib),
     config::integer("window", &mailbox_options::window, 1, 1'000'000),
     config::integer("max_batch", &mailbox_options::max_batch, 1, 4096),
     config::integer("delivery_window", &mailbox_options::delivery_window, 1,
                     1024),
     config::integer("link_batch", &mailbox_options::link_batch, 1, 100'000),
     config::integer("link_batch_bytes", &mailbox_options::link_batch_bytes,
                     64 * 1024, 1024 * mib),
     config::integer("link_pipeline", &mailbox_options::link_pipeline, 1, 1024),
     config::duration("link_ack_timeout", &mailbox_options::link_ack_timeout,
                      1ms),
     config::duration("link_poll", &mailbox_options::link_poll, 1ms),
     config::duration("link_backoff_max", &mailbox_options::link_backoff_max,
                      1ms)},
    check_mailbox};
  return result;
}

} // namespace bsm
