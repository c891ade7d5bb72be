#pragma once

// Base64url (RFC 4648 section 5) without padding, as JWTs use it. The
// decoder is strict so that one token has exactly one spelling: a token
// that decodes only after "fixing" is refused instead.

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

} // namespace bsm::security
