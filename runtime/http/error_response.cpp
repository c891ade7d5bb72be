#include "runtime/http/error_response.hpp"

#include <caf/make_message.hpp>
#include <caf/sec.hpp>
#include <nlohmann/json.hpp>

#include "runtime/error.hpp"
#include "runtime/http/media_errors.hpp"
#include "runtime/retry_after.hpp"

namespace bsm::http {

namespace bhttp = boost::beast::http;

namespace {

// Errors that carry an HTTP answer of their own (unsupported_media_type()).
constexpr caf::atom_value http_category = caf::atom("http");
constexpr uint8_t unsupported_media_type_code = 1;

// Seconds a client should wait before retrying a 503 or 429.
constexpr const char* retry_after_seconds = "1";

status_and_code status_of_bsm(errc code) {
  switch (code) {
    case errc::invalid_argument:
      return {bhttp::status::bad_request, "invalid_argument"};
    case errc::not_found: return {bhttp::status::not_found, "not_found"};
    case errc::already_exists:
    case errc::aborted:
    case errc::cancelled: return {bhttp::status::conflict, "conflict"};
    case errc::failed_precondition:
      return {bhttp::status::bad_request, "invalid_argument"};
    case errc::unavailable:
      return {bhttp::status::service_unavailable, "unavailable"};
    case errc::deadline_exceeded:
      return {bhttp::status::gateway_timeout, "deadline_exceeded"};
    case errc::resource_exhausted:
      return {bhttp::status::too_many_requests, "rate_limited"};
    case errc::permission_denied:
      return {bhttp::status::forbidden, "permission_denied"};
    case errc::unauthenticated:
      return {bhttp::status::unauthorized, "unauthenticated"};
    case errc::internal: break;
  }
  return {bhttp::status::internal_server_error, "internal"};
}

} // namespace

response make_json_response(bhttp::status status, std::string body) {
  response res{status, 11};
  res.set(bhttp::field::content_type, "application/json");
  res.body() = std::move(body);
  return res;
}

response make_error_response(bhttp::status status, const std::string& code,
                             const std::string& message,
                             const std::string& request_id) {
  nlohmann::json body{
    {"error",
     {{"code", code}, {"message", message}, {"request_id", request_id}}}};
  auto res = make_json_response(
    status,
    body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (status == bhttp::status::service_unavailable
      || status == bhttp::status::too_many_requests)
    res.set(bhttp::field::retry_after, retry_after_seconds);
  return res;
}

caf::error unsupported_media_type(std::string message) {
  return caf::error{unsupported_media_type_code, http_category,
                    caf::make_message(std::move(message))};
}

status_and_code status_of(const caf::error& err) {
  if (err.category() == http_category
      && err.code() == unsupported_media_type_code)
    return {bhttp::status::unsupported_media_type, "unsupported_media_type"};
  if (err.category() == errc_category)
    return status_of_bsm(static_cast<errc>(err.code()));
  if (err == caf::sec::request_timeout)
    return {bhttp::status::gateway_timeout, "deadline_exceeded"};
  if (err == caf::sec::request_receiver_down)
    return {bhttp::status::service_unavailable, "unavailable"};
  if (err == caf::sec::unexpected_message)
    return {bhttp::status::bad_request, "invalid_argument"};
  return {bhttp::status::internal_server_error, "internal"};
}

std::string message_of(const caf::error& err) {
  if (err == caf::sec::request_timeout)
    return "the actor did not answer in time";
  if (err == caf::sec::request_receiver_down)
    return "the actor stopped before it answered";
  if (err == caf::sec::unexpected_message)
    return "the actor does not handle this message type";
  if (err.category() == http_category && err.context().size() == 1
      && err.context().match_element<std::string>(0))
    return err.context().get_as<std::string>(0);
  auto text = render(err);
  if (err.category() == errc_category) {
    // render() gives "code: what"; the code has its own field.
    auto colon = text.find(": ");
    if (colon != std::string::npos)
      return text.substr(colon + 2);
  }
  return text;
}

response make_error_response(const caf::error& err,
                             const std::string& request_id) {
  auto [status, code] = status_of(err);
  auto res = make_error_response(status, code, message_of(err), request_id);
  set_retry_after(res, err);
  return res;
}

void set_retry_after(response& res, const caf::error& err) {
  if (auto wait = retry_after_of(err))
    res.set(bhttp::field::retry_after,
            std::to_string(bsm::retry_after_seconds(*wait)));
}

void respond_error(exchange& ex, bhttp::status status, const std::string& code,
                   const std::string& message) {
  ex.respond(make_error_response(status, code, message, ex.request_id()));
}

void respond_error(exchange& ex, const caf::error& err) {
  ex.respond(make_error_response(err, ex.request_id()));
}

} // namespace bsm::http
