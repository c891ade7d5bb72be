// bsmd: the BSM-AgentOS node daemon.

#include "node/bsmd_runner.hpp"

int main(int argc, char** argv) {
  return bsm::run_bsmd(argc, argv);
}
