#pragma once

// Retrieval over an agent's knowledge folders: markdown and text files cut
// into passages and ranked with BM25. An agent loads its index once (at
// start and on reload, never on a scheduler thread: `load` reads files) and
// searches it per turn (in memory, microseconds).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <caf/expected.hpp>

#include "bsm/v1/agents.pb.h"

namespace bsm::knowledge {

/// An immutable BM25 index over passages. Copyable; `search` is const and
/// safe to call from several threads at once.
class knowledge_index {
public:
  // -- constants --------------------------------------------------------------

  /// BM25 term-frequency saturation.
  static constexpr double k1 = 1.2;

  /// BM25 length normalisation.
  static constexpr double b = 0.75;

  /// A word of a passage's heading counts this many times.
  static constexpr double title_weight = 2.0;

  /// Files larger than this are refused (knowledge is prose, not data).
  static constexpr uintmax_t max_file_bytes = 4 * 1024 * 1024;

  // -- construction -----------------------------------------------------------

  /// An empty index: every search returns nothing.
  knowledge_index() = default;

  /// Reads every `.md`, `.markdown` and `.txt` file under each folder,
  /// recursively, in sorted path order (files and folders whose names start
  /// with '.' are skipped), and cuts them into passages: markdown gets one
  /// passage per heading section, long sections split at paragraph
  /// boundaries into about 120..200 words; a passage's `title` is its
  /// nearest heading and its `source` the file's path relative to its
  /// folder ("contracts.md", "eu/gdpr.md"). Text files have no titles. An
  /// empty list gives an empty index.
  /// Errors: `invalid_argument` naming the path when a folder is missing,
  /// is not a folder or cannot be listed, or a file cannot be read or is
  /// larger than `max_file_bytes`.
  [[nodiscard]] static caf::expected<knowledge_index>
  load(const std::vector<std::filesystem::path>& folders);

  /// Indexes passages given directly (`score` is ignored), in this order.
  /// For tests and for callers that produce their own passages.
  [[nodiscard]] static knowledge_index
  from_passages(std::vector<v1::KnowledgePassage> passages);

  // -- queries ----------------------------------------------------------------

  /// The at most `top_k` passages that best match `query` (BM25 with k1 =
  /// 1.2, b = 0.75 over `terms()`, heading words weighted `title_weight`),
  /// best first, `score` set. Only passages with a score above 0 come back;
  /// equal scores are ordered by source, then by position in the source, so
  /// the result is deterministic.
  [[nodiscard]] std::vector<v1::KnowledgePassage> search(std::string_view query,
                                                         size_t top_k) const;

  /// The number of passages.
  [[nodiscard]] size_t size() const noexcept {
    return passages_.size();
  }

  /// All passages, in load order (by folder, then path, then position).
  [[nodiscard]] const std::vector<v1::KnowledgePassage>&
  passages() const noexcept {
    return passages_;
  }

private:
  struct posting {
    uint32_t passage;
    double frequency;
  };

  // Indexes `passage`; `context` holds its enclosing headings (weight 1).
  void add(v1::KnowledgePassage passage, const std::string& context);

  void finish();

  std::vector<v1::KnowledgePassage> passages_;
  // Weighted length of each passage, in terms.
  std::vector<double> lengths_;
  double average_length_ = 0;
  std::unordered_map<std::string, std::vector<posting>> postings_;
};

} // namespace bsm::knowledge
