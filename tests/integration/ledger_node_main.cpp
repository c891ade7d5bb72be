// bsm_ledger_node: bsmd plus the crash test's ledger consumer, which writes
// its ledger into $BSM_LEDGER_DIR.

#include <cstdio>
#include <cstdlib>

#include "node/bsmd_runner.hpp"
#include "tests/integration/ledger_consumer.hpp"

int main(int argc, char** argv) {
  const char* dir = std::getenv("BSM_LEDGER_DIR");
  if (dir == nullptr) {
    std::fprintf(stderr, "bsm_ledger_node: set BSM_LEDGER_DIR\n");
    return 2;
  }
  std::vector<bsm::child_spec> extra{bsm::test::ledger_consumer_child(dir)};
  return bsm::run_bsmd(argc, argv, std::move(extra));
}
