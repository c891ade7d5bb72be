#include "node/bsmctl/command_context.hpp"

#include <ostream>

#include "node/bsmctl/exit_code.hpp"
#include "node/bsmctl/output.hpp"

namespace bsm::ctl {

bool is_success(long status) {
  return status >= 200 && status < 300;
}

int report(const caf::error& err, const console& io) {
  io.err << "bsmctl: " << describe(err) << '\n';
  return exit_code_for(err);
}

int report_http_error(const http_response& res, const console& io) {
  auto doc = parse_body(res.body);
  io.err << "bsmctl: ";
  if (doc && doc->is_object() && doc->contains("error")
      && (*doc)["error"].is_object()) {
    const auto& err = (*doc)["error"];
    io.err << text_of(err, "message", "(no message)") << " (code "
           << text_of(err, "code", "unknown") << ", HTTP " << res.status;
    if (err.contains("request_id"))
      io.err << ", request_id " << text_of(err, "request_id");
    io.err << ")\n";
  } else {
    io.err << "HTTP " << res.status << ": " << one_line(res.body) << '\n';
  }
  return exit_failure;
}

void print_line(const console& io, const std::string& text) {
  io.out << text << '\n';
  io.out.flush();
}

} // namespace bsm::ctl
