#pragma once

// The keys of a config section, one line each (config_section.hpp): the
// factories pair a key with its member, its type and range, and how its
// value reads back as config text.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "runtime/config/config_section.hpp"
#include "runtime/config/yaml_reader.hpp"

namespace bsm::config {

/// A value as the config file writes it.
template <class T>
std::string render_value(const T& x) {
  if constexpr (std::is_same_v<T, std::string>) {
    return x;
  } else if constexpr (std::is_same_v<T, std::filesystem::path>) {
    return x.string();
  } else if constexpr (std::is_same_v<T, bool>) {
    return x ? "true" : "false";
  } else if constexpr (std::is_integral_v<T>) {
    return std::to_string(x);
  } else if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
    return detail::render_duration(x);
  } else {
    return to_string(x); // found by ADL, e.g. listen_address's
  }
}

/// Renders the member `member` of an options struct.
template <class Options, class T>
auto render_member(T Options::*member) {
  return [member](const Options& x) {
    return render_value(x.*member);
  };
}

template <class Options>
field<Options> text(std::string_view name, std::string Options::*member) {
  return {name,
          [member](const yaml_field& in, Options& out) {
            return in.text(out.*member);
          },
          render_member(member)};
}

template <class Options>
field<Options> boolean(std::string_view name, bool Options::*member) {
  return {name,
          [member](const yaml_field& in, Options& out) {
            return in.boolean(out.*member);
          },
          render_member(member)};
}

/// An integer in min..max.
template <class Options, class Int>
field<Options> integer(std::string_view name, Int Options::*member, int64_t min,
                       int64_t max) {
  return {name,
          [member, min, max](const yaml_field& in, Options& out) {
            return in.integer(out.*member, min, max);
          },
          render_member(member),
          [member, min, max](const Options& x) {
            return outside_range(static_cast<int64_t>(x.*member), min, max);
          }};
}

/// "250ms", "10s", "2m", "1h" or milliseconds, at least `min`.
template <class Options>
field<Options>
duration(std::string_view name, std::chrono::milliseconds Options::*member,
         std::chrono::milliseconds min = std::chrono::milliseconds{0}) {
  return {name,
          [member](const yaml_field& in, Options& out) {
            return in.duration(out.*member);
          },
          render_member(member),
          [member, min](const Options& x) {
            return below_minimum(x.*member, min);
          }};
}

/// One of `names` (a static array of name/value pairs).
template <class Options, class T, class Names>
field<Options> one_of(std::string_view name, T Options::*member,
                      const Names& names) {
  return {name,
          [member, &names](const yaml_field& in, Options& out) {
            return in.one_of(out.*member, names);
          },
          [member, &names](const Options& x) {
            for (const auto& [text, value] : names)
              if (value == x.*member)
                return std::string{text};
            return std::string{"?"};
          }};
}

/// A scalar converted by `parse(std::string_view, T&)`, which returns the
/// problem or an empty string.
template <class Options, class T, class Parse>
field<Options> parsed(std::string_view name, T Options::*member, Parse parse) {
  return {name,
          [member, parse](const yaml_field& in, Options& out) {
            return in.parsed(out.*member, parse);
          },
          render_member(member)};
}

/// A sequence of scalars, each converted by `parse`.
template <class Options, class T, class Parse>
field<Options> sequence(std::string_view name, std::vector<T> Options::*member,
                        Parse parse) {
  return {name,
          [member, parse](const yaml_field& in, Options& out) {
            return in.sequence(out.*member, parse);
          },
          [member](const Options& x) {
            return "[" + detail::join(x.*member, ", ", render_value<T>) + "]";
          },
          {},
          true};
}

} // namespace bsm::config
