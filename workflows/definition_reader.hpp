#pragma once

// Internal to workflows/: typed reads of one JSON object of a definition,
// each error naming the step and the field. Not part of the public surface.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <nlohmann/json.hpp>

namespace bsm::workflows::detail {

/// Where a definition is wrong: `path` ("steps[2].timeout") finds the line
/// in YAML, `message` is what the user reads.
struct problem {
  std::string path;
  std::string message;
};

/// True for [a-z0-9_-], 1..64.
[[nodiscard]] bool is_name(std::string_view x);

/// Describes `x` for "got ...": "text 'abc'", "a number", "a list", ...
[[nodiscard]] std::string describe(const nlohmann::json& x);

/// The text of a bsm error (without its code).
[[nodiscard]] std::string message_of(const caf::error& err);

/// Reads the fields of one object. The first problem wins and is stored in
/// the slot all readers of a definition share; reads after it return
/// defaults, so callers check `ok()` only where a value decides what
/// comes next.
class object_reader {
public:
  /// `path` locates the object, `who` names it in messages ("step 'x'"),
  /// `prefix` goes before its keys ("backoff.").
  object_reader(const nlohmann::json& value, std::string path, std::string who,
                std::string prefix, std::optional<problem>& failure);

  [[nodiscard]] bool ok() const noexcept {
    return !failure_->has_value();
  }

  [[nodiscard]] bool has(std::string_view key) const;

  /// Records "<who>: <prefix><key>: <what>" unless a problem came first;
  /// an empty key names the object itself.
  void fail(std::string_view key, const std::string& what);

  /// Names the object `who` in later messages (a step, once its id is read).
  void name_as(std::string who);

  /// Fails on the first key not in `known`; `kind` says whose keys they are.
  void only(const std::vector<std::string_view>& known, std::string_view kind);

  /// A string; "" if absent (a problem if `required`).
  std::string text(std::string_view key, bool required);

  /// A string of [a-z0-9_-], 1..64.
  std::string name(std::string_view key, bool required);

  /// A list of names; empty if absent.
  std::vector<std::string> names(std::string_view key);

  /// A duration string such as "30s"; nullopt if absent.
  std::optional<std::chrono::milliseconds> duration(std::string_view key,
                                                    bool required);

  /// An integer in min..max; `fallback` if absent.
  uint32_t integer(std::string_view key, int64_t min, int64_t max,
                   uint32_t fallback);

  /// A number in min..max; `fallback` if absent.
  double number(std::string_view key, double min, double max, double fallback);

  /// An object; an empty one if absent.
  nlohmann::json object(std::string_view key);

  /// Any value; null if absent.
  nlohmann::json any(std::string_view key);

  /// The object at `key`, read with "<key>." before its keys; nullopt if
  /// absent (a problem if `required`) or not an object.
  std::optional<object_reader> nested(std::string_view key, bool required);

  /// The length of the list at `key`; 0 if absent (a problem if
  /// `required`) or not a list.
  size_t list(std::string_view key, bool required);

  /// The object at `key`[`index`], named "<key>[<index>]" until `name_as`;
  /// nullopt if it is not an object.
  std::optional<object_reader> element(std::string_view key, size_t index);

private:
  const nlohmann::json* find(std::string_view key) const;
  std::string path_of(std::string_view key) const;
  void expected(std::string_view key, const std::string& what,
                const nlohmann::json& got);

  const nlohmann::json* value_;
  std::string path_;
  std::string who_;
  std::string prefix_;
  std::optional<problem>* failure_;
};

} // namespace bsm::workflows::detail
