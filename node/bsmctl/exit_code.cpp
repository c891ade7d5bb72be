#include "node/bsmctl/exit_code.hpp"

#include "runtime/error.hpp"

namespace bsm::ctl {

namespace {

bool has_code(const caf::error& err, errc code) {
  return err.category() == errc_category
         && err.code() == static_cast<uint8_t>(code);
}

} // namespace

std::string exit_code_table() {
  return "  0  ok: the command did what was asked\n"
         "  1  the server answered with an error (its message and code go to\n"
         "     stderr), or a batch line failed\n"
         "  2  usage error: bad command, option or input (malformed JSON)\n"
         "  3  the server is unreachable (connection refused or timed out)\n"
         "  4  a wait ran out: events --count N saw fewer than N events\n"
         "     within --timeout\n";
}

exit_code exit_code_for(const caf::error& err) {
  if (has_code(err, errc::invalid_argument))
    return exit_usage;
  if (has_code(err, errc::unavailable)
      || has_code(err, errc::deadline_exceeded))
    return exit_unreachable;
  return exit_failure;
}

std::string describe(const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return "error " + std::to_string(err.code());
}

} // namespace bsm::ctl
