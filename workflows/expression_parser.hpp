#pragma once

// Internal to workflows/: the parser of the expression language, for
// `parse_expression` and the `${...}` parts of templates.

#include <cstddef>
#include <string>
#include <string_view>

#include <caf/error.hpp>

#include "workflows/workflow_expression.hpp"

namespace bsm::workflows::detail {

/// One expression read from a position of a longer text.
struct parsed_expression {
  /// Set on failure: invalid_argument "column <n>: <what>".
  caf::error error;
  expression value;
  /// Where the expression ended: the next token, after blanks.
  size_t end = 0;
};

/// Parses the longest expression of `text` from `pos` on.
[[nodiscard]] parsed_expression parse_expression_at(std::string_view text,
                                                    size_t pos);

/// The token at `pos` for "got ...": "'<name or character>'" or "the end".
[[nodiscard]] std::string token_at(std::string_view text, size_t pos);

/// invalid_argument "column <pos + 1>: <what>".
[[nodiscard]] caf::error column_error(size_t pos, const std::string& what);

} // namespace bsm::workflows::detail
