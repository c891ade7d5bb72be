#include "node/bsmctl/secret_input.hpp"

#include <termios.h>
#include <unistd.h>

#include <iostream>

#include "runtime/error.hpp"

namespace bsm::ctl {

namespace {

// Turns terminal echo off for its lifetime (restored even on error paths).
class echo_off {
public:
  echo_off() {
    if (tcgetattr(STDIN_FILENO, &saved_) != 0)
      return;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    active_ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
  }
  ~echo_off() {
    if (active_)
      tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
  }
  echo_off(const echo_off&) = delete;
  echo_off& operator=(const echo_off&) = delete;

private:
  termios saved_{};
  bool active_ = false;
};

} // namespace

caf::expected<std::string>
read_secret_line(std::istream& in, const std::string& what, size_t max_bytes) {
  std::string line;
  for (int c = in.get(); c != std::char_traits<char>::eof() && c != '\n';
       c = in.get()) {
    if (line.size() > max_bytes)
      return make_error(errc::invalid_argument,
                        what + " on stdin is longer than "
                          + std::to_string(max_bytes) + " bytes");
    line.push_back(static_cast<char>(c));
  }
  if (!line.empty() && line.back() == '\r')
    line.pop_back();
  if (line.size() > max_bytes)
    return make_error(errc::invalid_argument, what + " on stdin is longer than "
                                                + std::to_string(max_bytes)
                                                + " bytes");
  if (line.empty())
    return make_error(errc::invalid_argument,
                      "no " + what + " on stdin (one line expected)");
  return line;
}

caf::expected<std::string> prompt_secret(const console& io,
                                         const std::string& what) {
  if (&io.in != &std::cin || isatty(STDIN_FILENO) == 0)
    return read_secret_line(io.in, what);
  io.err << what << ": " << std::flush;
  auto line = [&] {
    echo_off quiet;
    return read_secret_line(io.in, what);
  }();
  io.err << '\n';
  return line;
}

} // namespace bsm::ctl
