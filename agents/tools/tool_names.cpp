#include "agents/tools/tool_names.hpp"

#include <algorithm>

namespace bsm::mcp {

namespace {

constexpr bool is_tool_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

} // namespace

bool is_valid_tool_name(std::string_view x) {
  return !x.empty() && x.size() <= max_tool_name_length
         && std::all_of(x.begin(), x.end(), is_tool_name_char);
}

std::optional<std::string> exposed_tool_name(std::string_view server,
                                             std::string_view tool) {
  if (tool.empty()
      || server.size() + tool_separator.size() + tool.size()
           > max_tool_name_length)
    return std::nullopt;
  std::string result{server};
  result += tool_separator;
  for (char c : tool)
    result += is_tool_name_char(c) ? c : '_';
  return result;
}

std::optional<std::pair<std::string_view, std::string_view>>
split_tool_name(std::string_view name) {
  auto pos = name.find(tool_separator);
  if (pos == 0 || pos == std::string_view::npos
      || pos + tool_separator.size() == name.size())
    return std::nullopt;
  return std::pair{name.substr(0, pos),
                   name.substr(pos + tool_separator.size())};
}

} // namespace bsm::mcp
