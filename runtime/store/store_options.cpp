#include "runtime/store/store_options.hpp"

#include <string_view>
#include <utility>

#include "runtime/config/config_fields.hpp"

namespace bsm {

namespace {

constexpr int64_t mib = int64_t{1} << 20;

constexpr std::pair<std::string_view, durability> durability_names[] = {
  {"none", durability::none},
  {"os", durability::os},
  {"fsync", durability::fsync},
};

constexpr std::pair<std::string_view, wal_recovery> wal_recovery_names[] = {
  {"strict", wal_recovery::strict},
  {"tolerant", wal_recovery::tolerant},
};

} // namespace

const config::section<store_options>& store_section() {
  static const config::section<store_options> result{
    "store",
    {config::one_of("durability", &store_options::durability, durability_names),
     config::integer("block_cache_bytes", &store_options::block_cache_bytes,
                     mib, 65536 * mib),
     config::integer("write_buffer_bytes", &store_options::write_buffer_bytes,
                     mib, 4096 * mib),
     config::one_of("wal_recovery", &store_options::wal_recovery,
                    wal_recovery_names)}};
  return result;
}

} // namespace bsm
