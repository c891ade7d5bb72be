#pragma once

// The memory family's prefix extractor: a session's turns are stored under
// `s\0<agent>\0<session>\0` followed by the turn's 8-byte big-endian
// number (actors/memory_actor.cpp), and the prefix is all but those 8
// bytes. With it each table file of the family carries a bloom filter of
// the sessions it holds, so finding the last turn of a session the memory
// actor does not remember (every new session's first turn) skips the
// files that cannot hold it instead of reading a data block from each:
// the lookup stays cheap when the cache is small and the data large
// (issue 28). Other keys (`kv\0...`) are outside its domain and are found
// as before.

#include <memory>

#include <rocksdb/slice_transform.h>

namespace bsm {

/// Tag that starts every session-turn key of the memory family.
inline constexpr char session_turn_tag[] = {'s', '\0'};

/// Bytes of the turn number that ends a session-turn key.
inline constexpr size_t session_turn_seq_bytes = 8;

/// The extractor described above. Its name is part of each table file:
/// changing its rule needs a new name, so that filters built under the
/// old one are not consulted.
std::shared_ptr<const rocksdb::SliceTransform> session_prefix_extractor();

} // namespace bsm
