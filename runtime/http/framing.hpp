#pragma once

// Checks a request's header before its body is read: the framing attacks of
// request smuggling (RFC 9112 §6.3) and the size limits that are decided
// from the header alone. Beast's parser already refuses some of these
// (Content-Length together with chunked, differing Content-Lengths); these
// checks cover the rest and make every refusal explicit.

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

/// Bytes of the request line without the target, plus the header fields,
/// as they came over the wire (name, ": ", value, CRLF).
uint64_t header_bytes(const request_header& header);

/// True if `value` holds a control character other than horizontal tab.
bool has_control_characters(boost::beast::string_view value);

/// The last transfer coding of a Transfer-Encoding value ("gzip, chunked" ->
/// "chunked"), lowercased; empty for an empty list.
std::string last_transfer_coding(boost::beast::string_view value);

} // namespace bsm::http
