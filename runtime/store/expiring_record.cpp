#include "runtime/store/expiring_record.hpp"

#include "runtime/clock.hpp"
#include "runtime/error.hpp"
#include "runtime/store/expiring_value.hpp"

namespace bsm {

caf::expected<bool> get_live_record(const store& db, column cf,
                                    const std::string& key,
                                    google::protobuf::MessageLite& out) {
  auto value = db.get(cf, key);
  if (!value)
    return value.error();
  if (!*value)
    return false;
  auto payload = live_payload(**value, unix_now_ms());
  if (!payload)
    return false;
  if (!out.ParseFromArray(payload->data(), static_cast<int>(payload->size())))
    // The key may hold a binary prefix: not for a message.
    return make_error(errc::internal, "a stored record is damaged");
  return true;
}

caf::error put_expiring_record(store& db, column cf, const std::string& key,
                               const google::protobuf::MessageLite& record,
                               std::chrono::milliseconds ttl) {
  auto expires = unix_now_ms() + ttl.count();
  return db.put(cf, key,
                make_expiring_value(expires, record.SerializeAsString()));
}

} // namespace bsm
