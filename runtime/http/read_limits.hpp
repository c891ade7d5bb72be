#pragma once

// What a session may hold of a request it has not parsed yet, and why a
// read that ran into a limit is refused. Every byte a client can make the
// server keep counts against a limit: the request line and headers
// (Beast's header limit), a chunk-size line with its extensions and the
// trailers (the read buffer's size, since Beast keeps an unfinished line
// in the buffer), the body (Beast's body limit, which counts a chunked
// body's decoded bytes). Bytes after the current request (pipelining) wait
// in the same bounded buffer or in the kernel.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include <boost/beast/core/error.hpp>

#include "runtime/http/framing.hpp"

namespace bsm::http {

/// The most bytes a session holds unparsed: the request line and headers
/// at their limits (max_header_bytes + max_uri_bytes). It is also Beast's
/// header limit, and the bound of a chunk-size line with its extensions
/// and of the trailer section.
uint64_t read_buffer_bytes(const framing_limits& limits);

/// Where the read of a request stopped.
enum class read_stage {
  /// No whole request line yet.
  request_line,
  /// The request line is read, the header section is not complete.
  headers,
  /// The header section is read: the body, its chunk-size lines and its
  /// trailers.
  body,
};

/// Why a read that failed with `ec` (a Beast parse or read error) is
/// refused: 414 for a request line that outgrew the read buffer, 431 for
/// headers or trailers, 413 for a body over its limit (a chunked body's
/// decoded size included), 400 for a chunk-size line too long and for
/// malformed requests. `unparsed` is what the session holds unparsed; it
/// tells a chunk-size line from the trailers after the last chunk.
rejection refusal_for(const boost::beast::error_code& ec, read_stage stage,
                      std::string_view unparsed, const framing_limits& limits);

/// True if `unparsed`, the bytes after a chunked body's last whole chunk,
/// starts with the last chunk's line ("0", extensions, CRLF): what follows
/// are trailers.
bool starts_with_last_chunk(std::string_view unparsed);

/// Puts `header` (the message's fields after a chunked body, trailers
/// merged in by Beast) back to `header_section` (a copy taken when the
/// header was read), so handlers and access checks see no trailer field
/// (RFC 9110 §6.5.1 lets a recipient discard trailers). Returns a 431 if
/// headers and trailers together were over max_header_bytes.
std::optional<rejection> drop_trailers(request_header& header,
                                       const request_header& header_section,
                                       const framing_limits& limits);

/// The number of fields in `header`.
size_t field_count(const request_header& header);

} // namespace bsm::http
