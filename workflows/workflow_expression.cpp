#include "workflows/workflow_expression.hpp"

#include <algorithm>
#include <variant>

#include "runtime/error.hpp"
#include "runtime/error_context.hpp"
#include "workflows/expression_parser.hpp"
#include "workflows/expression_tree.hpp"

namespace bsm::workflows {

using nlohmann::json;
using node = expression::node;

// -- evaluation ---------------------------------------------------------------

namespace {

const json* walk(const node& path, const json& context) {
  if (!context.is_object())
    return nullptr;
  auto i = context.find(path.root);
  if (i == context.end())
    return nullptr;
  const json* at = &*i;
  for (const auto& seg : path.segments) {
    if (const auto* key = std::get_if<std::string>(&seg)) {
      if (!at->is_object())
        return nullptr;
      auto j = at->find(*key);
      if (j == at->end())
        return nullptr;
      at = &*j;
    } else {
      auto index = std::get<size_t>(seg);
      if (!at->is_array() || index >= at->size())
        return nullptr;
      at = &(*at)[index];
    }
  }
  return at;
}

bool compare(compare_op op, const json& lhs, const json& rhs) {
  if (op == compare_op::eq)
    return lhs == rhs;
  if (op == compare_op::ne)
    return lhs != rhs;
  bool comparable = (lhs.is_number() && rhs.is_number())
                    || (lhs.is_string() && rhs.is_string());
  if (!comparable)
    return false;
  switch (op) {
    case compare_op::lt: return lhs < rhs;
    case compare_op::le: return lhs <= rhs;
    case compare_op::gt: return lhs > rhs;
    default: return lhs >= rhs;
  }
}

json evaluate_node(const node& n, const json& context) {
  switch (n.kind) {
    case node_kind::literal: return n.value;
    case node_kind::path: {
      const auto* at = walk(n, context);
      return at ? *at : json(nullptr);
    }
    case node_kind::negate: return !truthy(evaluate_node(*n.lhs, context));
    case node_kind::both:
      return truthy(evaluate_node(*n.lhs, context))
             && truthy(evaluate_node(*n.rhs, context));
    case node_kind::either:
      return truthy(evaluate_node(*n.lhs, context))
             || truthy(evaluate_node(*n.rhs, context));
    case node_kind::compare:
      return compare(n.op, evaluate_node(*n.lhs, context),
                     evaluate_node(*n.rhs, context));
  }
  return nullptr;
}

// Interpolated text: strings as they are, null as nothing, the rest as JSON.
std::string as_text(const json& value) {
  if (value.is_string())
    return value.get<std::string>();
  if (value.is_null())
    return {};
  return value.dump();
}

template <class Templates>
std::vector<std::string> union_of_steps(const Templates& xs) {
  std::vector<std::string> result;
  for (const auto& x : xs) {
    auto ids = x.steps();
    result.insert(result.end(), ids.begin(), ids.end());
  }
  std::sort(result.begin(), result.end());
  result.erase(std::unique(result.begin(), result.end()), result.end());
  return result;
}

void walk_strings(
  const json& value, const std::string& path, json::json_pointer pointer,
  const std::function<void(const std::string&, const json::json_pointer&,
                           const std::string&)>& visit) {
  if (value.is_string()) {
    visit(path, pointer, value.get<std::string>());
  } else if (value.is_object()) {
    for (const auto& [key, element] : value.items())
      walk_strings(element, path.empty() ? key : path + "." + key,
                   pointer / key, visit);
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i)
      walk_strings(value[i], path + "[" + std::to_string(i) + "]", pointer / i,
                   visit);
  }
}

} // namespace

// -- expression ---------------------------------------------------------------

expression::expression() : root_(std::make_shared<node>()) {
  // nop
}

json expression::evaluate(const json& context) const {
  return evaluate_node(*root_, context);
}

bool expression::holds(const json& context) const {
  return truthy(evaluate(context));
}

const json* expression::literal() const noexcept {
  return root_->kind == node_kind::literal ? &root_->value : nullptr;
}

caf::expected<expression> parse_expression(std::string_view text) {
  auto parsed = detail::parse_expression_at(text, 0);
  if (parsed.error)
    return parsed.error;
  if (parsed.end < text.size())
    return detail::column_error(parsed.end,
                                "expected an operator or the end, got "
                                  + detail::token_at(text, parsed.end));
  return parsed.value;
}

bool truthy(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return false;
    case json::value_t::boolean: return value.get<bool>();
    case json::value_t::number_integer: return value.get<int64_t>() != 0;
    case json::value_t::number_unsigned: return value.get<uint64_t>() != 0;
    case json::value_t::number_float: return value.get<double>() != 0.0;
    case json::value_t::string:
      return !value.get_ref<const std::string&>().empty();
    default: return !value.empty();
  }
}

// -- text_template ------------------------------------------------------------

json text_template::render(const json& context) const {
  if (const auto* single = whole())
    return single->evaluate(context);
  std::string result;
  for (const auto& p : parts_)
    result += p.value ? as_text(p.value->evaluate(context)) : p.text;
  return result;
}

std::vector<std::string> text_template::steps() const {
  std::vector<expression> exprs;
  for (const auto& p : parts_)
    if (p.value)
      exprs.push_back(*p.value);
  return union_of_steps(exprs);
}

bool text_template::uses_item() const {
  return std::any_of(parts_.begin(), parts_.end(), [](const part& p) {
    return p.value && p.value->uses_item();
  });
}

bool text_template::has_expressions() const {
  return std::any_of(parts_.begin(), parts_.end(),
                     [](const part& p) { return p.value.has_value(); });
}

const expression* text_template::whole() const {
  if (parts_.size() == 1 && parts_[0].value)
    return &*parts_[0].value;
  return nullptr;
}

caf::expected<text_template> parse_template(std::string_view text) {
  text_template result;
  std::string literal;
  auto flush = [&] {
    if (!literal.empty())
      result.parts_.push_back({std::move(literal), std::nullopt});
    literal.clear();
  };
  size_t pos = 0;
  while (pos < text.size()) {
    if (text.substr(pos, 3) == "$${") {
      literal += "${";
      pos += 3;
      continue;
    }
    if (text.substr(pos, 2) != "${") {
      literal += text[pos++];
      continue;
    }
    flush();
    auto parsed = detail::parse_expression_at(text, pos + 2);
    if (parsed.error)
      return parsed.error;
    auto end = parsed.end;
    if (end >= text.size() || text[end] != '}')
      return detail::column_error(end, "expected '}' to close the '${' at "
                                       "column "
                                         + std::to_string(pos + 1) + ", got "
                                         + detail::token_at(text, end));
    result.parts_.push_back({{}, std::move(parsed.value)});
    pos = end + 1;
  }
  flush();
  return result;
}

// -- value_template -----------------------------------------------------------

json value_template::render(const json& context) const {
  auto result = value_;
  for (const auto& [pointer, text] : slots_)
    result[pointer] = text.render(context);
  return result;
}

std::vector<std::string> value_template::steps() const {
  std::vector<text_template> texts;
  for (const auto& slot : slots_)
    texts.push_back(slot.second);
  return union_of_steps(texts);
}

bool value_template::uses_item() const {
  return std::any_of(slots_.begin(), slots_.end(),
                     [](const auto& slot) { return slot.second.uses_item(); });
}

caf::expected<value_template> parse_value_template(const json& value) {
  value_template result;
  result.value_ = value;
  caf::error problem;
  walk_strings(value, "", json::json_pointer{},
               [&](const std::string& path, const json::json_pointer& pointer,
                   const std::string& text) {
                 if (problem)
                   return;
                 auto parsed = parse_template(text);
                 if (!parsed) {
                   problem = path.empty()
                               ? parsed.error()
                               : in_context(parsed.error(), path + ": ");
                   return;
                 }
                 if (parsed->has_expressions())
                   result.slots_.emplace_back(pointer, std::move(*parsed));
               });
  if (problem)
    return problem;
  return result;
}

void for_each_string(
  const json& value,
  const std::function<void(const std::string&, const std::string&)>& visit) {
  walk_strings(value, "", json::json_pointer{},
               [&](const std::string& path, const json::json_pointer&,
                   const std::string& text) { visit(path, text); });
}

} // namespace bsm::workflows
