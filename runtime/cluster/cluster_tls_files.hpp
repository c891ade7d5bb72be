#pragma once

// Checks the PEM files of mutual TLS between nodes at start, so a bad path
// or a key that does not match is a config error naming the key instead of
// a failure at the first connection (caf_openssl reads them per session).

#include <string>

#include "runtime/config/config_section.hpp"

namespace bsm::cluster {

/// The cluster.tls_* paths: none set, or all three, each readable; the
/// certificate parses, the key is an unencrypted PEM key that matches it,
/// the CA file holds at least one certificate and the certificate chains
/// to it. The problem names the key; file contents never appear in it.
config::maybe_problem check_tls_files(const std::string& certificate,
                                      const std::string& key,
                                      const std::string& ca);

} // namespace bsm::cluster
