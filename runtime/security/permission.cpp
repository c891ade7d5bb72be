#include "runtime/security/permission.hpp"

#include <algorithm>

#include "runtime/error.hpp"

namespace bsm::security {

namespace {

constexpr size_t max_permission_size = 512;

bool segment_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '/'
         || c == '@' || c == '-';
}

std::string malformed(std::string_view text, const std::string& why) {
  return "permission '" + std::string{text.substr(0, 64)}
         + "' is malformed: " + why;
}

std::vector<std::string_view> split(std::string_view text) {
  std::vector<std::string_view> result;
  size_t start = 0;
  for (;;) {
    auto colon = text.find(':', start);
    result.push_back(text.substr(start, colon - start));
    if (colon == std::string_view::npos)
      return result;
    start = colon + 1;
  }
}

// A segment of letters and the like; in a grant, "*" alone, or (for a
// resource) a prefix ending in '*'.
bool valid_segment(std::string_view s, bool wildcard_ok, bool prefix_ok) {
  if (s.empty())
    return false;
  if (s == "*")
    return wildcard_ok;
  auto body = s;
  if (prefix_ok && body.back() == '*')
    body.remove_suffix(1);
  return std::all_of(body.begin(), body.end(), segment_char);
}

bool resource_matches(std::string_view pattern, std::string_view resource) {
  if (pattern.empty() || pattern == "*")
    return true;
  if (pattern.back() == '*') {
    pattern.remove_suffix(1);
    return resource.substr(0, pattern.size()) == pattern;
  }
  return pattern == resource;
}

// The problem with `text`, or empty with `out` set.
std::string read_permission(std::string_view text, bool required,
                            permission& out) {
  if (text.size() > max_permission_size)
    return malformed(text, "longer than 512 characters");
  if (text == "*") {
    if (required)
      return malformed(text, "a required permission has no wildcard");
    out = permission{"*", "", "*", ""};
    return {};
  }
  auto parts = split(text);
  if (std::any_of(parts.begin(), parts.end(),
                  [](std::string_view x) { return x.empty(); }))
    return malformed(text, "a segment is empty");
  permission result;
  switch (parts.size()) {
    case 2:
      result = {std::string{parts[0]}, "", std::string{parts[1]}, ""};
      break;
    case 3:
      result = {std::string{parts[0]}, std::string{parts[1]},
                std::string{parts[2]}, ""};
      break;
    case 4:
      result = {std::string{parts[0]}, std::string{parts[1]},
                std::string{parts[2]}, std::string{parts[3]}};
      break;
    default:
      return malformed(text, "expected area:action, area:resource:action or "
                             "area:resource:action:qualifier");
  }
  bool grant = !required;
  if (!valid_segment(result.area, false, false))
    return malformed(text, "the area must be letters, digits or ._/@-");
  if (!valid_segment(result.action, grant, false))
    return malformed(text, grant ? "the action must be a name or *"
                                 : "the action must be a name");
  if (!result.resource.empty() && !valid_segment(result.resource, grant, grant))
    return malformed(text, grant ? "the resource must be a name, a prefix "
                                   "ending in *, or *"
                                 : "the resource must be a name");
  if (!result.qualifier.empty()
      && !valid_segment(result.qualifier, false, false))
    return malformed(text, "the qualifier must be a name");
  out = std::move(result);
  return {};
}

} // namespace

std::string permission::to_string() const {
  if (area == "*")
    return "*";
  std::string result = area;
  if (!resource.empty())
    result += ":" + resource;
  result += ":" + action;
  if (!qualifier.empty())
    result += ":" + qualifier;
  return result;
}

caf::expected<permission> parse_permission(std::string_view text,
                                           bool required) {
  permission result;
  auto problem = read_permission(text, required, result);
  if (!problem.empty())
    return make_error(errc::invalid_argument, std::move(problem));
  return result;
}

std::string grant_problem(std::string_view text) {
  permission ignored;
  return read_permission(text, false, ignored);
}

bool covers(const permission& grant, const permission& required) {
  if (grant.area == "*")
    return true;
  if (grant.area != required.area)
    return false;
  if (grant.action != "*" && grant.action != required.action)
    return false;
  // A grant with a resource covers only permissions on a resource; a
  // segment not known yet is assumed to be one the grant covers.
  if (!grant.resource.empty() && required.resource != unknown_segment
      && (required.resource.empty()
            ? grant.resource != "*"
            : !resource_matches(grant.resource, required.resource)))
    return false;
  return grant.qualifier.empty() || required.qualifier == unknown_segment
         || grant.qualifier == required.qualifier;
}

caf::expected<permission_set>
permission_set::parse(const std::vector<std::string>& grants) {
  permission_set result;
  for (const auto& text : grants) {
    auto grant = parse_permission(text);
    if (!grant)
      return std::move(grant.error());
    result.add(std::move(*grant));
  }
  return result;
}

void permission_set::add(permission grant) {
  grants_.push_back(std::move(grant));
}

void permission_set::merge(const permission_set& other) {
  grants_.insert(grants_.end(), other.grants_.begin(), other.grants_.end());
}

bool permission_set::allows(const permission& required) const {
  return std::any_of(grants_.begin(), grants_.end(),
                     [&](const permission& g) { return covers(g, required); });
}

bool permission_set::allows(std::string_view required) const {
  auto parsed = parse_permission(required, true);
  return parsed && allows(*parsed);
}

std::vector<std::string> permission_set::to_strings() const {
  std::vector<std::string> result;
  result.reserve(grants_.size());
  for (const auto& g : grants_)
    result.push_back(g.to_string());
  return result;
}

} // namespace bsm::security
