#pragma once

// The messages bsmctl injects: building the JSON body of
// `POST /v1/actors/{name}/messages` (API.md, "Message injection") from the
// command line or from one line of `send --batch` input.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

namespace bsm::ctl {

/// One message to inject.
struct outgoing_message {
  std::string actor;
  /// Fully qualified, e.g. "bsm.v1.PingRequest".
  std::string type;
  /// A JSON object: the payload in the protobuf JSON mapping of `type`.
  nlohmann::json payload = nlohmann::json::object();
  /// Wait for the reply (mode "ask") instead of a durable tell.
  bool ask = false;
  /// The server's deadline for an ask; unset: the server's default.
  std::optional<uint64_t> timeout_ms;
  /// Sent as the Idempotency-Key header when not empty.
  std::string idempotency_key;
};

/// What a batch line gets when it names no mode or timeout.
struct batch_defaults {
  bool ask = false;
  std::optional<uint64_t> timeout_ms;
};

/// Adds the "bsm.v1." prefix to a type name without a dot.
std::string qualified_type(const std::string& type);

/// Percent-encodes everything but RFC 3986 unreserved characters, so an
/// actor path like "hub/task_queue" stays one path segment.
std::string percent_encode(std::string_view text);

/// "/v1/actors/<actor, percent-encoded>/messages".
std::string messages_path(const std::string& actor);

/// The request body: {"type","payload","mode"[,"timeout_ms"]}.
std::string request_body(const outgoing_message& msg);

/// Parses a payload given as text. Errors: `invalid_argument` when it is
/// not JSON or not a JSON object.
[[nodiscard]] caf::expected<nlohmann::json>
parse_payload(const std::string& text);

/// Parses one line of `send --batch` input:
/// {"actor","type","payload"?,"mode"?,"idempotency_key"?,"timeout_ms"?}.
/// Errors: `invalid_argument` naming what is wrong (not JSON, a missing or
/// mistyped field, an unknown field, a mode other than tell or ask).
[[nodiscard]] caf::expected<outgoing_message>
parse_batch_line(const std::string& line, const batch_defaults& defaults);

} // namespace bsm::ctl
