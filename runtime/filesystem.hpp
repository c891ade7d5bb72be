#pragma once

#include <filesystem>
#include <string>

#include <caf/error.hpp>

namespace bsm {

/// Creates `dir` and its parents if missing. `what` names the directory in
/// the error ("data dir", "store dir"). Errors: `unavailable`.
[[nodiscard]] caf::error ensure_directory(const std::filesystem::path& dir,
                                          const std::string& what);

} // namespace bsm
