#include "agents/knowledge/knowledge_index.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "agents/knowledge/text_tokens.hpp"
#include "runtime/error.hpp"

#ifndef BSM_SOURCE_DIR
#  define BSM_SOURCE_DIR "."
#endif

namespace {

namespace fs = std::filesystem;
using bsm::knowledge::knowledge_index;
using bsm::v1::KnowledgePassage;

/// A fresh folder under the system's temp dir, removed again at the end.
class KnowledgeIndexTest : public ::testing::Test {
protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path()
           / ("bsm-knowledge-test-" + std::to_string(::getpid()) + "-"
              + std::to_string(counter++));
    fs::create_directories(dir_);
  }

  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void write(const std::string& relative, const std::string& content) {
    auto file = dir_ / relative;
    fs::create_directories(file.parent_path());
    std::ofstream{file, std::ios::binary} << content;
  }

  knowledge_index load_dir() {
    auto index = knowledge_index::load({dir_});
    EXPECT_TRUE(index) << bsm::render(index.error());
    return index ? std::move(*index) : knowledge_index{};
  }

  fs::path dir_;
};

/// `n` distinct words ("w0 w1 ..."), prefixed so paragraphs differ.
std::string words(size_t n, const std::string& prefix) {
  std::string text;
  for (size_t i = 0; i < n; ++i)
    text += (i > 0 ? " " : "") + prefix + std::to_string(i);
  return text;
}

size_t count_words(const std::string& text) {
  size_t n = 0;
  bool in_word = false;
  for (char c : text) {
    bool space = c == ' ' || c == '\n';
    n += !space && !in_word;
    in_word = !space;
  }
  return n;
}

KnowledgePassage passage(std::string source, std::string title,
                         std::string text) {
  KnowledgePassage x;
  x.set_source(std::move(source));
  x.set_title(std::move(title));
  x.set_text(std::move(text));
  return x;
}

std::vector<std::string> sources(const std::vector<KnowledgePassage>& xs) {
  std::vector<std::string> result;
  for (const auto& x : xs)
    result.push_back(x.source());
  return result;
}

// -- loading ------------------------------------------------------------------

TEST_F(KnowledgeIndexTest, LoadsOnePassagePerMarkdownSectionWithItsHeading) {
  write("contracts.md", "# Contracts\n\nIntro paragraph about deals.\n\n"
                        "## Termination\n\nEither party may terminate.\n\n"
                        "Notice is thirty days.\n\n"
                        "### Survival ###\n\nConfidentiality survives.\n");
  auto index = load_dir();
  ASSERT_EQ(index.size(), 3u);
  const auto& xs = index.passages();
  EXPECT_EQ(xs[0].title(), "Contracts");
  EXPECT_EQ(xs[0].text(), "Intro paragraph about deals.");
  EXPECT_EQ(xs[1].title(), "Termination");
  EXPECT_EQ(xs[1].text(),
            "Either party may terminate.\n\nNotice is thirty days.");
  EXPECT_EQ(xs[2].title(), "Survival");
  for (const auto& x : xs)
    EXPECT_EQ(x.source(), "contracts.md");
}

TEST_F(KnowledgeIndexTest, ReadsMarkdownAndTextRecursivelyInSortedOrder) {
  write("zeta.md", "# Z\n\nzeta words\n");
  write("alpha.txt", "# not a heading in text\n\nalpha words\n");
  write("sub/beta.markdown", "beta words\n");
  write("notes.json", "{\"ignored\": true}\n");
  write(".hidden.md", "hidden words\n");
  write(".git/config.md", "hidden folder words\n");
  auto index = load_dir();
  EXPECT_EQ(
    sources(index.passages()),
    (std::vector<std::string>{"alpha.txt", "sub/beta.markdown", "zeta.md"}));
  // Text files have no headings; short paragraphs share a passage.
  EXPECT_EQ(index.passages()[0].title(), "");
  EXPECT_EQ(index.passages()[0].text(),
            "# not a heading in text\n\nalpha words");
}

TEST_F(KnowledgeIndexTest, HashInsideCodeFenceIsNotAHeading) {
  write("x.md", "# Shell\n\n```sh\n# a comment\n\nmake run\n```\n");
  auto index = load_dir();
  ASSERT_EQ(index.size(), 1u);
  EXPECT_EQ(index.passages()[0].title(), "Shell");
  EXPECT_EQ(index.passages()[0].text(), "```sh\n# a comment\n\nmake run\n```");
}

TEST_F(KnowledgeIndexTest, SplitsLongSectionsAtParagraphBoundaries) {
  std::string doc = "# Long\n\n";
  for (int i = 0; i < 12; ++i)
    doc += words(50, "p" + std::to_string(i) + "w") + "\n\n";
  write("long.md", doc);
  auto index = load_dir();
  ASSERT_GE(index.size(), 3u);
  size_t total = 0;
  for (const auto& x : index.passages()) {
    auto n = count_words(x.text());
    EXPECT_LE(n, 200u);
    EXPECT_GE(n, 100u);
    EXPECT_EQ(x.title(), "Long");
    EXPECT_EQ(n % 50, 0u) << "cut inside a paragraph: " << x.text();
    total += n;
  }
  EXPECT_EQ(total, 600u);
}

TEST_F(KnowledgeIndexTest, CutsAParagraphLongerThanAPassage) {
  write("huge.md", "# Huge\n\n" + words(500, "w") + "\n");
  auto index = load_dir();
  ASSERT_GE(index.size(), 3u);
  size_t total = 0;
  for (const auto& x : index.passages()) {
    EXPECT_LE(count_words(x.text()), 200u);
    total += count_words(x.text());
  }
  EXPECT_EQ(total, 500u);
}

TEST_F(KnowledgeIndexTest, MissingFolderIsInvalidArgumentNamingIt) {
  auto missing = dir_ / "nope";
  auto index = knowledge_index::load({missing});
  ASSERT_FALSE(index);
  EXPECT_TRUE(bsm::is(index.error(), bsm::errc::invalid_argument));
  EXPECT_NE(bsm::render(index.error()).find(missing.string()),
            std::string::npos)
    << bsm::render(index.error());
}

TEST_F(KnowledgeIndexTest, FileInsteadOfFolderIsInvalidArgument) {
  write("file.md", "text\n");
  auto index = knowledge_index::load({dir_ / "file.md"});
  ASSERT_FALSE(index);
  EXPECT_TRUE(bsm::is(index.error(), bsm::errc::invalid_argument));
  EXPECT_NE(bsm::render(index.error()).find("not a folder"), std::string::npos);
}

TEST_F(KnowledgeIndexTest, UnreadableFolderIsInvalidArgument) {
  if (::geteuid() == 0)
    GTEST_SKIP() << "root reads any folder";
  write("locked/x.md", "text\n");
  fs::permissions(dir_ / "locked", fs::perms::none);
  auto index = knowledge_index::load({dir_});
  fs::permissions(dir_ / "locked", fs::perms::owner_all);
  ASSERT_FALSE(index);
  EXPECT_TRUE(bsm::is(index.error(), bsm::errc::invalid_argument));
}

TEST_F(KnowledgeIndexTest, OversizedFileIsInvalidArgumentNamingIt) {
  write("big.md", "");
  fs::resize_file(dir_ / "big.md", knowledge_index::max_file_bytes + 1);
  auto index = knowledge_index::load({dir_});
  ASSERT_FALSE(index);
  EXPECT_TRUE(bsm::is(index.error(), bsm::errc::invalid_argument));
  EXPECT_NE(bsm::render(index.error()).find("big.md"), std::string::npos);
}

TEST_F(KnowledgeIndexTest, EmptyFolderListGivesAnEmptyIndex) {
  auto index = knowledge_index::load({});
  ASSERT_TRUE(index);
  EXPECT_EQ(index->size(), 0u);
  EXPECT_TRUE(index->search("anything", 5).empty());
}

TEST_F(KnowledgeIndexTest, SeveralFoldersKeepSourcesRelativeToTheirFolder) {
  write("a/one.md", "alpha\n");
  write("b/two.md", "beta\n");
  auto index = knowledge_index::load({dir_ / "b", dir_ / "a"});
  ASSERT_TRUE(index) << bsm::render(index.error());
  EXPECT_EQ(sources(index->passages()),
            (std::vector<std::string>{"two.md", "one.md"}));
}

// -- search -------------------------------------------------------------------

TEST(KnowledgeIndex, SearchFindsInflectedFormsAndSetsScores) {
  auto index = knowledge_index::from_passages(
    {passage("licences.md", "Permissive", "The MIT license allows reuse."),
     passage("contracts.md", "Termination", "A party may end the agreement."),
     passage("gdpr.md", "Breaches", "Report a breach within 72 hours.")});
  auto hits = index.search("Which licensing terms apply?", 3);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].source(), "licences.md");
  EXPECT_GT(hits[0].score(), 0.0);
  hits = index.search("terminating contracts", 3);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].source(), "contracts.md");
}

TEST(KnowledgeIndex, ReturnsOnlyPassagesWithAPositiveScore) {
  auto index = knowledge_index::from_passages(
    {passage("a.md", "", "secrets rotation"), passage("b.md", "", "other")});
  EXPECT_TRUE(index.search("the what and how", 5).empty());
  EXPECT_TRUE(index.search("kubernetes", 5).empty());
  EXPECT_TRUE(index.search("", 5).empty());
  EXPECT_EQ(index.search("rotate secrets", 5).size(), 1u);
}

TEST(KnowledgeIndex, RanksByBm25AndHonoursTopK) {
  auto index = knowledge_index::from_passages(
    {passage("once.md", "", "backup once among many other unrelated words"),
     passage("twice.md", "", "backup and backup again"),
     passage("none.md", "", "nothing relevant here"),
     passage("rare.md", "", "backup restore")});
  auto hits = index.search("backup restore", 10);
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits[0].source(), "rare.md");
  EXPECT_EQ(hits[1].source(), "twice.md");
  EXPECT_EQ(hits[2].source(), "once.md");
  EXPECT_GT(hits[0].score(), hits[1].score());
  EXPECT_GT(hits[1].score(), hits[2].score());
  EXPECT_EQ(index.search("backup restore", 2).size(), 2u);
  EXPECT_TRUE(index.search("backup restore", 0).empty());
}

TEST(KnowledgeIndex, HeadingWordsWeighMoreThanBodyWords) {
  auto index = knowledge_index::from_passages(
    {passage("body.md", "Overview", "escalation of incidents to owners"),
     passage("title.md", "Escalation", "of incidents to owners overview")});
  auto hits = index.search("escalation", 2);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].source(), "title.md");
}

TEST(KnowledgeIndex, BreaksTiesBySourceThenPosition) {
  auto index
    = knowledge_index::from_passages({passage("b.md", "", "same words one"),
                                      passage("a.md", "", "same words two"),
                                      passage("a.md", "", "same words six")});
  auto hits = index.search("same", 3);
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits[0].source(), "a.md");
  EXPECT_EQ(hits[0].text(), "same words two");
  EXPECT_EQ(hits[1].text(), "same words six");
  EXPECT_EQ(hits[2].source(), "b.md");
  EXPECT_EQ(hits[0].score(), hits[2].score());
}

TEST(KnowledgeIndex, SearchIsDeterministicAndIgnoresWordOrder) {
  auto index = knowledge_index::from_passages(
    {passage("a.md", "Rotation", "rotate keys often"),
     passage("b.md", "Storage", "store keys in a vault"),
     passage("c.md", "Leaks", "a leaked key must be revoked")});
  auto first = index.search("vault key rotation", 3);
  auto again = index.search("rotation key vault", 3);
  ASSERT_EQ(first.size(), again.size());
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].source(), again[i].source());
    EXPECT_EQ(first[i].score(), again[i].score());
  }
}

// -- the seed agents' knowledge -----------------------------------------------

struct seed_case {
  const char* agent;
  const char* question;
  const char* expected_source;
};

TEST(KnowledgeSeedAgents, RepresentativeQuestionsFindTheRightFile) {
  const seed_case cases[] = {
    {"legal", "How soon must a personal data breach be notified?",
     "data-protection-gdpr.md"},
    {"legal", "Can Apache-2.0 code go into a GPL project?",
     "open-source-licences.md"},
    {"legal", "What should a limitation of liability clause say?",
     "contracts.md"},
    {"legal", "mutual or one-way NDA", "confidentiality-ndas.md"},
    {"governance", "Who is accountable in a RACI matrix?",
     "approvals-and-raci.md"},
    {"governance", "How are emergency changes approved?",
     "change-management.md"},
    {"governance", "template for a decision record", "decision-records.md"},
    {"governance", "difference between a policy and a standard", "policies.md"},
    {"security", "What does STRIDE stand for?", "threat-modelling-stride.md"},
    {"security", "An API key was committed to git, what now?",
     "secrets-handling.md"},
    {"security", "What is broken access control?", "owasp-top-risks.md"},
    {"security", "phases of incident response containment",
     "incident-response.md"},
    {"architect", "one_for_all versus rest_for_one strategy", "supervision.md"},
    {"architect", "idempotency keys and at-least-once delivery",
     "durable-messaging.md"},
    {"architect", "How do I write an architecture decision record?", "adrs.md"},
    {"architect", "Little's law and hot spots", "scalability.md"},
    {"architect", "why must an actor never block its thread", "actor-model.md"},
    {"runner", "What do bsmctl exit codes mean?", "bsmctl.md"},
    {"runner", "Why does /readyz return 503?", "health-and-metrics.md"},
    {"runner", "The data directory is in use by another process",
     "runbooks.md"},
    {"runner", "default of mailbox.max_deliveries", "configuration.md"},
    {"runner", "How do I stop a node with SIGTERM?", "running-bsmd.md"},
    {"ml", "precision recall F1 macro average", "metrics.md"},
    {"ml", "How do I avoid leakage between train and test splits?",
     "datasets.md"},
    {"ml", "Should I use TF-IDF with logistic regression for intents?",
     "text-classification.md"},
    {"ml", "How do I detect overfitting with cross-validation?",
     "training-and-evaluation.md"},
  };
  for (const auto& c : cases) {
    auto folder
      = fs::path{BSM_SOURCE_DIR} / "agents" / "seed" / "knowledge" / c.agent;
    auto index = knowledge_index::load({folder});
    ASSERT_TRUE(index) << bsm::render(index.error());
    EXPECT_GE(index->size(), 3u) << c.agent;
    auto hits = index->search(c.question, 4);
    ASSERT_FALSE(hits.empty()) << c.agent << ": " << c.question;
    EXPECT_EQ(hits[0].source(), c.expected_source)
      << c.agent << ": " << c.question << " -> " << hits[0].source() << " — "
      << hits[0].title();
  }
}

TEST(KnowledgeSeedAgents, EveryAgentHasThreeToFiveFilesOfPassages) {
  for (const char* agent :
       {"legal", "governance", "security", "architect", "runner", "ml"}) {
    auto folder
      = fs::path{BSM_SOURCE_DIR} / "agents" / "seed" / "knowledge" / agent;
    auto index = knowledge_index::load({folder});
    ASSERT_TRUE(index) << bsm::render(index.error());
    std::vector<std::string> files;
    for (const auto& x : index->passages()) {
      if (files.empty() || files.back() != x.source())
        files.push_back(x.source());
      EXPECT_LE(count_words(x.text()), 260u) << x.source() << " " << x.title();
    }
    EXPECT_GE(files.size(), 3u) << agent;
    EXPECT_LE(files.size(), 5u) << agent;
  }
}

} // namespace
