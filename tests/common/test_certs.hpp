#pragma once

// Test certificates: deploy/make-certs.sh makes a CA (ca.pem, ca.key) and,
// for each name, NAME.pem and NAME.key signed by it, in a test's own dir.

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace bsm::test {

/// Runs deploy/make-certs.sh into `dir` for `names`; true if it worked.
inline bool make_test_certs(const std::filesystem::path& dir,
                            const std::vector<std::string>& names) {
  auto cmd = "/bin/bash " + std::string{BSM_SOURCE_DIR}
             + "/deploy/make-certs.sh '" + dir.string() + "'";
  for (const auto& name : names)
    cmd += " " + name;
  cmd += " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

} // namespace bsm::test
