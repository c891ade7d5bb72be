#include "runtime/http/read_limits.hpp"

#include <iterator>
#include <string>

#include <boost/beast/http/error.hpp>

namespace bsm::http {

namespace bhttp = boost::beast::http;

namespace {

rejection headers_too_large(std::string message) {
  return {bhttp::status::request_header_fields_too_large, "headers_too_large",
          std::move(message)};
}

rejection bad_request(std::string message) {
  return {bhttp::status::bad_request, "invalid_argument", std::move(message)};
}

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
         || (c >= 'A' && c <= 'F');
}

// The read buffer filled up: what did not fit tells which limit it was.
rejection overflow(read_stage stage, std::string_view unparsed,
                   const framing_limits& limits) {
  auto bytes = std::to_string(read_buffer_bytes(limits));
  switch (stage) {
    case read_stage::request_line:
      return {bhttp::status::uri_too_long, "uri_too_long",
              "the request line is longer than " + bytes + " bytes"};
    case read_stage::headers:
      return headers_too_large("the request headers are too large");
    case read_stage::body: break;
  }
  if (starts_with_last_chunk(unparsed))
    return headers_too_large("the trailers are longer than " + bytes
                             + " bytes");
  return bad_request("a chunk-size line with its extensions is longer than "
                     + bytes + " bytes");
}

} // namespace

uint64_t read_buffer_bytes(const framing_limits& limits) {
  return limits.max_header_bytes + limits.max_uri_bytes;
}

rejection refusal_for(const boost::beast::error_code& ec, read_stage stage,
                      std::string_view unparsed, const framing_limits& limits) {
  if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow)
    return overflow(stage, unparsed, limits);
  if (ec == bhttp::error::body_limit)
    return {bhttp::status::payload_too_large, "payload_too_large",
            "the body is larger than http.max_body_bytes"};
  return bad_request("malformed request: " + ec.message());
}

bool starts_with_last_chunk(std::string_view unparsed) {
  // Beast leaves the CRLF that ends a chunk's data before the next line.
  if (unparsed.substr(0, 2) == "\r\n")
    unparsed.remove_prefix(2);
  auto eol = unparsed.find("\r\n");
  if (eol == std::string_view::npos)
    return false;
  auto line = unparsed.substr(0, eol);
  size_t digits = 0;
  while (digits < line.size() && is_hex_digit(line[digits])) {
    if (line[digits] != '0')
      return false;
    ++digits;
  }
  return digits > 0;
}

std::optional<rejection> drop_trailers(request_header& header,
                                       const request_header& header_section,
                                       const framing_limits& limits) {
  // Trailers only ever add fields (Beast keeps same-named ones together,
  // so they are not simply the last ones).
  if (field_count(header) == field_count(header_section))
    return std::nullopt;
  auto total = header_bytes(header);
  header = header_section;
  if (total > limits.max_header_bytes)
    return headers_too_large(
      "the headers and trailers together are larger than "
      "http.max_header_bytes ("
      + std::to_string(limits.max_header_bytes) + ")");
  return std::nullopt;
}

size_t field_count(const request_header& header) {
  return static_cast<size_t>(std::distance(header.begin(), header.end()));
}

} // namespace bsm::http
