#pragma once

// What every bsmctl command shares: the client, the global options, the
// console, and one way to report failures (message on stderr, exit code).

#include <string>

#include <caf/error.hpp>

#include "node/bsmctl/args.hpp"
#include "node/bsmctl/commands.hpp"
#include "node/bsmctl/http_client.hpp"
#include "node/bsmctl/output.hpp"

namespace bsm::ctl {

struct command_context {
  const global_options& global;
  const console& io;
  http_client& client;

  bool table() const {
    return global.output == output_format::table;
  }

  bool yaml() const {
    return global.output == output_format::yaml;
  }
};

/// Turns an answer into a table for people.
using table_renderer = std::string (*)(const ordered_json&);

/// Prints `doc` as -o asks: one JSON line, a YAML document, or through
/// `to_table`.
void print_doc(const command_context& ctx, const ordered_json& doc,
               table_renderer to_table);

/// Prints a server's answer as -o asks; a body that is not JSON as it
/// came, on one line. Nothing for an empty body.
void print_answer(const command_context& ctx, const std::string& body,
                  table_renderer to_table);

/// A request's outcome: a 2xx answer printed as -o asks (exit_ok), or the
/// failure reported with its exit code.
int print_result(const command_context& ctx,
                 const caf::expected<http_response>& res,
                 table_renderer to_table);

/// Sends `req` as JSON and prints its outcome (print_result).
int exchange_and_print(command_context& ctx, http_request req,
                       table_renderer to_table);

/// True for a 2xx status.
bool is_success(long status);

/// Prints "bsmctl: <what>" to stderr and returns the error's exit code.
int report(const caf::error& err, const console& io);

/// Prints the server's error (message, code, HTTP status, request id) to
/// stderr and returns `exit_failure`.
int report_http_error(const http_response& res, const console& io);

/// Writes `text` and a line end to stdout and flushes (for pipes).
void print_line(const console& io, const std::string& text);

} // namespace bsm::ctl
