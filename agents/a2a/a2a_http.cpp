#include "agents/a2a/a2a_http.hpp"

#include <algorithm>

#include "runtime/error.hpp"

namespace bsm::a2a {

namespace {

caf::error from_status(long status, const std::string& url) {
  auto what
    = "HTTP " + std::to_string(status) + " from " + http::shown_url(url);
  if (status == 401 || status == 403)
    return make_error(errc::permission_denied, what);
  if (status == 404)
    return make_error(errc::not_found, what);
  if (status == 429 || status >= 500)
    return make_error(errc::unavailable, what);
  return make_error(errc::invalid_argument, what);
}

} // namespace

json_http::json_http(size_t max_answer_bytes) : fetch_(max_answer_bytes) {}

caf::expected<nlohmann::json> json_http::exchange(const http_request& req) {
  http::fetch_request out{req.url, req.body, "application/json", {}};
  for (const auto& [name, value] : req.headers)
    out.headers.push_back(name + ": " + value);
  auto reply
    = fetch_.perform(out, std::max(req.timeout, std::chrono::milliseconds{1}));
  if (!reply)
    return reply.error();
  if (reply->status < 200 || reply->status > 299)
    return from_status(reply->status, req.url);
  auto parsed = nlohmann::json::parse(reply->body, nullptr, false);
  if (parsed.is_discarded())
    return make_error(errc::internal, http::shown_url(req.url)
                                        + " answered something that is not "
                                          "JSON");
  return parsed;
}

} // namespace bsm::a2a
