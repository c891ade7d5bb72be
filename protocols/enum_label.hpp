#pragma once

#include <cctype>
#include <string>
#include <string_view>

namespace bsm {

/// Turns a protobuf enum value name into a label for logs and JSON:
/// enum_label("KIND_CHILD_STARTED", "KIND_") == "child_started".
inline std::string enum_label(std::string_view name, std::string_view prefix) {
  if (name.substr(0, prefix.size()) == prefix)
    name.remove_prefix(prefix.size());
  std::string result;
  result.reserve(name.size());
  for (auto c : name)
    result += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return result;
}

} // namespace bsm
