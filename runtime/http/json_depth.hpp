#pragma once

// A guard run before a JSON body is parsed: deeply nested input makes
// recursive parsers (nlohmann's, protobuf's) use stack and time out of
// proportion to its size.

#include <cstdint>
#include <string_view>

namespace bsm::http {

/// The deepest nesting of objects and arrays in `text`, counting only
/// brackets outside strings. Stops counting at `limit + 1`.
uint32_t json_depth(std::string_view text, uint32_t limit);

} // namespace bsm::http
