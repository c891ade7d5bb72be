#include "runtime/cluster/basp_guard.hpp"

namespace bsm::cluster {

namespace {

// BASP message types (caf/io/basp/message_type.hpp, CAF 0.17.6).
constexpr uint8_t server_handshake = 0x00;
constexpr uint8_t client_handshake = 0x01;
constexpr uint8_t last_message_type = 0x06; // heartbeat

// CAF's binary serializer writes integers in network byte order.
uint32_t read_u32(const char* p) {
  auto b = [p](int i) {
    return static_cast<uint32_t>(static_cast<uint8_t>(p[i]));
  };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

} // namespace

std::string basp_guard::check(const char* data, size_t size) {
  if (refused_)
    return "refused earlier";
  auto problem
    = awaited_payload_ == 0 ? check_header(data, size) : check_payload(size);
  refused_ = !problem.empty();
  return problem;
}

std::string basp_guard::check_header(const char* data, size_t size) {
  if (size != header_bytes)
    return "read " + std::to_string(size) + " bytes where a "
           + std::to_string(header_bytes) + "-byte header belongs";
  auto type = static_cast<uint8_t>(data[0]);
  uint64_t payload = read_u32(data + 4);
  if (!handshaken_) {
    auto expected
      = side_ == basp_side::accepted ? client_handshake : server_handshake;
    if (type != expected)
      return "sent message type " + std::to_string(type)
             + " before its handshake";
    if (payload > limits_.max_handshake_bytes)
      return "announced a " + std::to_string(payload)
             + "-byte handshake (limit "
             + std::to_string(limits_.max_handshake_bytes) + ")";
  } else {
    if (type > last_message_type)
      return "sent unknown message type " + std::to_string(type);
    if (payload > limits_.max_frame_bytes)
      return "announced a " + std::to_string(payload)
             + "-byte frame (limit cluster.max_frame_bytes = "
             + std::to_string(limits_.max_frame_bytes) + ")";
  }
  if (payload == 0)
    handshaken_ = true;
  awaited_payload_ = payload;
  return {};
}

std::string basp_guard::check_payload(size_t size) {
  if (size != awaited_payload_)
    return "sent " + std::to_string(size) + " payload bytes, announced "
           + std::to_string(awaited_payload_);
  awaited_payload_ = 0;
  handshaken_ = true;
  return {};
}

} // namespace bsm::cluster
