#pragma once

// Values that carry their own expiry: an 8-byte big-endian Unix-millisecond
// deadline, then the payload. Reads treat an expired value as absent;
// compaction drops it, so the column stays bounded without a sweeper.
// The store applies the filter to column::idempotency.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <rocksdb/compaction_filter.h>

namespace bsm {

/// Prefixes `payload` with its expiry.
std::string make_expiring_value(int64_t expires_unix_ms,
                                std::string_view payload);

/// The payload of `value` if it has not expired at `now_unix_ms`; nothing
/// if it has expired or is too short to carry an expiry.
std::optional<std::string_view> live_payload(std::string_view value,
                                             int64_t now_unix_ms);

/// A compaction filter that removes expired values (and malformed ones).
/// Thread-safe (RocksDB may share it between compactions).
std::shared_ptr<const rocksdb::CompactionFilter> make_expiry_filter();

} // namespace bsm
