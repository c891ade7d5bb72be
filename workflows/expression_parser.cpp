#include "workflows/expression_parser.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

#include "runtime/error.hpp"
#include "workflows/expression_tree.hpp"

namespace bsm::workflows {

using nlohmann::json;

namespace {

using node = expression::node;
using node_ptr = std::shared_ptr<const node>;

constexpr size_t max_depth = 64;

// Evaluating a chain of && or || recurses once per operator.
constexpr size_t max_operators = 1000;

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

node_ptr make_literal(json value) {
  auto result = std::make_shared<node>();
  result->value = std::move(value);
  return result;
}

node_ptr make_operator(node_kind kind, node_ptr lhs, node_ptr rhs = nullptr,
                       compare_op op = compare_op::eq) {
  auto result = std::make_shared<node>();
  result->kind = kind;
  result->op = op;
  result->lhs = std::move(lhs);
  result->rhs = std::move(rhs);
  return result;
}

} // namespace

/// Recursive descent over `text` from a position; the first problem stops
/// it (every function then returns nullptr).
class expression_parser {
public:
  expression_parser(std::string_view text, size_t pos)
    : text_(text), pos_(pos) {
    // nop
  }

  // or := and ("||" and)*
  node_ptr parse() {
    return either();
  }

  /// Skips blanks; then the position of the next token.
  size_t position() {
    skip_blanks();
    return pos_;
  }

  /// The problem as "column <n>: <what>".
  [[nodiscard]] caf::error error() const {
    return detail::column_error(column_ - 1, problem_);
  }

  void fail_at(size_t pos, std::string what) {
    if (!problem_.empty())
      return;
    column_ = pos + 1;
    problem_ = std::move(what);
  }

  /// "'<next token>'" or "the end", for "expected X, got Y".
  std::string next_token() {
    skip_blanks();
    if (pos_ >= text_.size())
      return "the end";
    auto end = pos_ + 1;
    while (end < text_.size() && end - pos_ < 16 && is_name_char(text_[end])
           && is_name_char(text_[pos_]))
      ++end;
    return "'" + std::string{text_.substr(pos_, end - pos_)} + "'";
  }

  expression finish(node_ptr root) {
    expression result;
    result.root_ = std::move(root);
    std::sort(steps_.begin(), steps_.end());
    steps_.erase(std::unique(steps_.begin(), steps_.end()), steps_.end());
    result.steps_ = std::move(steps_);
    result.uses_item_ = uses_item_;
    return result;
  }

private:
  void skip_blanks() {
    while (pos_ < text_.size()
           && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n'
               || text_[pos_] == '\r'))
      ++pos_;
  }

  bool eat(std::string_view token) {
    skip_blanks();
    if (text_.substr(pos_, token.size()) != token)
      return false;
    pos_ += token.size();
    return true;
  }

  bool expect(char c, std::string_view what) {
    if (eat(std::string_view{&c, 1}))
      return true;
    fail_at(pos_, "expected " + std::string{what} + ", got " + next_token());
    return false;
  }

  node_ptr either() {
    auto lhs = both();
    while (lhs && eat("||")) {
      if (!counted())
        return nullptr;
      auto rhs = both();
      lhs = rhs ? make_operator(node_kind::either, lhs, rhs) : nullptr;
    }
    return lhs;
  }

  // and := comparison ("&&" comparison)*
  node_ptr both() {
    auto lhs = comparison();
    while (lhs && eat("&&")) {
      if (!counted())
        return nullptr;
      auto rhs = comparison();
      lhs = rhs ? make_operator(node_kind::both, lhs, rhs) : nullptr;
    }
    return lhs;
  }

  std::optional<compare_op> comparison_operator() {
    // Two-character operators first, so "<=" is not read as "<".
    constexpr std::pair<std::string_view, compare_op> ops[]
      = {{"==", compare_op::eq}, {"!=", compare_op::ne}, {"<=", compare_op::le},
         {">=", compare_op::ge}, {"<", compare_op::lt},  {">", compare_op::gt}};
    for (const auto& [token, op] : ops)
      if (eat(token))
        return op;
    return std::nullopt;
  }

  // comparison := unary (op unary)?
  node_ptr comparison() {
    auto lhs = unary();
    if (!lhs)
      return nullptr;
    auto op = comparison_operator();
    if (!op)
      return lhs;
    auto rhs = unary();
    if (!rhs)
      return nullptr;
    auto at = position();
    if (comparison_operator()) {
      fail_at(at, "comparisons do not chain; join them with && or ||");
      return nullptr;
    }
    return make_operator(node_kind::compare, lhs, rhs, *op);
  }

  // unary := "!" unary | primary
  node_ptr unary() {
    skip_blanks();
    if (pos_ + 1 < text_.size() && text_[pos_] == '!' && text_[pos_ + 1] == '=')
      return primary(); // "!=" cannot start a value: primary says so
    auto at = pos_;
    if (!eat("!"))
      return primary();
    if (!deeper(at))
      return nullptr;
    auto operand = unary();
    --depth_;
    return operand ? make_operator(node_kind::negate, operand) : nullptr;
  }

  // Counts one more binary operator, just read.
  bool counted() {
    if (++operators_ <= max_operators)
      return true;
    fail_at(pos_ - 2, "more than " + std::to_string(max_operators)
                        + " && and || in one expression");
    return false;
  }

  // Counts one more level opened at `at`; the stack stays bounded.
  bool deeper(size_t at) {
    if (++depth_ <= max_depth)
      return true;
    fail_at(at, "nested more than " + std::to_string(max_depth) + " deep");
    return false;
  }

  // A parenthesised expression or one in "${" "}".
  node_ptr group(std::string_view open, char close) {
    auto at = pos_;
    pos_ += open.size();
    if (!deeper(at))
      return nullptr;
    auto inner = either();
    --depth_;
    if (!inner
        || !expect(close, "'" + std::string(1, close) + "' to close '"
                            + std::string{open} + "'"))
      return nullptr;
    return inner;
  }

  // primary := "(" or ")" | "${" or "}" | literal | path
  node_ptr primary() {
    skip_blanks();
    if (pos_ >= text_.size()) {
      fail_at(pos_, "expected a value, got the end");
      return nullptr;
    }
    auto c = text_[pos_];
    if (c == '(')
      return group("(", ')');
    if (text_.substr(pos_, 2) == "${")
      return group("${", '}');
    if (c == '"' || c == '\'')
      return string_literal();
    if (is_digit(c)
        || (c == '-' && pos_ + 1 < text_.size() && is_digit(text_[pos_ + 1])))
      return number_literal();
    if (is_name_start(c))
      return word();
    fail_at(pos_, "expected a value, got " + next_token());
    return nullptr;
  }

  std::optional<std::string> quoted() {
    auto quote = text_[pos_];
    auto start = pos_++;
    std::string result;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      auto c = text_[pos_++];
      if (c != '\\') {
        result += c;
        continue;
      }
      if (pos_ >= text_.size())
        break;
      switch (auto e = text_[pos_++]) {
        case 'n': result += '\n'; break;
        case 't': result += '\t'; break;
        case '\\':
        case '"':
        case '\'': result += e; break;
        default:
          fail_at(pos_ - 2, "unknown escape '\\" + std::string(1, e) + "'");
          return std::nullopt;
      }
    }
    if (pos_ >= text_.size()) {
      fail_at(start, "text without its closing quote");
      return std::nullopt;
    }
    ++pos_;
    return result;
  }

  node_ptr string_literal() {
    auto text = quoted();
    return text ? make_literal(*text) : nullptr;
  }

  node_ptr number_literal() {
    auto start = pos_;
    if (text_[pos_] == '-')
      ++pos_;
    while (pos_ < text_.size()
           && (is_digit(text_[pos_]) || text_[pos_] == '.' || text_[pos_] == 'e'
               || text_[pos_] == 'E'
               || ((text_[pos_] == '+' || text_[pos_] == '-')
                   && (text_[pos_ - 1] == 'e' || text_[pos_ - 1] == 'E'))))
      ++pos_;
    auto text = text_.substr(start, pos_ - start);
    // JSON's number grammar decides; a plain integer stays an integer.
    auto value = json::parse(text, nullptr, false);
    if (value.is_discarded() || !value.is_number()
        || (pos_ < text_.size() && is_name_char(text_[pos_]))) {
      fail_at(start, "'" + std::string{text} + "' is not a number");
      return nullptr;
    }
    return make_literal(std::move(value));
  }

  std::string name() {
    auto start = pos_;
    while (pos_ < text_.size() && is_name_char(text_[pos_]))
      ++pos_;
    return std::string{text_.substr(start, pos_ - start)};
  }

  node_ptr word() {
    auto start = pos_;
    auto w = name();
    if (w == "true" || w == "false")
      return make_literal(w == "true");
    if (w == "null")
      return make_literal(nullptr);
    if (w == "input" || w == "steps" || w == "item")
      return path(w, start);
    fail_at(start, "unknown name '" + w
                     + "' (paths start with input, steps or item; text "
                       "goes in quotes)");
    return nullptr;
  }

  bool segment(std::vector<path_segment>& out) {
    if (text_[pos_] == '.') {
      ++pos_;
      if (pos_ >= text_.size() || !is_name_char(text_[pos_])) {
        fail_at(pos_, "expected a name after '.', got " + next_token());
        return false;
      }
      out.emplace_back(name());
      return true;
    }
    ++pos_; // '['
    skip_blanks();
    if (pos_ < text_.size() && (text_[pos_] == '"' || text_[pos_] == '\'')) {
      auto key = quoted();
      if (!key)
        return false;
      out.emplace_back(std::move(*key));
    } else if (pos_ < text_.size() && is_digit(text_[pos_])) {
      size_t index = 0;
      auto start = text_.data() + pos_;
      auto [end, ec]
        = std::from_chars(start, text_.data() + text_.size(), index);
      if (ec != std::errc{}) {
        fail_at(pos_, "index out of range");
        return false;
      }
      pos_ += static_cast<size_t>(end - start);
      out.emplace_back(index);
    } else {
      fail_at(pos_, "expected an index or a quoted key after '[', got "
                      + next_token());
      return false;
    }
    return expect(']', "']'");
  }

  node_ptr path(const std::string& root, size_t start) {
    auto result = std::make_shared<node>();
    result->kind = node_kind::path;
    result->root = root;
    // No blanks inside a path: "input .a" is a path and a stray ".a".
    while (pos_ < text_.size() && (text_[pos_] == '.' || text_[pos_] == '['))
      if (!segment(result->segments))
        return nullptr;
    if (root == "item")
      uses_item_ = true;
    if (root == "steps" && !step_path(*result, start))
      return nullptr;
    return result;
  }

  // steps.<id>[.<field>...]: the id is what the validation checks against
  // `needs`, the field one the engine records.
  bool step_path(const node& path, size_t start) {
    const auto& segs = path.segments;
    if (segs.empty() || !std::holds_alternative<std::string>(segs[0])) {
      fail_at(start, "a path into steps names a step: steps.<id>.output");
      return false;
    }
    steps_.push_back(std::get<std::string>(segs[0]));
    if (segs.size() < 2)
      return true;
    const auto* field = std::get_if<std::string>(&segs[1]);
    for (const char* known : step_fields)
      if (field && *field == known)
        return true;
    auto got = field ? "'" + *field + "'" : std::string{"an index"};
    fail_at(start, "a step has output, state, error and attempts, not " + got);
    return false;
  }

  std::string_view text_;
  size_t pos_;
  size_t depth_ = 0;
  size_t operators_ = 0;
  size_t column_ = 0;
  std::string problem_;
  std::vector<std::string> steps_;
  bool uses_item_ = false;
};

namespace detail {

parsed_expression parse_expression_at(std::string_view text, size_t pos) {
  expression_parser parser{text, pos};
  parsed_expression result;
  auto root = parser.parse();
  result.end = parser.position();
  if (root)
    result.value = parser.finish(std::move(root));
  else
    result.error = parser.error();
  return result;
}

std::string token_at(std::string_view text, size_t pos) {
  return expression_parser{text, pos}.next_token();
}

caf::error column_error(size_t pos, const std::string& what) {
  return make_error(errc::invalid_argument,
                    "column " + std::to_string(pos + 1) + ": " + what);
}

} // namespace detail

} // namespace bsm::workflows
