#include "runtime/store/expiring_value.hpp"

#include "runtime/clock.hpp"
#include "runtime/store/big_endian.hpp"

namespace bsm {

namespace {

class expiry_filter : public rocksdb::CompactionFilter {
public:
  bool Filter(int, const rocksdb::Slice&, const rocksdb::Slice& value,
              std::string*, bool*) const override {
    return !live_payload({value.data(), value.size()}, unix_now_ms());
  }

  const char* Name() const override {
    return "bsm.expiry_filter";
  }
};

} // namespace

std::string make_expiring_value(int64_t expires_unix_ms,
                                std::string_view payload) {
  std::string result;
  result.reserve(8 + payload.size());
  append_big_endian(result, static_cast<uint64_t>(expires_unix_ms));
  result.append(payload);
  return result;
}

std::optional<std::string_view> live_payload(std::string_view value,
                                             int64_t now_unix_ms) {
  if (value.size() < 8)
    return std::nullopt;
  auto expires = static_cast<int64_t>(read_big_endian(value.substr(0, 8)));
  if (expires <= now_unix_ms)
    return std::nullopt;
  return value.substr(8);
}

std::shared_ptr<const rocksdb::CompactionFilter> make_expiry_filter() {
  return std::make_shared<expiry_filter>();
}

} // namespace bsm
