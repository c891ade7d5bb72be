#pragma once

// Base64 (RFC 4648) without padding: the URL-safe alphabet as JWTs use it
// (section 5), and the standard one as PHC password-hash strings use it
// (section 4). The decoders are strict so that one text has exactly one
// spelling: a text that decodes only after "fixing" is refused instead.

#include <optional>
#include <string>
#include <string_view>

namespace bsm::security {

/// Encodes `bytes` with the URL-safe alphabet and no '=' padding.
std::string base64url_encode(std::string_view bytes);

/// Decodes `text`, or nothing if it has padding, a character outside
/// [A-Za-z0-9_-] (also '+', '/' and whitespace), an impossible length, or
/// non-zero bits after the last whole byte.
std::optional<std::string> base64url_decode(std::string_view text);

/// Encodes `bytes` with the standard alphabet ('+' and '/') and no padding.
std::string base64_unpadded_encode(std::string_view bytes);

/// Decodes `text` as base64url_decode does, over [A-Za-z0-9+/].
std::optional<std::string> base64_unpadded_decode(std::string_view text);

} // namespace bsm::security
