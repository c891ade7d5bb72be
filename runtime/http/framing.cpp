#include "runtime/http/framing.hpp"

#include <algorithm>

#include "runtime/ascii.hpp"

namespace bsm::http {

namespace bhttp = boost::beast::http;

namespace {

rejection bad_request(std::string message) {
  return {bhttp::status::bad_request, "invalid_argument", std::move(message)};
}

} // namespace

uint64_t header_bytes(const request_header& header) {
  uint64_t n = header.method_string().size() + 1 + 1 + 8 + 2;
  for (const auto& field : header)
    n += field.name_string().size() + 2 + field.value().size() + 2;
  return n;
}

bool has_control_characters(boost::beast::string_view value) {
  return std::any_of(value.begin(), value.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && u != '\t') || u == 0x7f;
  });
}

std::string last_transfer_coding(boost::beast::string_view value) {
  auto end = value.find_last_not_of(" \t,");
  if (end == boost::beast::string_view::npos)
    return {};
  auto begin = value.find_last_of(", \t", end);
  begin = begin == boost::beast::string_view::npos ? 0 : begin + 1;
  return ascii_lower(std::string_view{value.data() + begin, end - begin + 1});
}

std::optional<rejection> check_header(const request_header& header,
                                      std::optional<uint64_t> content_length,
                                      const framing_limits& limits) {
  if (header.target().size() > limits.max_uri_bytes)
    return rejection{bhttp::status::uri_too_long, "uri_too_long",
                     "the request target is longer than "
                       + std::to_string(limits.max_uri_bytes) + " bytes"};
  if (header_bytes(header) > limits.max_header_bytes)
    return rejection{bhttp::status::request_header_fields_too_large,
                     "headers_too_large",
                     "the request headers are larger than "
                       + std::to_string(limits.max_header_bytes) + " bytes"};
  for (const auto& field : header)
    if (has_control_characters(field.value()))
      return bad_request("header '" + std::string{field.name_string()}
                         + "' holds a control character");
  if (header.version() >= 11 && header.count(bhttp::field::host) == 0)
    return bad_request("the Host header is missing");
  if (header.count(bhttp::field::host) > 1)
    return bad_request("more than one Host header");
  auto te_count = header.count(bhttp::field::transfer_encoding);
  if (te_count > 0) {
    if (header.count(bhttp::field::content_length) > 0)
      return bad_request(
        "Content-Length together with Transfer-Encoding is ambiguous");
    if (te_count > 1)
      return bad_request("more than one Transfer-Encoding header");
    auto te = header[bhttp::field::transfer_encoding];
    if (last_transfer_coding(te) != "chunked")
      return bad_request("the last Transfer-Encoding must be chunked, got '"
                         + std::string{te} + "'");
    if (te.find(',') != boost::beast::string_view::npos)
      return bad_request("only the chunked transfer coding is supported, got '"
                         + std::string{te} + "'");
  }
  if (content_length && *content_length > limits.max_body_bytes)
    return rejection{bhttp::status::payload_too_large, "payload_too_large",
                     "the body of " + std::to_string(*content_length)
                       + " bytes is larger than http.max_body_bytes ("
                       + std::to_string(limits.max_body_bytes) + ")"};
  return std::nullopt;
}

} // namespace bsm::http
