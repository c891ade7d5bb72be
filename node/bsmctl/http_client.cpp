#include "node/bsmctl/http_client.hpp"

#include <curl/curl.h>

#include "runtime/error.hpp"
#include "runtime/http/curl_error.hpp"

namespace bsm::ctl {

namespace detail {

// What one exchange collects; the write callback's user data.
struct http_transfer {
  CURL* handle = nullptr;
  std::string body;
  // Set for streams: complete 2xx body lines go here instead of `body`.
  http_client::line_handler on_line;
  std::string partial_line;
  long status = -1;
  bool stopped = false;
};

} // namespace detail

namespace {

struct slist_deleter {
  void operator()(curl_slist* list) const {
    curl_slist_free_all(list);
  }
};
using header_list = std::unique_ptr<curl_slist, slist_deleter>;

bool is_success(long status) {
  return status >= 200 && status < 300;
}

// Hands complete lines of `t.partial_line` to the handler; false if the
// handler asked to stop.
bool deliver_lines(detail::http_transfer& t) {
  size_t start = 0;
  for (;;) {
    auto end = t.partial_line.find('\n', start);
    if (end == std::string::npos)
      break;
    std::string_view line{t.partial_line.data() + start, end - start};
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    start = end + 1;
    if (!t.on_line(line)) {
      t.stopped = true;
      return false;
    }
  }
  t.partial_line.erase(0, start);
  return true;
}

caf::error from_curl(CURLcode rc, const char* detail, const std::string& url) {
  auto code = http::curl_error_code(rc);
  if (code == errc::invalid_argument)
    return make_error(code, "bad URL " + url + ": " + curl_easy_strerror(rc));
  return make_error(code, "cannot reach " + url + ": "
                            + http::curl_error_text(rc, detail));
}

size_t on_write(char* data, size_t size, size_t count, void* user) {
  auto& t = *static_cast<detail::http_transfer*>(user);
  size_t len = size * count;
  if (t.on_line && t.status < 0)
    curl_easy_getinfo(t.handle, CURLINFO_RESPONSE_CODE, &t.status);
  if (!t.on_line || !is_success(t.status)) {
    t.body.append(data, len);
    return len;
  }
  t.partial_line.append(data, len);
  return deliver_lines(t) ? len : 0; // 0 makes libcurl stop the transfer
}

} // namespace

curl_global::curl_global() {
  curl_global_init(CURL_GLOBAL_DEFAULT);
}

curl_global::~curl_global() {
  curl_global_cleanup();
}

http_client::http_client(std::string base_url, std::string token)
  : base_url_(std::move(base_url)), token_(std::move(token)),
    handle_(curl_easy_init()) {}

http_client::~http_client() {
  curl_easy_cleanup(static_cast<CURL*>(handle_));
}

caf::expected<http_response> http_client::send(const http_request& req) {
  detail::http_transfer state;
  return perform(req, state);
}

caf::expected<http_response>
http_client::stream_lines(const std::string& path, const std::string& accept,
                          line_handler on_line,
                          std::chrono::milliseconds timeout) {
  http_request req;
  req.path = path;
  req.timeout = timeout;
  return stream_lines(std::move(req), accept, std::move(on_line));
}

caf::expected<http_response>
http_client::stream_lines(http_request req, const std::string& accept,
                          line_handler on_line) {
  req.headers.push_back("Accept: " + accept);
  detail::http_transfer state;
  state.on_line = std::move(on_line);
  auto res = perform(req, state);
  if (res && is_success(res->status) && !state.stopped
      && !state.partial_line.empty())
    state.on_line(state.partial_line); // a last line without line end
  return res;
}

caf::expected<http_response>
http_client::perform(const http_request& req, detail::http_transfer& state) {
  auto* h = static_cast<CURL*>(handle_);
  if (h == nullptr)
    return make_error(errc::internal, "curl_easy_init failed");
  curl_easy_reset(h); // keeps the connection cache: keep-alive
  state.handle = h;
  char detail[CURL_ERROR_SIZE] = {0};
  auto url = url_of(req.path);
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(connect_timeout_.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(req.timeout.count()));
  curl_easy_setopt(h, CURLOPT_USERAGENT, "bsmctl/" BSM_VERSION);
  if (!ca_file_.empty())
    curl_easy_setopt(h, CURLOPT_CAINFO, ca_file_.c_str());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &state);
  bool has_body = req.method == "POST" || !req.body.empty();
  if (has_body) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(req.body.size()));
  }
  if (req.method != "GET" && req.method != "POST")
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  header_list headers;
  auto add = [&headers](const std::string& line) {
    if (auto* head = curl_slist_append(headers.get(), line.c_str())) {
      (void)headers.release(); // `head` owns the old list now
      headers.reset(head);
    }
  };
  if (has_body) {
    add("Content-Type: " + req.content_type);
    add("Expect:"); // no 100-continue round trip for larger bodies
  }
  if (!token_.empty())
    add("Authorization: Bearer " + token_);
  for (const auto& line : req.headers)
    add(line);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  auto rc = curl_easy_perform(h);
  if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && state.stopped))
    return from_curl(rc, detail, url);
  http_response res;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res.status);
  res.body = std::move(state.body);
  return res;
}

} // namespace bsm::ctl
