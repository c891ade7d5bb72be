#pragma once

// A hostile client for tests of the bridge's limits: it sends a request's
// start and then the same filler over and over, at most a given number of
// bytes, until the server closes. It reads what the server answers, and the
// server's resident memory can be read beside it.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "http_client.hpp"

namespace bsm::test {

struct flood_result {
  /// Bytes sent, the start included.
  uint64_t sent = 0;
  /// Everything the server sent back.
  std::string reply;
  /// `reply` parsed as a sequence of responses (as far as it parses).
  std::vector<http_response> responses;
  /// True if the server closed the connection (EOF or reset).
  bool closed = false;
};

/// Connects to 127.0.0.1:`port`, sends `start`, then `filler` repeatedly,
/// reading answers meanwhile, until the server closes or `max_bytes` are
/// sent; then shuts its side down and reads until the server closes or a
/// generous deadline passes.
flood_result flood(uint16_t port, const std::string& start,
                   const std::string& filler, uint64_t max_bytes);

/// The same over TLS: the server's certificate is checked against
/// `ca_file` (PEM) for the name "localhost".
flood_result tls_flood(uint16_t port, const std::string& ca_file,
                       const std::string& start, const std::string& filler,
                       uint64_t max_bytes);

/// Parses `bytes` as consecutive HTTP responses, as far as they parse.
std::vector<http_response> parse_responses(const std::string& bytes);

/// VmRSS of process `pid` in bytes (/proc/<pid>/status); 0 if unknown.
uint64_t resident_bytes(pid_t pid);

} // namespace bsm::test
