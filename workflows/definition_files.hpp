#pragma once

// Workflow definitions from files (section `workflows.paths`): each path
// a file, or a folder whose *.yaml, *.yml and *.json files are read in
// name order (not recursively). Read at start, before any actor: a file
// with a problem stops the start with its name and the problem.

#include <filesystem>
#include <vector>

#include <caf/expected.hpp>

#include "workflows/workflow_definition.hpp"
#include "workflows/workflow_validation.hpp"

namespace bsm::workflows {

/// Every definition of `paths`, each checked against `catalog` (the
/// files' own names count as known workflows). Errors: invalid_argument
/// naming the file for a path that does not exist, a definition that does
/// not read or check, two files of one name.
[[nodiscard]] caf::expected<std::vector<workflow_definition>>
load_definition_files(const std::vector<std::filesystem::path>& paths,
                      workflow_catalog catalog);

} // namespace bsm::workflows
