#pragma once

// One section of the node's config file, described next to its options
// struct: each key with how it is read (type, range) and the section's
// rules across keys. The one config reader (node/node_config.cpp) reads
// every section through these descriptions; nothing else parses config.
//
// A component's options header declares its struct (the initialisers are
// the defaults) and `const config::section<X>& x_section();`; its .cpp
// lists the keys with the factories of config_fields.hpp:
//
//   {config::integer("io_threads", &http_options::io_threads, 1, 64),
//    config::duration("read_timeout", &http_options::read_timeout), ...}

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>

namespace bsm::detail {
class yaml_field;
} // namespace bsm::detail

namespace bsm::config {

using detail::yaml_field;

/// A broken rule: the full dotted key to blame, why, and a key it depends on
/// (which locates the problem when `key` kept its default).
struct problem {
  std::string key;
  std::string text;
  std::string related;
};

using maybe_problem = std::optional<problem>;

/// One key of a section and how to read it into `Options`.
template <class Options>
struct field {
  std::string_view name;
  std::function<caf::error(const yaml_field&, Options&)> read;
  /// The value as config text (what the file would say).
  std::function<std::string(const Options&)> render;
  /// The value's own limit (range, minimum), checked for structs from the
  /// file and from code alike: the problem, or empty. May be empty.
  std::function<std::string(const Options&)> limit = {};
  /// Takes a sequence; decides how `--set` parses its value.
  bool sequence = false;
  /// Too structured for `--set` (a list of maps): only the file sets it.
  bool file_only = false;
};

/// The keys of one section and its rules. `check` sees a whole struct (from
/// the file or built in code) and returns the first broken rule across
/// keys (each key's own limit is its field's); it may be empty.
template <class Options>
struct section {
  std::string_view name;
  std::vector<field<Options>> fields;
  std::function<maybe_problem(const Options&)> check = {};
};

// -- rules --------------------------------------------------------------------

/// A problem at `key` if `text` is not empty.
maybe_problem check(std::string key, std::string text);

/// `x` must be at least `min`.
maybe_problem at_least(std::string key, std::chrono::milliseconds x,
                       std::chrono::milliseconds min);

/// "<x> is below the minimum of <min>", or empty if it is not.
std::string below_minimum(std::chrono::milliseconds x,
                          std::chrono::milliseconds min);

/// "<x> is out of range <min>..<max>", or empty if it is in range.
std::string outside_range(int64_t x, int64_t min, int64_t max);

/// `x` (at `key`) must exceed `y` (at `other`).
maybe_problem greater(std::string key, std::chrono::milliseconds x,
                      std::string other, std::chrono::milliseconds y);

/// `x` (at `key`) must not be less than `y` (at `other`).
maybe_problem not_less(std::string key, std::chrono::milliseconds x,
                       std::string other, std::chrono::milliseconds y);

} // namespace bsm::config
