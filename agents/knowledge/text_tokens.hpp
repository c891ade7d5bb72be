#pragma once

// The words that knowledge retrieval compares: lowercase tokens, a small
// English stopword list and a light suffix stemmer, so that "contracts" and
// "contract" or "licensing", "licence" and "license" meet on one term. The
// same functions process passages and queries; that is all that matters for
// matching, so a stem need not be an English word ("licens").

#include <string>
#include <string_view>
#include <vector>

namespace bsm::knowledge {

/// Splits `text` into lowercase words: runs of ASCII letters and digits
/// (bytes of UTF-8 sequences count as letters and stay as they are). Any
/// other character separates words; single ASCII letters are dropped (the
/// "s" of "contract's"). Pure and thread-safe.
std::vector<std::string> tokenize(std::string_view text);

/// True for common English function words that carry no topic ("the",
/// "what", "should"). REQUIRES: `word` is lowercase.
bool is_stopword(std::string_view word);

/// Strips one plural or inflection ending and one common derivational
/// suffix ("policies" -> "policy", "approved" -> "approv", "configuration"
/// -> "configur") and maps British spellings the knowledge uses to
/// American ones ("licence" -> "license"). Words of at most three
/// characters stay as they are. REQUIRES: `word` is lowercase.
std::string stem(std::string_view word);

/// `tokenize`, without stopwords, each `stem`med: the terms retrieval
/// indexes and looks up, in text order.
std::vector<std::string> terms(std::string_view text);

} // namespace bsm::knowledge
