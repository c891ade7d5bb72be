#pragma once

// A definition's version: a hash of its normal form (`to_json`), so the
// same definition again, in YAML or JSON, with keys in any order or other
// whitespace, is the same version, and any change that matters is a new one.

#include <string>

#include "workflows/workflow_definition.hpp"

namespace bsm::workflows {

/// The text that is hashed: `to_json(def)` dumped compactly, object keys
/// sorted (nlohmann's objects are ordered maps).
[[nodiscard]] std::string canonical_json(const workflow_definition& def);

/// Lowercase hex SHA-256 of `canonical_json(def)`, 64 characters.
[[nodiscard]] std::string definition_digest(const workflow_definition& def);

/// The version shown and stored with runs: the first 16 characters of
/// `definition_digest(def)`.
[[nodiscard]] std::string definition_version(const workflow_definition& def);

} // namespace bsm::workflows
