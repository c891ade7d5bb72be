#include "agents/mcp/oauth/fetch.hpp"

#include <algorithm>

#include <curl/curl.h>

#include "agents/mcp/http_transport.hpp"
#include "runtime/error.hpp"
#include "runtime/http/curl_error.hpp"
#include "runtime/http/curl_headers.hpp"

namespace bsm::mcp::oauth {

namespace {

struct sink {
  std::string body;
  size_t max_bytes = 0;
  bool overflow = false;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto& s = *static_cast<sink*>(user);
  auto n = size * count;
  if (s.body.size() + n > s.max_bytes) {
    s.overflow = true;
    return 0;
  }
  s.body.append(data, n);
  return n;
}

struct easy_deleter {
  void operator()(CURL* h) const {
    curl_easy_cleanup(h);
  }
};

} // namespace

caf::expected<fetch_reply> fetch(const fetch_request& req,
                                 std::chrono::steady_clock::time_point deadline,
                                 size_t max_bytes) {
  auto shown = mcp::shown_url(req.url);
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
    deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0)
    return make_error(errc::deadline_exceeded,
                      "no time left to reach " + shown);
  http::init_curl_once();
  std::unique_ptr<CURL, easy_deleter> easy{curl_easy_init()};
  if (!easy)
    return make_error(errc::internal, "libcurl could not make a handle");
  auto* h = easy.get();
  char error[CURL_ERROR_SIZE] = {};
  sink out{{}, max_bytes, false};
  http::curl_header_list headers;
  http::add_curl_header(headers, "Accept: application/json");
  for (const auto& line : req.headers)
    http::add_curl_header(headers, line);
  curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(std::max<int64_t>(left.count(), 1)));
  curl_easy_setopt(h, CURLOPT_USERAGENT, "bsm-agentos/" BSM_VERSION);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &out);
  if (!req.form.empty()) {
    http::add_curl_header(headers,
                          "Content-Type: application/x-www-form-urlencoded");
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.form.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(req.form.size()));
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  auto rc = curl_easy_perform(h);
  if (out.overflow)
    return make_error(errc::resource_exhausted,
                      shown + " answered with more than "
                        + std::to_string(max_bytes) + " bytes");
  if (rc != CURLE_OK)
    return make_error(http::curl_error_code(rc),
                      shown + ": " + http::curl_error_text(rc, error));
  fetch_reply reply;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply.status);
  reply.body = std::move(out.body);
  return reply;
}

} // namespace bsm::mcp::oauth
