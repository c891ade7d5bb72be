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

namespace bsm::ctl {

void print_doc(const command_context& ctx, const ordered_json& doc,
               table_renderer to_table) {
  if (ctx.table())
    ctx.io.out << to_table(doc);
  else if (ctx.yaml())
    ctx.io.out << yaml_document(doc);
  else
    print_line(ctx.io, compact(doc));
  ctx.io.out.flush();
}

void print_answer(const command_context& ctx, const std::string& body,
                  table_renderer to_table) {
  if (body.empty())
    return;
  // Printed as it came in JSON, so a script sees the server's own numbers.
  auto doc = parse_body(body);
  if (!doc || (!ctx.table() && !ctx.yaml()))
    print_line(ctx.io, one_line(body));
  else
    print_doc(ctx, *doc, to_table);
}

int print_result(const command_context& ctx,
                 const caf::expected<http_response>& res,
                 table_renderer to_table) {
  if (!res)
    return report(res.error(), ctx.io);
  if (!is_success(res->status))
    return report_http_error(*res, ctx.io);
  print_answer(ctx, res->body, to_table);
  return exit_ok;
}

int exchange_and_print(command_context& ctx, http_request req,
                       table_renderer to_table) {
  req.headers.push_back("Accept: application/json");
  return print_result(ctx, ctx.client.send(req), to_table);
}

} // namespace bsm::ctl
