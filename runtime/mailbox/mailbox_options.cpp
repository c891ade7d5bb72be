#include "runtime/mailbox/mailbox_options.hpp"

#include <tuple>
#include <utility>

#include "runtime/config/config_fields.hpp"

namespace bsm {

namespace {

using namespace std::chrono_literals;

constexpr int64_t mib = int64_t{1} << 20;

config::maybe_problem check_mailbox(const mailbox_options& x) {
  if (auto p
      = config::at_least("mailbox.delivery_timeout", x.delivery_timeout, 1ms))
    return p;
  if (auto p
      = config::at_least("mailbox.idempotency_ttl", x.idempotency_ttl, 1s))
    return p;
  if (auto p = config::at_least("mailbox.redelivery_backoff_initial",
                                x.redelivery_backoff_initial, 1ms))
    return p;
  for (auto& [key, value] :
       {std::pair{"mailbox.link_ack_timeout", x.link_ack_timeout},
        std::pair{"mailbox.link_poll", x.link_poll},
        std::pair{"mailbox.link_backoff_max", x.link_backoff_max}})
    if (auto p = config::at_least(key, value, 1ms))
      return p;
  for (auto& [key, value, max] :
       {std::tuple{"mailbox.window", x.window, int64_t{1'000'000}},
        std::tuple{"mailbox.link_batch", x.link_batch, int64_t{100'000}},
        std::tuple{"mailbox.link_pipeline", x.link_pipeline, int64_t{1024}}})
    if (auto p = config::in_range(key, static_cast<int64_t>(value), 1, max))
      return p;
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
     config::duration("delivery_timeout", &mailbox_options::delivery_timeout),
     config::duration("redelivery_backoff_initial",
                      &mailbox_options::redelivery_backoff_initial),
     config::duration("redelivery_backoff_max",
                      &mailbox_options::redelivery_backoff_max),
     config::duration("idempotency_ttl", &mailbox_options::idempotency_ttl),
     config::integer("max_envelope_bytes", &mailbox_options::max_envelope_bytes,
                     1024, 64 * mib),
     config::integer("window", &mailbox_options::window, 1, 1'000'000),
     config::integer("link_batch", &mailbox_options::link_batch, 1, 100'000),
     config::integer("link_pipeline", &mailbox_options::link_pipeline, 1, 1024),
     config::duration("link_ack_timeout", &mailbox_options::link_ack_timeout),
     config::duration("link_poll", &mailbox_options::link_poll),
     config::duration("link_backoff_max", &mailbox_options::link_backoff_max)},
    check_mailbox};
  return result;
}

} // namespace bsm
