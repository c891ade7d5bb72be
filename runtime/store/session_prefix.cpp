#include "runtime/store/session_prefix.hpp"

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
    // The tag, at least one byte of agent and its terminator, and the
    // session's terminator before the number.
    return key.size() >= sizeof session_turn_tag + 3 + session_turn_seq_bytes
           && key.starts_with(
             rocksdb::Slice{session_turn_tag, sizeof session_turn_tag});
  }
};

} // namespace

std::shared_ptr<const rocksdb::SliceTransform> session_prefix_extractor() {
  static const auto result = std::make_shared<const session_prefix>();
  return result;
}

} // namespace bsm
