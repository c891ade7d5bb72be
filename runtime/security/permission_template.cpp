#include "runtime/security/permission_template.hpp"

#include "runtime/error.hpp"

namespace bsm::security {

namespace {

caf::error bad(std::string_view text, const std::string& why) {
  return make_error(errc::invalid_argument,
                    "permission template '" + std::string{text} + "': " + why);
}

bool wrapped(std::string_view s, char open, char close) {
  return s.size() > 2 && s.front() == open && s.back() == close;
}

} // namespace

caf::expected<permission_template>
permission_template::parse(std::string_view text) {
  permission_template result;
  result.text_ = std::string{text};
  if (text == open_text) {
    result.open_ = true;
    return result;
  }
  // The literal parts must make a required permission: parse the text
  // with a plain name standing in for each {param} and <late> part.
  std::string probe;
  size_t start = 0;
  for (;;) {
    auto colon = text.find(':', start);
    auto s = text.substr(start, colon == std::string_view::npos
                                  ? std::string_view::npos
                                  : colon - start);
    part p{part::literal, std::string{s}};
    if (wrapped(s, '{', '}'))
      p = {part::param, std::string{s.substr(1, s.size() - 2)}};
    else if (wrapped(s, '<', '>'))
      p = {part::late, std::string{s.substr(1, s.size() - 2)}};
    probe += (probe.empty() ? "" : ":")
             + (p.kind == part::literal ? p.text : std::string{"x"});
    result.parts_.push_back(std::move(p));
    if (colon == std::string_view::npos)
      break;
    start = colon + 1;
  }
  auto checked = parse_permission(probe, true);
  if (!checked)
    return bad(text, render(checked.error()));
  auto n = result.parts_.size();
  if (result.parts_[0].kind != part::literal
      || result.parts_[n == 2 ? 1 : 2].kind != part::literal)
    return bad(text, "the area and the action must be literal");
  result.has_resource_ = n >= 3;
  result.has_qualifier_ = n == 4;
  return result;
}

permission permission_template::resolve(
  const std::vector<std::pair<std::string, std::string>>& params,
  const std::map<std::string, std::string>& late) const {
  auto value = [&](const part& p) -> std::string {
    switch (p.kind) {
      case part::param:
        for (const auto& [name, x] : params)
          if (name == p.text)
            return x;
        return unknown_segment;
      case part::late: {
        auto i = late.find(p.text);
        return i == late.end() ? std::string{unknown_segment} : i->second;
      }
      default: return p.text;
    }
  };
  permission result;
  result.area = value(parts_[0]);
  if (has_resource_) {
    result.resource = value(parts_[1]);
    result.action = value(parts_[2]);
  } else {
    result.action = value(parts_[1]);
  }
  if (has_qualifier_)
    result.qualifier = value(parts_[3]);
  return result;
}

const std::string& permission_template::area() const noexcept {
  static const std::string none;
  return parts_.empty() ? none : parts_.front().text;
}

std::vector<std::string> permission_template::late_parts() const {
  std::vector<std::string> result;
  for (const auto& p : parts_)
    if (p.kind == part::late)
      result.push_back(p.text);
  return result;
}

} // namespace bsm::security
