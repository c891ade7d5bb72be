#include "actors/memory_options.hpp"

#include "runtime/config/config_fields.hpp"

namespace bsm {

namespace {

constexpr int64_t mib = int64_t{1} << 20;

} // namespace

const config::section<memory_options>& memory_section() {
  static const config::section<memory_options> result{
    "memory",
    {config::integer("max_key_bytes", &memory_options::max_key_bytes, 1,
                     64 * 1024),
     config::integer("max_value_bytes", &memory_options::max_value_bytes, 1024,
                     64 * mib),
     config::integer("max_turn_bytes", &memory_options::max_turn_bytes, 1024,
                     64 * mib),
     config::integer("session_cache_sessions",
                     &memory_options::session_cache_sessions, 0, 1 << 20),
     config::integer("session_cache_turns",
                     &memory_options::session_cache_turns, 1, 1000),
     config::integer("session_cache_bytes",
                     &memory_options::session_cache_bytes, 0, 4096 * mib),
     config::integer("sequence_cache_sessions",
                     &memory_options::sequence_cache_sessions, 1, 1 << 24)}};
  return result;
}

} // namespace bsm
