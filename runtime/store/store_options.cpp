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

uint64_t memtable_budget(const store_options& opts) {
  return opts.memory_budget / 2;
}

uint64_t wal_limit(const store_options& opts) {
  return opts.max_wal_bytes != 0 ? opts.max_wal_bytes : opts.write_buffer_bytes;
}

namespace {

config::maybe_problem check_sizes(const store_options& x) {
  if (x.write_buffer_bytes > memtable_budget(x))
    return config::problem{"store.write_buffer_bytes",
                           std::to_string(x.write_buffer_bytes)
                             + " is more than half of store.memory_budget ("
                             + std::to_string(memtable_budget(x)) + ")",
                           "store.memory_budget"};
  // A smaller limit would flush every memtable before it is full.
  if (x.max_wal_bytes != 0 && x.max_wal_bytes < x.write_buffer_bytes)
    return config::problem{"store.max_wal_bytes",
                           std::to_string(x.max_wal_bytes)
                             + " is less than store.write_buffer_bytes ("
                             + std::to_string(x.write_buffer_bytes) + ")",
                           "store.write_buffer_bytes"};
  return std::nullopt;
}

} // namespace

const config::section<store_options>& store_section() {
  static const config::section<store_options> result{
    "store",
    {config::one_of("durability", &store_options::durability, durability_names),
     config::integer("memory_budget", &store_options::memory_budget, 4 * mib,
                     1048576 * mib),
     config::integer("memory_headroom", &store_options::memory_headroom, 0,
                     1048576 * mib),
     config::integer("write_buffer_bytes", &store_options::write_buffer_bytes,
                     mib, 4096 * mib),
     config::integer("max_wal_bytes", &store_options::max_wal_bytes, 0,
                     1048576 * mib),
     config::one_of("wal_recovery", &store_options::wal_recovery,
                    wal_recovery_names)},
    check_sizes};
  return result;
}

} // namespace bsm
