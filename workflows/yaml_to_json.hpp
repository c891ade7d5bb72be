#pragma once

// YAML read as JSON, remembering the line of every value, so that a
// definition is parsed by one reader whichever format it came in and
// errors in YAML still name the line.

#include <map>
#include <string>
#include <string_view>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

namespace bsm::workflows {

/// Where each value of a converted document starts: its path, written as
/// the definition reader names fields ("steps[2].timeout"), to its line
/// (from 1). The root is the empty path.
class line_map {
public:
  /// Records that the value at `path` starts at `line`.
  void add(std::string path, int line);

  /// The line of `path`, or of the nearest enclosing value that has one
  /// ("steps[2].timeout" falls back to "steps[2]"); 0 if none.
  [[nodiscard]] int line_of(std::string_view path) const;

private:
  std::map<std::string, int, std::less<>> lines_;
};

/// A YAML document as JSON with the lines of its values.
struct yaml_document {
  nlohmann::json value;
  line_map lines;
};

/// "<origin>:<line>", or "line <line>" without an origin.
[[nodiscard]] std::string location(const std::string& origin, int line);

/// Converts one YAML document. Scalars follow the YAML 1.2 core schema:
/// plain `null`/`~`/empty is null, `true`/`false` booleans, decimal
/// integers and floats numbers, everything else (and any quoted scalar)
/// a string; so `30s` and `2026-03-01T09:00:00Z` stay strings. Errors
/// (invalid_argument, "<origin>:<line>: ...", see `location`): a syntax error,
/// a key that is not text, a key given twice, more than one document.
[[nodiscard]] caf::expected<yaml_document>
yaml_to_json(std::string_view text, const std::string& origin);

} // namespace bsm::workflows
