#include "workflows/workflow_expression.hpp"

#include <gtest/gtest.h>

#include "runtime/error.hpp"

namespace {

namespace w = bsm::workflows;
using nlohmann::json;

json context() {
  return json::parse(R"({
    "input": {"contract": "NDA", "pages": 12, "parties": ["acme", "globex"],
              "meta": {"a.b": "dotted"}, "empty": ""},
    "steps": {"review": {"output": {"verdict": "approve", "score": 7.5,
                                    "items": [{"id": 1}, {"id": 2}]},
                         "state": "succeeded"}},
    "item": {"name": "clause 4", "risk": 3}
  })");
}

json eval(const std::string& text) {
  auto expr = w::parse_expression(text);
  EXPECT_TRUE(expr) << text << ": " << bsm::render(expr.error());
  return expr ? expr->evaluate(context()) : json("<error>");
}

json render(const std::string& text) {
  auto tmpl = w::parse_template(text);
  EXPECT_TRUE(tmpl) << text << ": " << bsm::render(tmpl.error());
  return tmpl ? tmpl->render(context()) : json("<error>");
}

// The message of the parse error of `text` as an expression.
std::string expression_error(const std::string& text) {
  auto expr = w::parse_expression(text);
  if (expr)
    return "parsed";
  EXPECT_TRUE(bsm::is(expr.error(), bsm::errc::invalid_argument));
  return bsm::render(expr.error());
}

std::string template_error(const std::string& text) {
  auto tmpl = w::parse_template(text);
  return tmpl ? "parsed" : bsm::render(tmpl.error());
}

TEST(WorkflowExpression, ReadsPaths) {
  EXPECT_EQ(eval("input.contract"), "NDA");
  EXPECT_EQ(eval("input.parties[1]"), "globex");
  EXPECT_EQ(eval("input.meta[\"a.b\"]"), "dotted");
  EXPECT_EQ(eval("steps.review.output.items[0].id"), 1);
  EXPECT_EQ(eval("steps.review.state"), "succeeded");
  EXPECT_EQ(eval("item.name"), "clause 4");
  EXPECT_EQ(eval("item"), context()["item"]);
  EXPECT_EQ(eval("input"), context()["input"]);
  EXPECT_EQ(eval("${input.pages}"), 12);
}

TEST(WorkflowExpression, MissingPathsAreNull) {
  EXPECT_TRUE(eval("input.nothing").is_null());
  EXPECT_TRUE(eval("input.parties[2]").is_null());
  EXPECT_TRUE(eval("input.contract.length").is_null());
  EXPECT_TRUE(eval("input.meta[0]").is_null());
  EXPECT_TRUE(eval("steps.other.output.x").is_null());
  auto expr = w::parse_expression("input.a");
  ASSERT_TRUE(expr);
  EXPECT_TRUE(expr->evaluate(json::array()).is_null());
  EXPECT_TRUE(expr->evaluate(json::object()).is_null());
}

TEST(WorkflowExpression, ParsesLiterals) {
  EXPECT_EQ(eval(R"("say \"hi\"\n")"), "say \"hi\"\n");
  EXPECT_EQ(eval("'single'"), "single");
  EXPECT_EQ(eval("-1.5e2"), -150.0);
  EXPECT_EQ(eval("42"), 42);
  EXPECT_EQ(eval("true"), true);
  EXPECT_TRUE(eval("null").is_null());
  auto expr = w::parse_expression(" 'x' ");
  ASSERT_TRUE(expr);
  ASSERT_NE(expr->literal(), nullptr);
  EXPECT_EQ(*expr->literal(), "x");
  auto path = w::parse_expression("input.x");
  ASSERT_TRUE(path);
  EXPECT_EQ(path->literal(), nullptr);
}

TEST(WorkflowExpression, EvaluatesComparisons) {
  EXPECT_EQ(eval("steps.review.output.verdict == 'approve'"), true);
  EXPECT_EQ(eval("steps.review.output.verdict != \"approve\""), false);
  EXPECT_EQ(eval("input.pages == 12.0"), true) << "numbers by value";
  EXPECT_EQ(eval("input.pages > 10"), true);
  EXPECT_EQ(eval("input.pages >= 12"), true);
  EXPECT_EQ(eval("input.pages < 12"), false);
  EXPECT_EQ(eval("steps.review.output.score <= 7.5"), true);
  EXPECT_EQ(eval("'abc' < 'abd'"), true);
  EXPECT_EQ(eval("input.contract < 3"), false) << "text against a number";
  EXPECT_EQ(eval("input.contract >= 3"), false);
  EXPECT_EQ(eval("input.nothing == null"), true);
  EXPECT_EQ(eval("input.nothing < 1"), false);
  EXPECT_EQ(eval("input.parties == input.parties"), true);
}

TEST(WorkflowExpression, EvaluatesLogic) {
  EXPECT_EQ(eval("true && false"), false);
  EXPECT_EQ(eval("false || true"), true);
  EXPECT_EQ(eval("!input.empty"), true);
  EXPECT_EQ(eval("!input.contract"), false);
  EXPECT_EQ(eval("!!input.parties"), true);
  // && binds tighter than ||; parentheses change it.
  EXPECT_EQ(eval("true || false && false"), true);
  EXPECT_EQ(eval("(true || false) && false"), false);
  // ! binds tighter than ==.
  EXPECT_EQ(eval("!input.nothing == true"), true);
  EXPECT_EQ(eval("${steps.review.output.verdict} == 'approve' && "
                 "steps.review.output.score > 5"),
            true);
}

TEST(WorkflowExpression, TruthinessFollowsTheDocs) {
  for (auto falsy : {json(nullptr), json(false), json(0), json(0.0), json(""),
                     json::array(), json::object()})
    EXPECT_FALSE(w::truthy(falsy)) << falsy.dump();
  for (auto truthy : {json(true), json(-1), json(0.5), json("no"),
                      json::array({0}), json::object({{"a", nullptr}})})
    EXPECT_TRUE(w::truthy(truthy)) << truthy.dump();
}

TEST(WorkflowExpression, NamesTheStepsItReads) {
  auto expr = w::parse_expression("steps.b.output.x && steps.a.output.y || "
                                  "steps.b.state == 'failed' || item.z");
  ASSERT_TRUE(expr);
  EXPECT_EQ(expr->steps(), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(expr->uses_item());
  auto plain = w::parse_expression("input.a == 1");
  ASSERT_TRUE(plain);
  EXPECT_TRUE(plain->steps().empty());
  EXPECT_FALSE(plain->uses_item());
}

TEST(WorkflowExpression, ReportsParseErrorsWithTheColumn) {
  EXPECT_EQ(expression_error(""),
            "invalid_argument: column 1: expected a value, got the end");
  EXPECT_EQ(expression_error("input.a =="),
            "invalid_argument: column 11: expected a value, got the end");
  EXPECT_EQ(expression_error("input.a == = 2"),
            "invalid_argument: column 12: expected a value, got '='");
  EXPECT_EQ(expression_error("contract == 1"),
            "invalid_argument: column 1: unknown name 'contract' (paths start "
            "with input, steps or item; text goes in quotes)");
  EXPECT_EQ(expression_error("input.a == 'open"),
            "invalid_argument: column 12: text without its closing quote");
  EXPECT_EQ(expression_error("(input.a == 1"),
            "invalid_argument: column 14: expected ')' to close '(', got the "
            "end");
  EXPECT_EQ(expression_error("1 < 2 < 3"),
            "invalid_argument: column 7: comparisons do not chain; join them "
            "with && or ||");
  EXPECT_EQ(expression_error("input.a 1"),
            "invalid_argument: column 9: expected an operator or the end, got "
            "'1'");
  EXPECT_EQ(expression_error("input."),
            "invalid_argument: column 7: expected a name after '.', got the "
            "end");
  EXPECT_EQ(expression_error("input.a[x]"),
            "invalid_argument: column 9: expected an index or a quoted key "
            "after '[', got 'x'");
  EXPECT_EQ(expression_error("x == steps[0]"),
            "invalid_argument: column 1: unknown name 'x' (paths start with "
            "input, steps or item; text goes in quotes)");
  EXPECT_EQ(expression_error("true == steps[0]"),
            "invalid_argument: column 9: a path into steps names a step: "
            "steps.<id>.output");
  EXPECT_EQ(expression_error("steps.review.ouput.x"),
            "invalid_argument: column 1: a step has output, state, error and "
            "attempts, not 'ouput'");
  EXPECT_EQ(expression_error("01 == 1"),
            "invalid_argument: column 1: '01' is not a number");
  EXPECT_EQ(expression_error("'a\\q'"),
            "invalid_argument: column 3: unknown escape '\\q'");
  EXPECT_EQ(expression_error("input.a && || true"),
            "invalid_argument: column 12: expected a value, got '|'");
  std::string chain = "true";
  for (int i = 0; i < 1000; ++i)
    chain += " && true";
  EXPECT_EQ(expression_error(chain), "parsed");
  EXPECT_EQ(expression_error(chain + " || true"),
            "invalid_argument: column 8006: more than 1000 && and || in one "
            "expression");
  EXPECT_EQ(expression_error(std::string(100, '!') + "true"),
            "invalid_argument: column 65: nested more than 64 deep");
}

TEST(WorkflowTemplate, YieldsTheValueOfASingleExpression) {
  EXPECT_EQ(render("${input.pages}"), 12);
  EXPECT_EQ(render("${input.parties}"), context()["input"]["parties"]);
  EXPECT_TRUE(render("${input.nothing}").is_null());
  EXPECT_EQ(render("${ input.pages > 10 }"), true);
}

TEST(WorkflowTemplate, InterpolatesText) {
  EXPECT_EQ(render("Review ${input.contract} (${input.pages} pages)"),
            "Review NDA (12 pages)");
  EXPECT_EQ(render("[${input.nothing}]"), "[]") << "null is nothing";
  EXPECT_EQ(render("parties: ${input.parties}"),
            R"(parties: ["acme","globex"])");
  EXPECT_EQ(render("${input.contract}${input.pages}"), "NDA12");
  EXPECT_EQ(render("plain text"), "plain text");
  EXPECT_EQ(render("cost: $5, literal $${input.x}"),
            "cost: $5, literal ${input.x}");
  EXPECT_EQ(render("risk ${item.risk} in ${item.name}"), "risk 3 in clause 4");
  EXPECT_EQ(render(""), "");
}

TEST(WorkflowTemplate, KnowsItsShape) {
  auto whole = w::parse_template("${steps.a.output}");
  ASSERT_TRUE(whole);
  EXPECT_NE(whole->whole(), nullptr);
  EXPECT_TRUE(whole->has_expressions());
  EXPECT_EQ(whole->steps(), std::vector<std::string>{"a"});
  auto mixed = w::parse_template("x ${steps.b.output} ${item}");
  ASSERT_TRUE(mixed);
  EXPECT_EQ(mixed->whole(), nullptr);
  EXPECT_EQ(mixed->steps(), std::vector<std::string>{"b"});
  EXPECT_TRUE(mixed->uses_item());
  auto text = w::parse_template("no expressions");
  ASSERT_TRUE(text);
  EXPECT_FALSE(text->has_expressions());
  EXPECT_EQ(text->whole(), nullptr);
}

TEST(WorkflowTemplate, ReportsParseErrorsWithTheColumn) {
  EXPECT_EQ(template_error("Review ${input.contract"),
            "invalid_argument: column 24: expected '}' to close the '${' at "
            "column 8, got the end");
  EXPECT_EQ(template_error("a ${} b"),
            "invalid_argument: column 5: expected a value, got '}'");
  EXPECT_EQ(template_error("${input.a} and ${nope}"),
            "invalid_argument: column 18: unknown name 'nope' (paths start "
            "with input, steps or item; text goes in quotes)");
  EXPECT_EQ(template_error("${input.a input.b}"),
            "invalid_argument: column 11: expected '}' to close the '${' at "
            "column 1, got 'input'");
}

TEST(WorkflowTemplate, RendersValueTemplates) {
  auto tmpl = w::parse_value_template(json::parse(R"({
    "query": "${input.contract}", "pages": "${input.pages}",
    "list": ["${item.name}", "fixed", 3], "note": "p. ${input.pages}"})"));
  ASSERT_TRUE(tmpl);
  EXPECT_EQ(tmpl->render(context()), json::parse(R"({
    "query": "NDA", "pages": 12, "list": ["clause 4", "fixed", 3],
    "note": "p. 12"})"));
  EXPECT_TRUE(tmpl->uses_item());
  EXPECT_TRUE(tmpl->steps().empty());
  auto bad = w::parse_value_template(json::parse(R"({"a": {"b": ["${x"]}})"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bsm::render(bad.error()),
            "invalid_argument: a.b[0]: column 3: unknown name 'x' (paths "
            "start with input, steps or item; text goes in quotes)");
}

} // namespace
