#include "agents/knowledge/text_tokens.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using bsm::knowledge::is_stopword;
using bsm::knowledge::stem;
using bsm::knowledge::terms;
using bsm::knowledge::tokenize;
using strings = std::vector<std::string>;

TEST(TextTokens, TokenizeLowercasesAndSplitsOnPunctuation) {
  EXPECT_EQ(
    tokenize("Hello, World! GDPR-compliant v2 (node.yaml)"),
    (strings{"hello", "world", "gdpr", "compliant", "v2", "node", "yaml"}));
}

TEST(TextTokens, TokenizeDropsSingleLettersButKeepsDigits) {
  EXPECT_EQ(tokenize("a contract's 5 days"),
            (strings{"contract", "5", "days"}));
}

TEST(TextTokens, TokenizeKeepsAccentedWordsAndSplitsOnUnicodePunctuation) {
  // Em dash, curly apostrophe and no-break space separate; é stays a letter.
  EXPECT_EQ(tokenize("Café—menu contract\xE2\x80\x99s a\xC2\xA0"
                     "b\xC2\xA0word"),
            (strings{"café", "menu", "contract", "word"}));
}

TEST(TextTokens, TokenizeOfEmptyOrPunctuationIsEmpty) {
  EXPECT_TRUE(tokenize("").empty());
  EXPECT_TRUE(tokenize(" ,.;!? -- ").empty());
}

TEST(TextTokens, StemJoinsInflectedForms) {
  auto same = [](const char* x, const char* y) {
    EXPECT_EQ(stem(x), stem(y)) << x << " vs " << y;
  };
  same("contracts", "contract");
  same("licensing", "license");
  same("licence", "license");
  same("licences", "licensed");
  same("policies", "policy");
  same("approval", "approve");
  same("approved", "approvals");
  same("running", "run");
  same("configuration", "configure");
  same("configured", "configuring");
  same("supervision", "supervise");
  same("management", "manage");
  same("evaluation", "evaluate");
  same("evaluated", "evaluating");
  same("classification", "classify");
  same("classifier", "classified");
  same("minimisation", "minimization");
  same("processes", "process");
  same("installing", "install");
}

TEST(TextTokens, StemKeepsShortWordsAndDistinctWords) {
  EXPECT_EQ(stem("gdpr"), "gdpr");
  EXPECT_EQ(stem("use"), "use");
  EXPECT_EQ(stem("legal"), "legal");
  EXPECT_EQ(stem("status"), "status");
  EXPECT_NE(stem("contract"), stem("contact"));
  EXPECT_NE(stem("secret"), stem("security"));
}

TEST(TextTokens, StopwordsAreCommonFunctionWordsOnly) {
  for (const char* word : {"the", "what", "should", "is", "and", "please"})
    EXPECT_TRUE(is_stopword(word)) << word;
  for (const char* word : {"contract", "gdpr", "breach", "node", "secret"})
    EXPECT_FALSE(is_stopword(word)) << word;
}

TEST(TextTokens, TermsDropStopwordsAndStem) {
  EXPECT_EQ(terms("What should the contracts say about licensing?"),
            (strings{"contract", "say", "licens"}));
}

} // namespace
