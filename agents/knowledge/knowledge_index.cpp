#include "agents/knowledge/knowledge_index.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <system_error>
#include <utility>

#include "agents/knowledge/text_tokens.hpp"
#include "runtime/ascii.hpp"
#include "runtime/error.hpp"

namespace fs = std::filesystem;

namespace bsm::knowledge {

namespace {

// A chunk grows to at least this many words before it is closed ...
constexpr size_t min_chunk_words = 120;
// ... and never beyond this many, unless one paragraph alone is longer.
constexpr size_t max_chunk_words = 200;
// A paragraph longer than max_chunk_words is cut every this many words.
constexpr size_t split_words = 150;
// A section's last chunk shorter than this joins the one before it.
constexpr size_t min_tail_words = 40;

size_t count_words(std::string_view text) {
  size_t n = 0;
  bool in_word = false;
  for (char c : text) {
    bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (!space && !in_word)
      ++n;
    in_word = !space;
  }
  return n;
}

// Cuts one line at whitespace into pieces of `split_words` words.
void split_line(std::string_view line, std::vector<std::string>& pieces) {
  size_t words = 0;
  size_t start = 0;
  bool in_word = false;
  for (size_t i = 0; i < line.size(); ++i) {
    bool space = line[i] == ' ' || line[i] == '\t';
    if (!space && !in_word && words++ == split_words) {
      pieces.emplace_back(ascii_trim(line.substr(start, i - start)));
      start = i;
      words = 1;
    }
    in_word = !space;
  }
  pieces.emplace_back(ascii_trim(line.substr(start)));
}

// Cuts a paragraph longer than a passage (a long list or table, or one
// huge line) into pieces of at most `max_chunk_words`, at line breaks where
// it can.
std::vector<std::string> split_long(std::string_view text) {
  std::vector<std::string> pieces;
  std::string current;
  size_t words = 0;
  auto close = [&] {
    if (words > 0)
      pieces.push_back(std::move(current));
    current.clear();
    words = 0;
  };
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{}
                                         : text.substr(end + 1);
    auto n = count_words(line);
    if (n > max_chunk_words) {
      close();
      split_line(line, pieces);
      continue;
    }
    if (words > 0 && words + n > max_chunk_words)
      close();
    if (!current.empty())
      current += '\n';
    current += line;
    words += n;
  }
  close();
  return pieces;
}

struct paragraph {
  std::string text;
  size_t words;
};

// Groups a section's paragraphs into chunks of about 120..200 words.
std::vector<std::string> chunk(const std::vector<paragraph>& paragraphs) {
  std::vector<std::string> chunks;
  std::vector<size_t> sizes;
  std::string current;
  size_t words = 0;
  auto close = [&] {
    if (words > 0) {
      chunks.push_back(std::move(current));
      sizes.push_back(words);
    }
    current.clear();
    words = 0;
  };
  auto append = [&](const std::string& text, size_t n) {
    if (!current.empty())
      current += "\n\n";
    current += text;
    words += n;
  };
  for (const auto& para : paragraphs) {
    if (para.words > max_chunk_words) {
      close();
      for (auto& piece : split_long(para.text)) {
        append(piece, count_words(piece));
        close();
      }
      continue;
    }
    if (words > 0 && words + para.words > max_chunk_words)
      close();
    append(para.text, para.words);
    if (words >= min_chunk_words)
      close();
  }
  close();
  auto n = chunks.size();
  if (n >= 2 && sizes[n - 1] < min_tail_words
      && sizes[n - 2] + sizes[n - 1] <= max_chunk_words + min_tail_words) {
    chunks[n - 2] += "\n\n" + chunks[n - 1];
    chunks.pop_back();
  }
  return chunks;
}

// The heading text of a markdown ATX heading line and its level, or level 0.
std::pair<int, std::string> heading(std::string_view line) {
  auto indent = line.find_first_not_of(' ');
  if (indent == std::string_view::npos || indent > 3 || line[indent] != '#')
    return {0, {}};
  auto rest = line.substr(indent);
  auto level = rest.find_first_not_of('#');
  if (level == std::string_view::npos)
    level = rest.size();
  if (level > 6 || (level < rest.size() && rest[level] != ' '))
    return {0, {}};
  auto text = std::string{ascii_trim(rest.substr(level))};
  while (!text.empty() && text.back() == '#')
    text.pop_back();
  return {static_cast<int>(level), std::string{ascii_trim(text)}};
}

bool is_fence(std::string_view line) {
  auto x = ascii_trim(line);
  return x.rfind("```", 0) == 0 || x.rfind("~~~", 0) == 0;
}

// A passage before weighting: its text, heading and enclosing headings.
struct raw_passage {
  std::string text;
  std::string title;
  std::string context;
};

// Cuts one file into passages; markdown headings only if `markdown`.
class splitter {
public:
  explicit splitter(bool markdown) : markdown_(markdown) {
    // Nothing else.
  }

  std::vector<raw_passage> run(std::string_view content) {
    std::istringstream in{std::string{content}};
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r')
        line.pop_back();
      consume(line);
    }
    close_section();
    return std::move(out_);
  }

private:
  void consume(const std::string& line) {
    if (markdown_ && is_fence(line))
      in_fence_ = !in_fence_;
    if (markdown_ && !in_fence_) {
      if (auto [level, text] = heading(line); level > 0) {
        close_section();
        headings_.resize(static_cast<size_t>(level) - 1);
        headings_.push_back(std::move(text));
        return;
      }
    }
    if (ascii_trim(line).empty() && !in_fence_) {
      close_paragraph();
      return;
    }
    if (!para_.empty())
      para_ += '\n';
    para_ += line;
  }

  void close_paragraph() {
    auto text = std::string{ascii_trim(para_)};
    para_.clear();
    if (!text.empty())
      paragraphs_.push_back({text, count_words(text)});
  }

  void close_section() {
    close_paragraph();
    std::string title;
    std::string context;
    for (const auto& x : headings_) {
      if (x.empty())
        continue;
      if (!title.empty())
        context += title + "\n";
      title = x;
    }
    for (auto& text : chunk(paragraphs_))
      out_.push_back({std::move(text), title, context});
    paragraphs_.clear();
  }

  bool markdown_;
  bool in_fence_ = false;
  // Headings by level - 1; empty entries are skipped levels.
  std::vector<std::string> headings_;
  std::string para_;
  std::vector<paragraph> paragraphs_;
  std::vector<raw_passage> out_;
};

std::string lower_extension(const fs::path& file) {
  return ascii_lower(file.extension().string());
}

bool hidden(const fs::path& p) {
  auto name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

// The knowledge files under `folder`, sorted by their relative path.
caf::expected<std::vector<fs::path>> list_files(const fs::path& folder) {
  std::error_code ec;
  auto status = fs::status(folder, ec);
  if (ec && ec != std::errc::no_such_file_or_directory)
    return make_error(errc::invalid_argument, "cannot read knowledge folder '"
                                                + folder.string()
                                                + "': " + ec.message());
  if (!fs::exists(status))
    return make_error(errc::invalid_argument, "knowledge folder '"
                                                + folder.string()
                                                + "' does not exist");
  if (!fs::is_directory(status))
    return make_error(errc::invalid_argument, "knowledge folder '"
                                                + folder.string()
                                                + "' is not a folder");
  std::vector<fs::path> files;
  fs::recursive_directory_iterator it{folder, ec};
  for (; !ec && it != fs::recursive_directory_iterator{}; it.increment(ec)) {
    std::error_code ignored;
    if (hidden(it->path())) {
      if (it->is_directory(ignored))
        it.disable_recursion_pending();
      continue;
    }
    auto ext = lower_extension(it->path());
    if (it->is_regular_file(ignored)
        && (ext == ".md" || ext == ".markdown" || ext == ".txt"))
      files.push_back(it->path().lexically_relative(folder));
  }
  if (ec)
    return make_error(errc::invalid_argument, "cannot list knowledge folder '"
                                                + folder.string()
                                                + "': " + ec.message());
  std::sort(files.begin(), files.end(), [](const auto& x, const auto& y) {
    return x.generic_string() < y.generic_string();
  });
  return files;
}

caf::expected<std::string> read_file(const fs::path& file) {
  std::error_code ec;
  auto bytes = fs::file_size(file, ec);
  if (ec)
    return make_error(errc::invalid_argument, "cannot read knowledge file '"
                                                + file.string()
                                                + "': " + ec.message());
  if (bytes > knowledge_index::max_file_bytes)
    return make_error(errc::invalid_argument,
                      "knowledge file '" + file.string() + "' is larger than "
                        + std::to_string(knowledge_index::max_file_bytes)
                        + " bytes");
  std::ifstream in{file, std::ios::binary};
  if (!in)
    return make_error(errc::invalid_argument,
                      "cannot open knowledge file '" + file.string() + "'");
  std::string content{std::istreambuf_iterator<char>{in},
                      std::istreambuf_iterator<char>{}};
  if (in.bad())
    return make_error(errc::invalid_argument,
                      "cannot read knowledge file '" + file.string() + "'");
  return content;
}

} // namespace

caf::expected<knowledge_index>
knowledge_index::load(const std::vector<fs::path>& folders) {
  knowledge_index result;
  std::vector<std::pair<v1::KnowledgePassage, std::string>> passages;
  for (const auto& folder : folders) {
    auto files = list_files(folder);
    if (!files)
      return files.error();
    for (const auto& relative : *files) {
      auto content = read_file(folder / relative);
      if (!content)
        return content.error();
      auto ext = lower_extension(relative);
      splitter split{ext != ".txt"};
      for (auto& raw : split.run(*content)) {
        v1::KnowledgePassage passage;
        passage.set_source(relative.generic_string());
        passage.set_title(std::move(raw.title));
        passage.set_text(std::move(raw.text));
        result.add(std::move(passage), raw.context);
      }
    }
  }
  result.finish();
  return result;
}

knowledge_index
knowledge_index::from_passages(std::vector<v1::KnowledgePassage> passages) {
  knowledge_index result;
  for (auto& passage : passages) {
    passage.clear_score();
    result.add(std::move(passage), {});
  }
  result.finish();
  return result;
}

void knowledge_index::add(v1::KnowledgePassage passage,
                          const std::string& context) {
  std::map<std::string, double> frequencies;
  double length = 0;
  auto count = [&](std::string_view text, double weight) {
    for (auto& term : terms(text)) {
      frequencies[term] += weight;
      length += weight;
    }
  };
  count(passage.text(), 1.0);
  count(passage.title(), title_weight);
  count(context, 1.0);
  auto id = static_cast<uint32_t>(passages_.size());
  for (auto& [term, frequency] : frequencies)
    postings_[term].push_back({id, frequency});
  lengths_.push_back(length);
  passages_.push_back(std::move(passage));
}

void knowledge_index::finish() {
  double total = 0;
  for (auto x : lengths_)
    total += x;
  average_length_ = lengths_.empty() ? 0 : total / lengths_.size();
}

std::vector<v1::KnowledgePassage>
knowledge_index::search(std::string_view query, size_t top_k) const {
  if (top_k == 0 || passages_.empty())
    return {};
  // Sorted and unique, so a query's score does not depend on word order.
  auto words = terms(query);
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  auto n = static_cast<double>(passages_.size());
  std::vector<double> scores(passages_.size(), 0.0);
  for (const auto& word : words) {
    auto i = postings_.find(word);
    if (i == postings_.end())
      continue;
    auto df = static_cast<double>(i->second.size());
    auto idf = std::log(1.0 + (n - df + 0.5) / (df + 0.5));
    for (const auto& [id, tf] : i->second) {
      auto norm = 1.0 - b + b * lengths_[id] / average_length_;
      scores[id] += idf * tf * (k1 + 1.0) / (tf + k1 * norm);
    }
  }
  std::vector<uint32_t> hits;
  for (uint32_t id = 0; id < scores.size(); ++id)
    if (scores[id] > 0)
      hits.push_back(id);
  auto better = [&](uint32_t x, uint32_t y) {
    if (scores[x] != scores[y])
      return scores[x] > scores[y];
    if (passages_[x].source() != passages_[y].source())
      return passages_[x].source() < passages_[y].source();
    return x < y;
  };
  auto k = std::min(top_k, hits.size());
  std::partial_sort(hits.begin(), hits.begin() + static_cast<ptrdiff_t>(k),
                    hits.end(), better);
  std::vector<v1::KnowledgePassage> result;
  result.reserve(k);
  for (size_t i = 0; i < k; ++i) {
    result.push_back(passages_[hits[i]]);
    result.back().set_score(scores[hits[i]]);
  }
  return result;
}

} // namespace bsm::knowledge
