#include "agents/mcp/header_env.hpp"

#include <cstdlib>

#include "runtime/error.hpp"

namespace bsm::mcp {

namespace {

bool is_name_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}

/// Calls `on_ref(name)` for each reference and `on_text(piece)` for the
/// text between; returns the first problem ("" if none).
template <class OnText, class OnRef>
std::string scan(std::string_view value, OnText on_text, OnRef on_ref) {
  size_t pos = 0;
  while (pos < value.size()) {
    auto start = value.find("${", pos);
    if (start == std::string_view::npos) {
      on_text(value.substr(pos));
      return {};
    }
    on_text(value.substr(pos, start - pos));
    auto end = value.find('}', start + 2);
    if (end == std::string_view::npos)
      return "a '${' without its '}'";
    auto name = value.substr(start + 2, end - start - 2);
    if (name.empty() || !is_name_start(name.front()))
      return "'${" + std::string{name} + "}' does not name a variable";
    for (char c : name)
      if (!is_name_char(c))
        return "'${" + std::string{name} + "}' does not name a variable";
    if (auto problem = on_ref(std::string{name}); !problem.empty())
      return problem;
    pos = end + 1;
  }
  return {};
}

} // namespace

env_lookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (const char* value = std::getenv(name.c_str()))
      return std::string{value};
    return std::nullopt;
  };
}

caf::expected<std::string> expand_env_refs(std::string_view value,
                                           const env_lookup& env) {
  std::string out;
  bool missing = false;
  auto problem = scan(
    value, [&out](std::string_view text) { out.append(text); },
    [&](const std::string& name) -> std::string {
      auto found = env ? env(name) : std::nullopt;
      if (!found) {
        missing = true;
        return "environment variable '" + name + "' is not set";
      }
      out += *found;
      return {};
    });
  if (problem.empty())
    return out;
  return make_error(missing ? errc::not_found : errc::invalid_argument,
                    std::move(problem));
}

std::string env_ref_problem(std::string_view value) {
  return scan(
    value, [](std::string_view) {},
    [](const std::string&) { return std::string{}; });
}

} // namespace bsm::mcp
