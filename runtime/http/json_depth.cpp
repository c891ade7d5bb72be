#include "runtime/http/json_depth.hpp"

namespace bsm::http {

uint32_t json_depth(std::string_view text, uint32_t limit) {
  uint32_t depth = 0;
  uint32_t deepest = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    switch (c) {
      case '"': in_string = true; break;
      case '{':
      case '[':
        if (++depth > deepest) {
          deepest = depth;
          if (deepest > limit)
            return deepest;
        }
        break;
      case '}':
      case ']':
        if (depth > 0)
          --depth;
        break;
      default: break;
    }
  }
  return deepest;
}

} // namespace bsm::http
