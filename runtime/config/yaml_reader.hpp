#pragma once

// Typed reads of single YAML values for the config loaders. Every error is
// one line that names where the value came from ("file:line" or the `--set`
// argument) and its full dotted key. Nothing here throws.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <yaml-cpp/yaml.h>

namespace bsm::detail {

/// Wraps `x` in single quotes and escapes line breaks and tabs, so that
/// error messages stay on one line.
std::string quote(std::string_view x);

/// Describes `x` for the "got ..." part of an error: the quoted text of a
/// scalar, "a map", "a sequence" or "an empty value".
std::string describe(const YAML::Node& x);

/// Renders "<value> is out of range <min>..<max>".
std::string out_of_range(std::string_view value, int64_t min, int64_t max);

/// Parses "250ms", "10s", "2m", "1h" or a plain count of milliseconds.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view x);

/// Renders `x` in the largest unit that divides it ("10s", "250ms").
std::string render_duration(std::chrono::milliseconds x);

/// Joins `proj(x)` for every `x` in `xs`, separated by `sep`.
template <class Range, class Projection>
std::string join(const Range& xs, std::string_view sep, Projection proj) {
  std::string result;
  bool first = true;
  for (const auto& x : xs) {
    if (!first)
      result += sep;
    result += proj(x);
    first = false;
  }
  return result;
}

/// Makes an `invalid_argument` error "<where>: <what>".
caf::error located_error(const std::string& where, const std::string& what);

/// Renders a yaml-cpp parser error as "YAML syntax error at line L, column
/// C: <message>".
std::string syntax_error(const YAML::Exception& x);

/// Parser for `yaml_field::parsed` that accepts any text.
template <class T>
std::string assign(std::string_view text, T& out) {
  out = T{text};
  return {};
}

/// Knows where each value of a YAML tree came from: a line of the config
/// file or a `--set` argument that replaced it.
class yaml_source {
public:
  /// Values come from `file` unless overridden.
  explicit yaml_source(std::string file);

  /// The config file's name as the operator typed it; may be empty.
  [[nodiscard]] const std::string& file() const noexcept {
    return file_;
  }

  /// Records that the value of the dotted `key` comes from `argument`.
  void set_override(const std::string& key, std::string argument);

  /// "file:line" for `mark`, or the file name for nodes without a position.
  [[nodiscard]] std::string at(const YAML::Mark& mark) const;

  /// The override argument that set `key`, else `at(mark)`.
  [[nodiscard]] std::string where(const std::string& key,
                                  const YAML::Mark& mark) const;

private:
  std::string file_;
  std::map<std::string, std::string> overrides_;
};

/// One value of a YAML map with its dotted key and origin. The read
/// functions leave `out` untouched on error.
class yaml_field {
public:
  /// `mark` locates the value in the file; `source` must outlive this.
  yaml_field(const yaml_source& source, std::string key, YAML::Node value,
             const YAML::Mark& mark);

  /// "file:line" or the `--set` argument.
  [[nodiscard]] const std::string& where() const noexcept {
    return where_;
  }

  /// Makes "<where>: key '<key>': <what>".
  [[nodiscard]] caf::error fail(const std::string& what) const;

  /// Makes "<where>: key '<key>': expected <what>, got <value>".
  [[nodiscard]] caf::error expected(std::string_view what) const;

  /// Reads any scalar as text.
  [[nodiscard]] caf::error text(std::string& out) const;

  /// Reads true or false (not yes/no/on/off, which YAML 1.1 also allows).
  [[nodiscard]] caf::error boolean(bool& out) const;

  /// Reads a decimal integer in `min..max`.
  [[nodiscard]] caf::error integer64(int64_t& out, int64_t min,
                                     int64_t max) const;

  /// Reads a decimal integer in `min..max` into a narrower type.
  template <class Int>
  [[nodiscard]] caf::error integer(Int& out, int64_t min, int64_t max) const {
    int64_t x = 0;
    auto err = integer64(x, min, max);
    if (!err)
      out = static_cast<Int>(x);
    return err;
  }

  /// Reads a duration as accepted by `parse_duration`.
  [[nodiscard]] caf::error duration(std::chrono::milliseconds& out) const;

  /// Reads one of the names in `names`, a range of (name, value) pairs.
  template <class T, class Names>
  [[nodiscard]] caf::error one_of(T& out, const Names& names) const {
    if (value_.IsScalar())
      for (const auto& [name, value] : names)
        if (name == value_.Scalar()) {
          out = value;
          return {};
        }
    auto first = [](const auto& x) {
      return std::string{x.first};
    };
    return expected("one of " + join(names, "|", first));
  }

  /// Reads a scalar and converts it with `parse(std::string_view, T&)`,
  /// which returns a description of the problem or an empty string.
  template <class T, class Parse>
  [[nodiscard]] caf::error parsed(T& out, Parse parse) const {
    std::string str;
    if (auto err = text(str))
      return err;
    T result{};
    if (auto problem = parse(std::string_view{str}, result); !problem.empty())
      return fail(problem);
    out = std::move(result);
    return {};
  }

  /// Reads a sequence (an empty value counts as an empty one) and converts
  /// each element with `parse`, reporting errors at the element's line.
  template <class T, class Parse>
  [[nodiscard]] caf::error sequence(std::vector<T>& out, Parse parse) const {
    if (!value_.IsNull() && !value_.IsSequence())
      return expected("a sequence");
    std::vector<T> result;
    for (const auto& element : value_) {
      yaml_field in{*source_, key_, element, element.Mark()};
      if (auto err = in.parsed(result.emplace_back(), parse))
        return err;
    }
    out = std::move(result);
    return {};
  }

  /// Reads a sequence of maps or other structures (an empty value counts as
  /// an empty sequence): calls `read(element)` for each element as a field
  /// keyed "<key>[i]" (from 0) at the element's line, and stops at the
  /// first error it returns.
  template <class Read>
  [[nodiscard]] caf::error elements(Read read) const {
    if (!value_.IsNull() && !value_.IsSequence())
      return expected("a sequence");
    size_t index = 0;
    for (const auto& element : value_) {
      yaml_field in{*source_, key_ + "[" + std::to_string(index++) + "]",
                    element, element.Mark()};
      if (auto err = read(in))
        return err;
    }
    return {};
  }

  /// Reads a map (an empty value counts as an empty map): calls
  /// `read(entry, name)` for each entry as a field keyed "<key>.<name>" at
  /// the entry's key, and stops at the first error it returns. Errors: not
  /// a map, a key that is not a scalar, a key given twice.
  template <class Read>
  [[nodiscard]] caf::error entries(Read read) const {
    if (!value_.IsNull() && !value_.IsMap())
      return expected("a map");
    std::vector<std::string> names;
    for (const auto& entry : value_) {
      if (!entry.first.IsScalar())
        return fail("expected a map with text keys, got a key that is "
                    + describe(entry.first));
      auto name = entry.first.Scalar();
      yaml_field in{*source_, key_ + "." + name, entry.second,
                    entry.first.Mark()};
      if (std::find(names.begin(), names.end(), name) != names.end())
        return located_error(in.where(), "duplicate key " + quote(in.key_));
      names.push_back(name);
      if (auto err = read(in, name))
        return err;
    }
    return {};
  }

  /// The full dotted key ("tools.mcp_servers[0].command").
  [[nodiscard]] const std::string& key() const noexcept {
    return key_;
  }

private:
  const yaml_source* source_;
  std::string key_;
  YAML::Node value_;
  std::string where_;
};

} // namespace bsm::detail
