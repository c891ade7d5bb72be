#include "agents/a2a/a2a_http.hpp"

#include <algorithm>

#include <curl/curl.h>

#include "runtime/error.hpp"
#include "runtime/http/curl_error.hpp"
#include "runtime/http/curl_headers.hpp"

namespace bsm::a2a {

namespace {

struct body_sink {
  std::string body;
  size_t max = 0;
  bool too_large = false;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto& sink = *static_cast<body_sink*>(user);
  auto n = size * count;
  if (sink.body.size() + n > sink.max) {
    sink.too_large = true;
    return 0; // aborts the transfer
  }
  sink.body.append(data, n);
  return n;
}

// The URL for errors: without query and fragment (they may hold secrets).
std::string shown(const std::string& url) {
  return url.substr(0, url.find_first_of("?#"));
}

caf::error from_status(long status, const std::string& url) {
  auto what = "HTTP " + std::to_string(status) + " from " + shown(url);
  if (status == 401 || status == 403)
    return make_error(errc::permission_denied, what);
  if (status == 404)
    return make_error(errc::not_found, what);
  if (status == 429 || status >= 500)
    return make_error(errc::unavailable, what);
  return make_error(errc::invalid_argument, what);
}

} // namespace

json_http::json_http(size_t max_answer_bytes)
  : handle_(nullptr), max_answer_bytes_(max_answer_bytes) {
  http::init_curl_once();
  handle_ = curl_easy_init();
}

json_http::~json_http() {
  curl_easy_cleanup(static_cast<CURL*>(handle_));
}

caf::expected<nlohmann::json> json_http::exchange(const http_request& req) {
  auto* h = static_cast<CURL*>(handle_);
  if (h == nullptr)
    return make_error(errc::internal, "curl_easy_init failed");
  curl_easy_reset(h); // keeps the connection cache: keep-alive
  body_sink sink;
  sink.max = max_answer_bytes_;
  char detail[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
  // The URL comes from config or a card: never file://, dict:// ...
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(
    h, CURLOPT_TIMEOUT_MS,
    static_cast<long>(std::max<int64_t>(1, req.timeout.count())));
  curl_easy_setopt(h, CURLOPT_USERAGENT, "bsm-agentos/" BSM_VERSION);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  http::curl_header_list headers;
  http::add_curl_header(headers, "Accept: application/json");
  if (!req.body.empty()) {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(req.body.size()));
    http::add_curl_header(headers, "Content-Type: application/json");
    http::add_curl_header(headers, "Expect:");
  }
  for (const auto& [name, value] : req.headers)
    http::add_curl_header(headers, name + ": " + value);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  auto rc = curl_easy_perform(h);
  if (sink.too_large)
    return make_error(errc::internal, shown(req.url) + " answered more than "
                                        + std::to_string(max_answer_bytes_)
                                        + " bytes");
  if (rc != CURLE_OK)
    return make_error(http::curl_error_code(rc),
                      shown(req.url) + ": "
                        + http::curl_error_text(rc, detail));
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status > 299)
    return from_status(status, req.url);
  auto parsed = nlohmann::json::parse(sink.body, nullptr, false);
  if (parsed.is_discarded())
    return make_error(errc::internal,
                      shown(req.url) + " answered something that is not JSON");
  return parsed;
}

} // namespace bsm::a2a
