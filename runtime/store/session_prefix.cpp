#include "runtime/store/session_prefix.hpp"

#include <algorithm>

namespace bsm {

namespace {

class session_prefix final : public rocksdb::SliceTransform {
public:
  const char* Name() const override {
    return "bsm.SessionTurnPrefix.1";
  }

  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return {key.data(), key.size() - session_turn_seq_bytes};
  }

  bool InDomain(const rocksdb::Slice& key) const override {
    // Only a whole turn key: the tag, agent, session, each ended by NUL
    // (names hold none), then the number. A shorter key, such as a scan's
    // seek to `s\0<agent>\0<session>\0`, must be outside the domain, or
    // RocksDB would cut its last 8 bytes, ask the filters for a prefix no
    // file holds and find nothing.
    if (key.size() < sizeof session_turn_tag + 4 + session_turn_seq_bytes
        || !key.starts_with(
          rocksdb::Slice{session_turn_tag, sizeof session_turn_tag}))
      return false;
    auto prefix_size = key.size() - session_turn_seq_bytes;
    return key[prefix_size - 1] == '\0'
           && std::count(key.data(), key.data() + prefix_size, '\0') == 3;
  }
};

} // namespace

std::shared_ptr<const rocksdb::SliceTransform> session_prefix_extractor() {
  static const auto result = std::make_shared<const session_prefix>();
  return result;
}

} // namespace bsm
