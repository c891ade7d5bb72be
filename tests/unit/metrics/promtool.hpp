#pragma once

// Runs `promtool check metrics` (Debian package prometheus, installed by
// deploy/install-deps.sh) on a text exposition.

#include <string>

namespace bsm::test {

struct promtool_result {
  /// Exit code: 0 clean, 3 lint problems, 1 parse error; -1 not runnable.
  int code = -1;
  std::string out;
  std::string err;
};

promtool_result promtool_check(const std::string& exposition);

} // namespace bsm::test
