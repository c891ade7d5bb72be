#pragma once

// Cryptographically strong random bytes from OpenSSL's CSPRNG, for salts,
// key ids, API key secrets and token ids.

#include <cstddef>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

namespace bsm::security {

/// Returns `count` random bytes. Thread-safe.
/// Errors: internal (the generator is not seeded or failed).
caf::expected<std::string> random_bytes(size_t count);

/// `bytes` as lowercase hex, two digits a byte (ids, digests).
std::string lower_hex(std::string_view bytes);

} // namespace bsm::security
