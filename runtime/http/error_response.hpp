#pragma once

// Building answers in the shapes of API.md: JSON bodies, the error shape
// {"error":{"code","message","request_id"}} and the status of each bsm
// error code.

#include <string>

#include <boost/beast/http/status.hpp>
#include <caf/error.hpp>

#include "runtime/http/exchange.hpp"

namespace bsm::http {

/// A response with a JSON body.
response make_json_response(boost::beast::http::status status,
                            std::string body);

/// The API.md error shape.
response make_error_response(boost::beast::http::status status,
                             const std::string& code,
                             const std::string& message,
                             const std::string& request_id);

/// The HTTP status and API code for a bsm (or CAF) error: invalid_argument
/// -> 400, not_found -> 404, unavailable -> 503 (with Retry-After),
/// deadline_exceeded (and CAF's request_timeout) -> 504, ... internal and
/// unknown errors -> 500.
struct status_and_code {
  boost::beast::http::status status;
  std::string code;
};
status_and_code status_of(const caf::error& err);

/// The error shape for `err`, with Retry-After for 503 and 429 (the
/// error's own wait when it carries one).
response make_error_response(const caf::error& err,
                             const std::string& request_id);

/// Sets Retry-After to the wait an error carries (make_retry_error, e.g.
/// a spent model budget's refill); leaves `res` alone for other errors.
void set_retry_after(response& res, const caf::error& err);

/// Answers `ex` with the error shape.
void respond_error(exchange& ex, boost::beast::http::status status,
                   const std::string& code, const std::string& message);
void respond_error(exchange& ex, const caf::error& err);

/// The human part of an error: its context message for bsm errors.
std::string message_of(const caf::error& err);

} // namespace bsm::http
