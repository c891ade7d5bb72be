#pragma once

// What a cluster connection may make this node read before and after the
// peer has shown who it is. CAF 0.17's BASP broker trusts the length in a
// frame header and sizes its read buffer to it (a 256 MiB announcement is a
// 256 MiB allocation), and it accepts frames from a peer that never
// completed a handshake. A basp_guard sees every block the connection reads
// (a 32-byte header, then the payload it announced) before the broker
// does, and refuses the peer when a header breaks the rules. Pure: no
// sockets, no CAF; the transport (actors/cluster_transport.hpp) applies it.

#include <cstddef>
#include <cstdint>
#include <string>

namespace bsm::cluster {

/// Which end of the connection this node is; it decides which handshake
/// the peer must send first.
enum class basp_side {
  /// The peer connected to our port: it must send a client handshake.
  accepted,
  /// We connected to the peer: it must send a server handshake.
  connected,
};

/// Limits of one connection.
struct basp_limits {
  /// Largest payload a peer may announce before its handshake is complete.
  uint64_t max_handshake_bytes = 8 * 1024;
  /// Largest payload of any later frame.
  uint64_t max_frame_bytes = 64ull << 20;
};

class basp_guard {
public:
  /// Size of a BASP header on the wire (CAF 0.17.6, basp::header_size).
  static constexpr size_t header_bytes = 32;

  basp_guard(basp_side side, basp_limits limits) noexcept
    : side_(side), limits_(limits) {}

  /// Checks one block the connection read, in order: a header, then (when
  /// the header announced one) its payload. Returns why the peer must be
  /// refused, or an empty string. After a refusal the guard refuses all.
  [[nodiscard]] std::string check(const char* data, size_t size);

  /// True once the peer's first frame, its handshake, arrived whole.
  bool handshaken() const noexcept {
    return handshaken_;
  }

private:
  std::string check_header(const char* data, size_t size);
  std::string check_payload(size_t size);

  basp_side side_;
  basp_limits limits_;
  bool handshaken_ = false;
  bool refused_ = false;
  /// Bytes of the payload the last header announced; 0 between frames.
  uint64_t awaited_payload_ = 0;
};

} // namespace bsm::cluster
