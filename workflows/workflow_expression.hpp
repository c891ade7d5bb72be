#pragma once

// The expression language of workflow definitions (docs/WORKFLOWS.md,
// "Expressions"). No code runs: an expression is a path into a JSON
// context, a literal, or a condition over those, parsed once into a tree
// and evaluated as often as needed.
//
//   paths        input.a.b   steps.review.output.items[0]   item.name
//                (in text: ${input.a.b}; ["key"] for keys with dots)
//   literals     "text" 'text' 12 -1.5 true false null
//   conditions   == != < <= > >= && || ! ( )
//
// The context is {"input": ..., "steps": {"<id>": {"output": ...}},
// "item": ...}. A path that is not there is null. `<`, `<=`, `>`, `>=`
// compare two numbers or two strings and are false for anything else;
// `&&`, `||` and `!` take truthiness (null, false, 0, "", [] and {} are
// false) and give a boolean.
//
// Text templates: "Review ${input.contract}" interpolates each `${...}`
// (a string as it is, null as nothing, anything else as JSON), while a
// string that is exactly one `${...}` yields the value itself, of any type.
// `$${` writes a literal `${`.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

namespace bsm::workflows {

/// The fields a path may read of a step (steps.<id>.<field>): what the
/// engine records of each step.
inline constexpr const char* step_fields[]
  = {"output", "state", "error", "attempts"};

/// A parsed expression. Immutable and cheap to copy (the tree is shared).
class expression {
public:
  struct node;

  /// The literal null.
  expression();

  /// The value of the expression in `context`. Never fails: a missing
  /// path is null.
  [[nodiscard]] nlohmann::json evaluate(const nlohmann::json& context) const;

  /// Whether the value in `context` is truthy, as `when:` needs it.
  [[nodiscard]] bool holds(const nlohmann::json& context) const;

  /// The step ids the expression's paths read, sorted, each once.
  [[nodiscard]] const std::vector<std::string>& steps() const noexcept {
    return steps_;
  }

  /// Whether a path reads `item` (only defined in a map's step).
  [[nodiscard]] bool uses_item() const noexcept {
    return uses_item_;
  }

  /// The value if the whole expression is one literal, else nullptr.
  [[nodiscard]] const nlohmann::json* literal() const noexcept;

private:
  friend class expression_parser;

  std::shared_ptr<const node> root_;
  std::vector<std::string> steps_;
  bool uses_item_ = false;
};

/// Parses a condition or value: paths may be written bare or in `${...}`
/// (`steps.a.output.ok == true`, `${steps.a.output.ok} == true`). Errors
/// (invalid_argument, "column <n>: <what>", columns from 1): a token that
/// does not fit, an unknown name, a path into `steps` without a step id or
/// with a field other than `step_fields`, chained comparisons, text after
/// the end, nesting deeper than 64.
[[nodiscard]] caf::expected<expression> parse_expression(std::string_view text);

/// True for what `&&`, `||`, `!` and `when:` count as true.
[[nodiscard]] bool truthy(const nlohmann::json& value);

/// A string with `${...}` parts.
class text_template {
public:
  /// The text with each expression's value in `context` interpolated; the
  /// value itself if the text is exactly one `${...}`.
  [[nodiscard]] nlohmann::json render(const nlohmann::json& context) const;

  /// The step ids its expressions read, sorted, each once.
  [[nodiscard]] std::vector<std::string> steps() const;

  /// Whether an expression reads `item`.
  [[nodiscard]] bool uses_item() const;

  /// Whether the text has any `${...}`.
  [[nodiscard]] bool has_expressions() const;

  /// The expression if the text is exactly one `${...}`, else nullptr.
  [[nodiscard]] const expression* whole() const;

private:
  friend caf::expected<text_template> parse_template(std::string_view text);

  struct part {
    std::string text;
    std::optional<expression> value; // set: an expression, else text
  };

  std::vector<part> parts_;
};

/// Parses a text template. Errors (invalid_argument, "column <n>:
/// <what>" counted in `text`): those of `parse_expression` inside a
/// `${...}`, a `${` without its `}`.
[[nodiscard]] caf::expected<text_template>
parse_template(std::string_view text);

/// A JSON value whose strings are text templates (a tool's arguments, a
/// message's payload, a workflow's output). Object keys are not templates.
class value_template {
public:
  /// The value with every template string rendered in `context`.
  [[nodiscard]] nlohmann::json render(const nlohmann::json& context) const;

  /// The step ids its expressions read, sorted, each once.
  [[nodiscard]] std::vector<std::string> steps() const;

  /// Whether an expression reads `item`.
  [[nodiscard]] bool uses_item() const;

private:
  friend caf::expected<value_template>
  parse_value_template(const nlohmann::json& value);

  nlohmann::json value_;
  std::vector<std::pair<nlohmann::json::json_pointer, text_template>> slots_;
};

/// Parses every string of `value` as a template. Errors: those of
/// `parse_template`, prefixed with the string's path ("a.b[0]: column 3:
/// ...") unless it is `value` itself.
[[nodiscard]] caf::expected<value_template>
parse_value_template(const nlohmann::json& value);

/// Calls `visit(path, text)` for every string in `value` (keys excluded),
/// with paths as "a.b[0]" relative to `value` (empty for `value` itself).
void for_each_string(const nlohmann::json& value,
                     const std::function<void(const std::string& path,
                                              const std::string& text)>& visit);

} // namespace bsm::workflows
