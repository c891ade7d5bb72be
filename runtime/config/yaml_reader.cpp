#include "runtime/config/yaml_reader.hpp"

#include <charconv>
#include <limits>

#include "runtime/error.hpp"

namespace bsm::detail {

namespace {

using std::chrono::milliseconds;

// Milliseconds per unit; no unit means milliseconds.
std::optional<int64_t> unit_factor(std::string_view unit) {
  if (unit.empty() || unit == "ms")
    return 1;
  if (unit == "s")
    return 1'000;
  if (unit == "m")
    return 60'000;
  if (unit == "h")
    return 3'600'000;
  return std::nullopt;
}

// The YAML 1.2 core schema spellings only: YAML 1.1's "yes", "no", "on" and
// "off" are too easy to write by accident.
std::optional<bool> to_bool(std::string_view x) {
  if (x == "true" || x == "True" || x == "TRUE")
    return true;
  if (x == "false" || x == "False" || x == "FALSE")
    return false;
  return std::nullopt;
}

} // namespace

std::string quote(std::string_view x) {
  std::string result = "'";
  for (char c : x) {
    switch (c) {
      case '\n': result += "\\n"; break;
      case '\r': result += "\\r"; break;
      case '\t': result += "\\t"; break;
      default: result += c;
    }
  }
  return result + "'";
}

std::string describe(const YAML::Node& x) {
  switch (x.Type()) {
    case YAML::NodeType::Scalar: return quote(x.Scalar());
    case YAML::NodeType::Sequence: return "a sequence";
    case YAML::NodeType::Map: return "a map";
    default: return "an empty value";
  }
}

std::string out_of_range(std::string_view value, int64_t min, int64_t max) {
  return std::string{value} + " is out of range " + std::to_string(min) + ".."
         + std::to_string(max);
}

std::optional<milliseconds> parse_duration(std::string_view x) {
  const auto* last = x.data() + x.size();
  uint64_t count = 0;
  auto [end, ec] = std::from_chars(x.data(), last, count);
  if (ec != std::errc{})
    return std::nullopt;
  auto factor
    = unit_factor(std::string_view{end, static_cast<size_t>(last - end)});
  constexpr auto max
    = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (!factor || count > max / static_cast<uint64_t>(*factor))
    return std::nullopt;
  return milliseconds{static_cast<int64_t>(count) * *factor};
}

std::string render_duration(milliseconds x) {
  constexpr std::pair<int64_t, const char*> units[]
    = {{3'600'000, "h"}, {60'000, "m"}, {1'000, "s"}};
  for (const auto& [factor, unit] : units)
    if (x.count() != 0 && x.count() % factor == 0)
      return std::to_string(x.count() / factor) + unit;
  return std::to_string(x.count()) + "ms";
}

caf::error located_error(const std::string& where, const std::string& what) {
  return make_error(errc::invalid_argument, where + ": " + what);
}

std::string syntax_error(const YAML::Exception& x) {
  return "YAML syntax error at line " + std::to_string(x.mark.line + 1)
         + ", column " + std::to_string(x.mark.column + 1) + ": " + x.msg;
}

// -- yaml_source --------------------------------------------------------------

yaml_source::yaml_source(std::string file) : file_(std::move(file)) {
  // nop
}

void yaml_source::set_override(const std::string& key, std::string argument) {
  overrides_[key] = std::move(argument);
}

std::string yaml_source::where(const std::string& key,
                               const YAML::Mark& mark) const {
  if (auto i = overrides_.find(key); i != overrides_.end())
    return i->second;
  return at(mark);
}

std::string yaml_source::at(const YAML::Mark& mark) const {
  // Nodes that overrides created have no position in the file.
  if (mark.line < 0)
    return file_;
  return file_ + ":" + std::to_string(mark.line + 1);
}

// -- yaml_field ---------------------------------------------------------------

yaml_field::yaml_field(const yaml_source& source, std::string key,
                       YAML::Node value, const YAML::Mark& mark)
  : source_(&source), key_(std::move(key)), value_(std::move(value)),
    where_(source.where(key_, mark)) {
  // nop
}

caf::error yaml_field::fail(const std::string& what) const {
  return located_error(where_, "key " + quote(key_) + ": " + what);
}

caf::error yaml_field::expected(std::string_view what) const {
  return fail("expected " + std::string{what} + ", got " + describe(value_));
}

caf::error yaml_field::text(std::string& out) const {
  if (!value_.IsScalar())
    return expected("a string");
  out = value_.Scalar();
  return {};
}

caf::error yaml_field::boolean(bool& out) const {
  auto x = value_.IsScalar() ? to_bool(value_.Scalar()) : std::nullopt;
  if (!x)
    return expected("a boolean");
  out = *x;
  return {};
}

caf::error yaml_field::integer64(int64_t& out, int64_t min, int64_t max) const {
  if (!value_.IsScalar())
    return expected("an integer");
  const auto& str = value_.Scalar();
  const auto* last = str.data() + str.size();
  int64_t x = 0;
  auto [end, ec] = std::from_chars(str.data(), last, x);
  if (ec == std::errc::invalid_argument || end != last)
    return expected("an integer");
  if (ec == std::errc::result_out_of_range || x < min || x > max)
    return fail(out_of_range(str, min, max));
  out = x;
  return {};
}

caf::error yaml_field::duration(milliseconds& out) const {
  auto x = value_.IsScalar() ? parse_duration(value_.Scalar()) : std::nullopt;
  if (!x)
    return expected("a duration such as 250ms, 10s, 2m or 1h");
  out = *x;
  return {};
}

} // namespace bsm::detail
