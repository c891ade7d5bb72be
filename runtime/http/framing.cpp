#include "runtime/http/framing.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "runtime/ascii.hpp"

namespace bsm::http {

namespace bhttp = boost::beast::http;

namespace {

rejection bad_request(std::string message) {
  return {bhttp::status::bad_request, "invalid_argument", std::move(message)};
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_host_char(char c) {
  // reg-name: unreserved / pct-encoded / sub-delims (RFC 3986 3.2.2).
  static constexpr std::string_view others = "-._~%!$&'()*+,;=";
  return std::isalnum(static_cast<unsigned char>(c)) != 0
         || others.find(c) != std::string_view::npos;
}

bool is_ip_literal_char(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':'
         || c == '.';
}

bool valid_port(std::string_view port) {
  return port.size() <= 5 && std::all_of(port.begin(), port.end(), is_digit);
}

} // namespace

rejection request_timeout_rejection(std::chrono::milliseconds read_timeout) {
  return {bhttp::status::request_timeout, "request_timeout",
          "the request did not arrive whole within http.read_timeout ("
            + std::to_string(read_timeout.count()) + " ms)"};
}

std::optional<std::string> origin_form(boost::beast::string_view target) {
  std::string_view text{target.data(), target.size()};
  auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos)
    return std::nullopt;
  auto scheme = ascii_lower(text.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https")
    return std::nullopt;
  auto rest = text.substr(scheme_end + 3);
  auto path_start = rest.find_first_of("/?");
  if (path_start == std::string_view::npos)
    return std::string{"/"};
  std::string result{rest.substr(path_start)};
  if (result.front() == '?')
    result.insert(result.begin(), '/');
  return result;
}

bool valid_host(boost::beast::string_view value) {
  std::string_view text{value.data(), value.size()};
  std::string_view host = text;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos)
      return false;
    auto literal = text.substr(1, close - 1);
    if (literal.empty()
        || !std::all_of(literal.begin(), literal.end(), is_ip_literal_char))
      return false;
    auto after = text.substr(close + 1);
    if (after.empty())
      return true;
    if (after.front() != ':')
      return false;
    return valid_port(after.substr(1));
  }
  auto colon = text.find(':');
  if (colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (!valid_port(port))
      return false;
  }
  return std::all_of(host.begin(), host.end(), is_host_char);
}

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
  if (!valid_host(header[bhttp::field::host]))
    return bad_request("the Host header is not a host[:port]");
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
