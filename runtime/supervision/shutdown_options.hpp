#pragma once

// How a node stops on its first SIGTERM/SIGINT (section `shutdown:`). The
// HTTP front drains first (http.drain_timeout: new requests get 503,
// in-flight ones finish), then the mailboxes drain (this section: no
// delivery starts, those in flight end and are acknowledged), then the
// tree stops child by child (supervision.shutdown_timeout each). The
// three waits add up: a stop takes at most their sum plus the children's.
// Reload: none; a change needs a restart.

#include <chrono>

#include "runtime/config/config_section.hpp"

namespace bsm {

struct shutdown_options {
  /// Time the mailboxes get, after the HTTP drain, to end their deliveries
  /// in flight (a chat turn delivered from a mailbox included) and write
  /// their acknowledgements; what is still in flight then is cut and
  /// delivered again after the restart. 0 skips the drain. At most 10
  /// minutes. Default: 10s (an agent's turn usually ends well within it;
  /// a longer one is cut, and its replay appends nothing twice).
  std::chrono::milliseconds drain_timeout{10'000};
};

/// The `shutdown:` section.
const config::section<shutdown_options>& shutdown_section();

} // namespace bsm
