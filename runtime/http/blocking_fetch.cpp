#include "runtime/http/blocking_fetch.hpp"

#include <algorithm>

#include <curl/curl.h>

#include "runtime/error.hpp"
#include "runtime/http/curl_error.hpp"
#include "runtime/http/curl_headers.hpp"

namespace bsm::http {

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

} // namespace

blocking_fetch::blocking_fetch(size_t max_answer_bytes)
  : handle_(nullptr), max_answer_bytes_(max_answer_bytes) {
  init_curl_once();
  handle_ = curl_easy_init();
}

blocking_fetch::~blocking_fetch() {
  curl_easy_cleanup(static_cast<CURL*>(handle_));
}

caf::expected<fetch_reply>
blocking_fetch::perform(const fetch_request& req,
                        std::chrono::milliseconds timeout) {
  auto shown = shown_url(req.url);
  if (timeout.count() <= 0)
    return make_error(errc::deadline_exceeded,
                      "no time left to reach " + shown);
  auto* h = static_cast<CURL*>(handle_);
  if (h == nullptr)
    return make_error(errc::internal, "libcurl could not make a handle");
  curl_easy_reset(h); // keeps the connection cache: keep-alive
  body_sink sink;
  sink.max = max_answer_bytes_;
  char detail[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
  // URLs come from config, cards and metadata: never file://, dict:// ...
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(h, CURLOPT_USERAGENT, "bsm-agentos/" BSM_VERSION);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_header_list headers;
  add_curl_header(headers, "Accept: application/json");
  if (!req.body.empty()) {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(req.body.size()));
    add_curl_header(headers, "Content-Type: " + req.content_type);
    add_curl_header(headers, "Expect:");
  }
  for (const auto& line : req.headers)
    add_curl_header(headers, line);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  auto rc = curl_easy_perform(h);
  if (sink.too_large)
    return make_error(errc::resource_exhausted,
                      shown + " answered with more than "
                        + std::to_string(max_answer_bytes_) + " bytes");
  if (rc != CURLE_OK)
    return make_error(curl_error_code(rc),
                      shown + ": " + curl_error_text(rc, detail));
  fetch_reply reply;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply.status);
  reply.body = std::move(sink.body);
  return reply;
}

std::string shown_url(const std::string& url) {
  auto scheme_end = url.find("://");
  auto host_start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  auto path_start = url.find_first_of("/?#", host_start);
  auto authority = url.substr(host_start, path_start - host_start);
  if (auto at = authority.rfind('@'); at != std::string::npos)
    authority.erase(0, at + 1);
  std::string path;
  if (path_start != std::string::npos)
    path = url.substr(path_start,
                      url.find_first_of("?#", path_start) - path_start);
  return url.substr(0, host_start) + authority + path;
}

} // namespace bsm::http
