#pragma once

// Checks a request's header before its body is read: the framing attacks of
// request smuggling (RFC 9112 §6.3) and the size limits that are decided
// from the header alone. Beast's parser already refuses some of these
// (Content-Length together with chunked, differing Content-Lengths); these
// checks cover the rest and make every refusal explicit.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>

namespace bsm::http {

/// The limits the header checks need (from http_options).
struct framing_limits {
  uint64_t max_header_bytes = 16 * 1024;
  uint64_t max_uri_bytes = 8 * 1024;
  uint64_t max_body_bytes = 4ull << 20;
};

/// Why a request is refused before its body is read. The connection is
/// closed after the answer: after a framing error, where the next request
/// starts is unknown.
struct rejection {
  boost::beast::http::status status;
  /// Error code of API.md ("invalid_argument", "payload_too_large", ...).
  std::string code;
  std::string message;
};

using request_header
  = boost::beast::http::request_header<boost::beast::http::fields>;

/// Returns why `header` must be refused, if it must. `content_length` is
/// the parser's, if the request declared one.
std::optional<rejection> check_header(const request_header& header,
                                      std::optional<uint64_t> content_length,
                                      const framing_limits& limits);

/// The 408 for a request that did not arrive whole within `read_timeout`
/// of its first byte.
rejection request_timeout_rejection(std::chrono::milliseconds read_timeout);

/// The origin form ("/healthz?x=1") of an absolute-form target
/// ("http://127.0.0.1:8080/healthz?x=1", RFC 9112 3.2.2), which is routed
/// like it; nothing for any other target. The target's authority is not
/// checked against the node's: a client talks to it through whatever
/// name reaches it.
std::optional<std::string> origin_form(boost::beast::string_view target);

/// True if `value` is a Host field value: uri-host [":" port] (RFC 9110
/// 7.2; empty is allowed, for a target without an authority).
bool valid_host(boost::beast::string_view value);

/// Bytes of the request line without the target, plus the header fields,
/// as they came over the wire (name, ": ", value, CRLF).
uint64_t header_bytes(const request_header& header);

/// True if `value` holds a control character other than horizontal tab.
bool has_control_characters(boost::beast::string_view value);

/// The last transfer coding of a Transfer-Encoding value ("gzip, chunked" ->
/// "chunked"), lowercased; empty for an empty list.
std::string last_transfer_coding(boost::beast::string_view value);

} // namespace bsm::http
