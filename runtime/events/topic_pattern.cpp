#include "runtime/events/topic_pattern.hpp"

#include <cstdio>

#include "runtime/error.hpp"

namespace bsm::events {

namespace {

bool is_segment_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == ':'
         || c == '/';
}

// Error messages quote the input; a long one is cut so that an error about a
// megabyte of garbage stays readable.
std::string quoted(std::string_view text) {
  constexpr size_t max_quoted = 64;
  if (text.size() <= max_quoted)
    return "'" + std::string{text} + "'";
  return "'" + std::string{text.substr(0, max_quoted)} + "...'";
}

std::string describe(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u > 0x20 && u < 0x7f)
    return std::string{"'"} + c + "'";
  char buf[8];
  std::snprintf(buf, sizeof(buf), "0x%02x", u);
  return buf;
}

/// Checks one segment; returns an empty string if it is fine, else why not.
std::string check_segment(std::string_view seg, bool is_pattern, bool last) {
  if (seg.empty())
    return "empty segment";
  if (is_pattern && seg == "*")
    return {};
  if (is_pattern && seg == "#")
    return last ? std::string{} : "'#' may only be the last segment";
  for (auto c : seg) {
    if (is_segment_char(c))
      continue;
    if (c == '*' || c == '#')
      return is_pattern ? "'*' and '#' must stand alone in their segment"
                        : "wildcards ('*', '#') are for patterns, not topics";
    return "segment '" + std::string{seg} + "' holds " + describe(c)
           + "; segments may hold A-Z, a-z, 0-9, '_', '-', ':' and '/'";
  }
  return {};
}

caf::error check(std::string_view text, bool is_pattern) {
  auto fail = [&](const std::string& why) {
    return make_error(
      errc::invalid_argument,
      std::string{is_pattern ? "invalid topic pattern " : "invalid topic "}
        + quoted(text) + ": " + why);
  };
  if (text.empty())
    return fail("must not be empty");
  if (text.size() > max_topic_size)
    return fail("longer than " + std::to_string(max_topic_size)
                + " characters");
  size_t pos = 0;
  for (;;) {
    auto end = text.find('.', pos);
    auto last = end == std::string_view::npos;
    auto seg = text.substr(pos, last ? std::string_view::npos : end - pos);
    if (auto why = check_segment(seg, is_pattern, last); !why.empty())
      return fail(why);
    if (last)
      return caf::none;
    pos = end + 1;
  }
}

} // namespace

caf::error validate_topic(std::string_view topic) {
  return check(topic, false);
}

caf::error validate_pattern(std::string_view pattern) {
  return check(pattern, true);
}

caf::expected<topic_pattern> topic_pattern::parse(std::string pattern) {
  if (auto err = validate_pattern(pattern))
    return err;
  topic_pattern result;
  size_t pos = 0;
  for (;;) {
    auto end = pattern.find('.', pos);
    if (end == std::string::npos) {
      result.segments_.push_back(pattern.substr(pos));
      break;
    }
    result.segments_.push_back(pattern.substr(pos, end - pos));
    pos = end + 1;
  }
  result.text_ = std::move(pattern);
  return result;
}

bool topic_pattern::matches(std::string_view topic) const noexcept {
  // `pos` is where the next topic segment starts; past the end once the
  // topic is used up.
  size_t pos = 0;
  for (const auto& seg : segments_) {
    if (seg == "#")
      return true;
    if (pos > topic.size())
      return false;
    auto end = topic.find('.', pos);
    if (end == std::string_view::npos)
      end = topic.size();
    if (seg != "*" && topic.substr(pos, end - pos) != seg)
      return false;
    pos = end + 1;
  }
  return pos > topic.size();
}

caf::expected<bool> match(std::string_view pattern, std::string_view topic) {
  auto compiled = topic_pattern::parse(std::string{pattern});
  if (!compiled)
    return compiled.error();
  if (auto err = validate_topic(topic))
    return err;
  return compiled->matches(topic);
}

} // namespace bsm::events
