#include "agents/knowledge/text_tokens.hpp"

#include <algorithm>
#include <array>

#include "runtime/ascii.hpp"

namespace bsm::knowledge {

namespace {

bool is_ascii_alnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9');
}

// The length of the UTF-8 punctuation sequence at `i`, or 0: Latin-1
// symbols (U+0080..U+00BF: no-break space, section sign, guillemets) and
// general punctuation (U+2000..U+207F: dashes, curly quotes, ellipsis)
// separate words like ASCII punctuation does.
size_t punctuation_at(std::string_view text, size_t i) {
  auto c = static_cast<unsigned char>(text[i]);
  auto next = [&](size_t k) {
    return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0;
  };
  if (c == 0xC2 && next(1) >= 0x80 && next(1) <= 0xBF)
    return 2;
  if (c == 0xE2 && (next(1) == 0x80 || next(1) == 0x81) && next(2) >= 0x80)
    return 3;
  return 0;
}

bool ends_with(std::string_view x, std::string_view suffix) {
  return x.size() >= suffix.size()
         && x.compare(x.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_vowel(char c) {
  return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

// British spellings the knowledge folders use, mapped to one form.
std::string american(std::string word) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 14>
    prefixes{{{"licenc", "licens"},
              {"behaviour", "behavior"},
              {"organis", "organiz"},
              {"authoris", "authoriz"},
              {"minimis", "minimiz"},
              {"anonymis", "anonymiz"},
              {"pseudonymis", "pseudonymiz"},
              {"prioritis", "prioritiz"},
              {"utilis", "utiliz"},
              {"recognis", "recogniz"},
              {"normalis", "normaliz"},
              {"serialis", "serializ"},
              {"optimis", "optimiz"},
              {"initialis", "initializ"}}};
  for (auto [british, us] : prefixes)
    if (word.compare(0, british.size(), british) == 0)
      return std::string{us} + word.substr(british.size());
  return word;
}

// Plurals and "-ied": "policies" -> "policy", "contracts" -> "contract".
void strip_plural(std::string& w) {
  if ((ends_with(w, "ies") || ends_with(w, "ied")) && w.size() > 4)
    w.replace(w.size() - 3, 3, "y");
  else if (ends_with(w, "sses"))
    w.resize(w.size() - 2);
  else if (ends_with(w, "s") && !ends_with(w, "ss") && !ends_with(w, "us")
           && !ends_with(w, "is") && w.size() > 3)
    w.pop_back();
}

struct suffix_rule {
  std::string_view suffix;
  std::string_view replacement;
  // Characters that must remain before the suffix.
  size_t min_stem;
};

// Longest first; the first rule that fits applies.
constexpr std::array<suffix_rule, 16> suffix_rules{{{"ification", "ify", 3},
                                                    {"ization", "ize", 3},
                                                    {"ifier", "ify", 3},
                                                    {"ation", "", 4},
                                                    {"ition", "", 4},
                                                    {"ating", "", 4},
                                                    {"ated", "", 4},
                                                    {"ment", "", 4},
                                                    {"sion", "s", 3},
                                                    {"tion", "t", 3},
                                                    {"ate", "", 4},
                                                    {"ing", "", 3},
                                                    {"al", "", 4},
                                                    {"ly", "", 4},
                                                    {"ed", "", 3},
                                                    {"e", "", 3}}};

void strip_suffix(std::string& w) {
  for (const auto& rule : suffix_rules) {
    if (ends_with(w, rule.suffix)
        && w.size() - rule.suffix.size() >= rule.min_stem) {
      w.resize(w.size() - rule.suffix.size());
      w += rule.replacement;
      break;
    }
  }
  // A replacement or "-ment" may leave an "e": "management" -> "manage".
  if (ends_with(w, "e") && w.size() > 4)
    w.pop_back();
}

} // namespace

std::vector<std::string> tokenize(std::string_view text) {
  std::vector<std::string> result;
  std::string word;
  auto flush = [&] {
    bool lone_letter = word.size() == 1 && word[0] >= 'a' && word[0] <= 'z';
    if (!word.empty() && !lone_letter)
      result.push_back(word);
    word.clear();
  };
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (is_ascii_alnum(c)) {
      word += ascii_lower(static_cast<char>(c));
      ++i;
    } else if (c >= 0x80) {
      if (auto n = punctuation_at(text, i); n > 0) {
        flush();
        i += n;
      } else {
        word += static_cast<char>(c);
        ++i;
      }
    } else {
      flush();
      ++i;
    }
  }
  flush();
  return result;
}

bool is_stopword(std::string_view word) {
  // Sorted, for binary search.
  static constexpr std::array<std::string_view, 111> words{
    {"about",  "above", "after", "again", "all",   "also",  "am",     "an",
     "and",    "any",   "are",   "as",    "at",    "be",    "been",   "being",
     "both",   "but",   "by",    "can",   "could", "did",   "do",     "does",
     "doing",  "don",   "each",  "else",  "etc",   "for",   "from",   "get",
     "had",    "has",   "have",  "he",    "her",   "here",  "him",    "his",
     "how",    "if",    "in",    "into",  "is",    "isn",   "it",     "its",
     "just",   "let",   "like",  "me",    "more",  "most",  "much",   "my",
     "no",     "nor",   "not",   "now",   "of",    "off",   "on",     "once",
     "only",   "or",    "other", "our",   "out",   "over",  "please", "she",
     "should", "so",    "some",  "such",  "tell",  "than",  "that",   "the",
     "their",  "them",  "then",  "there", "these", "they",  "this",   "those",
     "to",     "too",   "under", "until", "up",    "us",    "very",   "was",
     "we",     "were",  "what",  "when",  "where", "which", "while",  "who",
     "whom",   "why",   "will",  "with",  "would", "you",   "your"}};
  return std::binary_search(words.begin(), words.end(), word);
}

std::string stem(std::string_view word) {
  std::string w{word};
  if (w.size() <= 3)
    return w;
  w = american(std::move(w));
  strip_plural(w);
  strip_suffix(w);
  // "running" -> "runn" -> "run"; also "install" and "installing" meet.
  auto n = w.size();
  if (n > 3 && w[n - 1] == w[n - 2] && !is_vowel(w[n - 1])
      && !(w[n - 1] >= '0' && w[n - 1] <= '9'))
    w.pop_back();
  return w;
}

std::vector<std::string> terms(std::string_view text) {
  std::vector<std::string> result;
  for (auto& token : tokenize(text))
    if (!is_stopword(token))
      result.push_back(stem(token));
  return result;
}

} // namespace bsm::knowledge
