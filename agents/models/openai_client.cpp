#include "agents/models/openai_client.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include "agents/models/openai_json.hpp"
#include "agents/models/relayed_calls.hpp"
#include "runtime/ascii.hpp"
#include "runtime/error.hpp"
#include "runtime/http/curl_error.hpp"
#include "runtime/http/curl_headers.hpp"
#include "runtime/http/sse_parser.hpp"

namespace bsm::models {

namespace {

using clock = std::chrono::steady_clock;
using json = nlohmann::json;
using std::chrono::milliseconds;

// A whole (non-streamed) answer larger than this is refused.
constexpr size_t max_body_bytes = 64u << 20;
// A curl timeout this close to the deadline is the deadline.
constexpr milliseconds deadline_slack{20};
// Longest single sleep while waiting for a retry (checks cancellation).
constexpr milliseconds wait_step{100};

using header_list = http::curl_header_list;

void add_header(header_list& list, const std::string& line) {
  http::add_curl_header(list, line);
}

bool is_success(long status) {
  return status >= 200 && status < 300;
}

bool is_retryable_status(long status) {
  return status == 429 || status == 500 || status == 502 || status == 503
         || status == 504;
}

// Retry-After in seconds or retry-after-ms; HTTP dates are not used by
// OpenAI-compatible servers and are ignored.
std::optional<milliseconds> parse_wait(std::string_view text, double unit_ms) {
  std::string value{ascii_trim(text)};
  if (value.empty())
    return std::nullopt;
  char* end = nullptr;
  double x = std::strtod(value.c_str(), &end);
  if (end != value.c_str() + value.size() || !std::isfinite(x) || x < 0
      || x > 86'400'000.0 / unit_ms)
    return std::nullopt;
  return milliseconds{static_cast<int64_t>(std::ceil(x * unit_ms))};
}

// Only a plain token may travel as a header value (no CR/LF injection).
bool is_header_safe(const std::string& x) {
  return !x.empty() && x.size() <= 128
         && std::all_of(x.begin(), x.end(),
                        [](char c) { return c > ' ' && c < 127; });
}

std::string url_of(const openai_endpoint& ep) {
  auto base = ep.base_url;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  return base + "/chat/completions";
}

milliseconds backoff(const openai_endpoint& ep, uint32_t retry,
                     std::minstd_rand& rng) {
  auto delay = static_cast<double>(ep.backoff_initial.count())
               * std::pow(2.0, std::min<uint32_t>(retry, 30));
  delay = std::min(delay, static_cast<double>(ep.backoff_max.count()));
  // Up to 25% less, so that clients failing together spread out.
  std::uniform_real_distribution<double> jitter{0.75, 1.0};
  return milliseconds{static_cast<int64_t>(delay * jitter(rng))};
}

// -- one attempt --------------------------------------------------------------

/// What one exchange collects; the user data of the curl callbacks.
struct exchange_state {
  CURL* handle = nullptr;
  const delta_handler* on_delta = nullptr;
  /// The tools whose calls go to on_delta (relay_tool_calls).
  const std::set<std::string>* relayed = nullptr;
  const std::atomic<bool>* cancelled = nullptr;
  // -- from the response head
  // ---------------------------------------------------
  std::string content_type;
  std::optional<milliseconds> retry_after;
  std::optional<bool> should_retry;
  // -- the body
  // -------------------------------------------------------------------
  long status = -1;
  bool event_stream = false;
  std::string body;
  http::sse_parser sse;
  stream_accumulator acc;
  caf::error failure; // set by a callback that stopped the transfer
};

void reset_head(exchange_state& st) {
  st.content_type.clear();
  st.retry_after.reset();
  st.should_retry.reset();
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto& st = *static_cast<exchange_state*>(user);
  std::string_view line{data, size * count};
  // A new status line starts a new head (after "100 Continue").
  if (line.substr(0, 5) == "HTTP/") {
    reset_head(st);
    return line.size();
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos)
    return line.size();
  auto name = ascii_lower(ascii_trim(line.substr(0, colon)));
  auto value = ascii_trim(line.substr(colon + 1));
  if (name == "content-type")
    st.content_type = ascii_lower(value);
  else if (name == "retry-after-ms")
    st.retry_after = parse_wait(value, 1.0);
  else if (name == "retry-after" && !st.retry_after)
    st.retry_after = parse_wait(value, 1000.0);
  else if (name == "x-should-retry")
    st.should_retry = ascii_lower(value) == "true";
  return line.size();
}

bool take_event(exchange_state& st, std::string_view data) {
  auto pieces = st.acc.feed(data);
  if (!pieces) {
    st.failure = std::move(pieces.error());
    return false;
  }
  if (*st.on_delta)
    for (const auto& piece : *pieces)
      (*st.on_delta)(piece);
  return true;
}

// Called once the head is complete: at the first body byte, or after the
// transfer for an answer without body.
void take_status(exchange_state& st) {
  curl_easy_getinfo(st.handle, CURLINFO_RESPONSE_CODE, &st.status);
  st.event_stream = is_success(st.status)
                    && st.content_type.rfind("text/event-stream", 0) == 0;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto& st = *static_cast<exchange_state*>(user);
  size_t len = size * count;
  if (st.status < 0)
    take_status(st);
  if (!st.event_stream) {
    if (st.body.size() + len > max_body_bytes) {
      st.failure = make_error(errc::invalid_argument,
                              "upstream sent an answer over "
                                + std::to_string(max_body_bytes) + " bytes");
      return 0;
    }
    st.body.append(data, len);
    return len;
  }
  auto events = st.sse.feed({data, len});
  if (!events) {
    st.failure = std::move(events.error());
    return 0;
  }
  for (const auto& ev : *events)
    if (!take_event(st, ev))
      return 0; // makes libcurl stop with CURLE_WRITE_ERROR
  return len;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto& st = *static_cast<const exchange_state*>(user);
  return st.cancelled != nullptr && st.cancelled->load() ? 1 : 0;
}

/// How one attempt ended.
struct attempt_result {
  caf::expected<v1::ModelResponse> value{caf::error{}};
  bool retryable = false;
  std::optional<milliseconds> retry_after;
};

attempt_result fail(caf::error err, bool retryable) {
  attempt_result r;
  r.value = std::move(err);
  r.retryable = retryable;
  return r;
}

bool is_transient(const caf::error& err) {
  return is(err, errc::unavailable) || is(err, errc::resource_exhausted);
}

caf::error prefixed(const std::string& url, const caf::error& err) {
  // Keeps the code (every error here is ours); names the upstream.
  const auto& ctx = err.context();
  auto what = ctx.size() == 1 && ctx.match_element<std::string>(0)
                ? ctx.get_as<std::string>(0)
                : render(err);
  return make_error(static_cast<errc>(err.code()), url + ": " + what);
}

attempt_result from_status(const exchange_state& st, const std::string& url) {
  auto body = json::parse(st.body, nullptr, false);
  auto message = upstream_error_message(body);
  auto text = url + " answered " + std::to_string(st.status);
  if (message)
    text += ": " + *message;
  attempt_result r;
  if (st.status == 429)
    r.value = make_error(errc::resource_exhausted, text);
  else if (st.status >= 500)
    r.value = make_error(errc::unavailable, text);
  else
    r.value = make_error(errc::invalid_argument, text);
  r.retryable = st.should_retry.value_or(is_retryable_status(st.status));
  r.retry_after = st.retry_after;
  return r;
}

attempt_result from_stream(exchange_state& st, const std::string& url) {
  if (auto rest = st.sse.finish(); rest && !take_event(st, *rest))
    return fail(prefixed(url, st.failure),
                !st.acc.forwarded() && is_transient(st.failure));
  auto res = st.acc.result();
  if (!res)
    return fail(prefixed(url, res.error()),
                !st.acc.forwarded() && is_transient(res.error()));
  attempt_result r;
  r.value = std::move(*res);
  return r;
}

attempt_result from_body(exchange_state& st, const std::string& url) {
  auto body = json::parse(st.body, nullptr, false);
  if (body.is_discarded())
    return fail(make_error(errc::invalid_argument,
                           url + ": upstream sent an answer that is not JSON"),
                false);
  auto res = from_chat_response(body);
  if (!res)
    return fail(prefixed(url, res.error()), false);
  // A server that ignored `stream` answered at once: forward it whole.
  if (*st.on_delta) {
    if (!res->message().content().empty()) {
      v1::ChatDelta content;
      content.set_content(res->message().content());
      (*st.on_delta)(content);
    }
    for (const auto& call : whole_call_fragments(res->message(), *st.relayed))
      (*st.on_delta)(call);
  }
  attempt_result r;
  r.value = std::move(*res);
  return r;
}

attempt_result from_curl(CURLcode rc, const exchange_state& st,
                         const char* detail, const std::string& url,
                         clock::time_point deadline) {
  if (rc == CURLE_ABORTED_BY_CALLBACK)
    return fail(make_error(errc::unavailable, url + ": cancelled"), false);
  auto code = http::curl_error_code(rc);
  auto what = url + ": " + http::curl_error_text(rc, detail);
  // A timeout with time left is the connect timeout: like a refused
  // connection.
  if (code == errc::deadline_exceeded
      && clock::now() + deadline_slack < deadline)
    code = errc::unavailable;
  if (code == errc::invalid_argument)
    what = "bad upstream URL " + what;
  return fail(make_error(code, std::move(what)),
              code == errc::unavailable && !st.acc.forwarded());
}

} // namespace

// -- openai_connection --------------------------------------------------------

namespace {

/// The fixed part of every attempt of one call.
struct call_setup {
  std::string url;
  std::string body;
  header_list headers;
  bool stream = false;
  std::set<std::string> relayed;
};

call_setup make_setup(const openai_endpoint& ep, const v1::ModelRequest& req,
                      bool stream) {
  call_setup s;
  s.url = url_of(ep);
  s.stream = stream;
  s.relayed = relayed_tools(req);
  s.body = to_chat_request(req, stream)
             .dump(-1, ' ', false, json::error_handler_t::replace);
  add_header(s.headers, "Content-Type: application/json");
  add_header(s.headers,
             stream ? "Accept: text/event-stream" : "Accept: application/json");
  add_header(s.headers, "Expect:"); // no 100-continue round trip
  if (!ep.api_key.empty())
    add_header(s.headers, "Authorization: Bearer " + ep.api_key);
  if (is_header_safe(req.request_id()))
    add_header(s.headers, "X-Request-Id: " + req.request_id());
  return s;
}

void set_options(CURL* h, const call_setup& s, const openai_endpoint& ep,
                 milliseconds remaining, exchange_state& st, char* detail) {
  curl_easy_setopt(h, CURLOPT_URL, s.url.c_str());
  // The URL comes from config or agent files: never file://, dict:// ...
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(std::max<int64_t>(1, remaining.count())));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::max<int64_t>(
                     1, std::min(remaining, ep.connect_timeout).count())));
  curl_easy_setopt(h, CURLOPT_USERAGENT, "bsm-agentos/" BSM_VERSION);
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, s.body.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(s.body.size()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, s.headers.get());
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &st);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &st);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &st);
}

attempt_result run_attempt(CURL* h, const call_setup& s,
                           const openai_endpoint& ep,
                           clock::time_point deadline,
                           const delta_handler& on_delta,
                           const std::atomic<bool>* cancelled) {
  auto remaining
    = std::chrono::duration_cast<milliseconds>(deadline - clock::now());
  curl_easy_reset(h); // keeps the connection cache: keep-alive
  exchange_state st;
  st.handle = h;
  st.on_delta = &on_delta;
  st.relayed = &s.relayed;
  st.acc = stream_accumulator{s.relayed};
  st.cancelled = cancelled;
  char detail[CURL_ERROR_SIZE] = {0};
  set_options(h, s, ep, remaining, st, detail);
  auto rc = curl_easy_perform(h);
  if (rc == CURLE_WRITE_ERROR && st.failure)
    return fail(prefixed(s.url, st.failure),
                !st.acc.forwarded() && is_transient(st.failure));
  if (rc != CURLE_OK)
    return from_curl(rc, st, detail, s.url, deadline);
  if (st.status < 0)
    take_status(st);
  if (!is_success(st.status))
    return from_status(st, s.url);
  return st.event_stream ? from_stream(st, s.url) : from_body(st, s.url);
}

// Sleeps `wait` unless cancelled first; false if cancelled.
bool sleep_for(milliseconds wait, const std::atomic<bool>* cancelled) {
  auto until = clock::now() + wait;
  for (;;) {
    if (cancelled != nullptr && cancelled->load())
      return false;
    auto now = clock::now();
    if (now >= until)
      return true;
    std::this_thread::sleep_for(
      std::min<clock::duration>(until - now, wait_step));
  }
}

} // namespace

openai_connection::openai_connection() : handle_(nullptr) {
  http::init_curl_once();
  handle_ = curl_easy_init();
}

openai_connection::~openai_connection() {
  curl_easy_cleanup(static_cast<CURL*>(handle_));
}

caf::expected<v1::ModelResponse> openai_connection::complete(
  const openai_endpoint& ep, const v1::ModelRequest& req,
  const delta_handler& on_delta, completion_control* ctl) {
  auto* h = static_cast<CURL*>(handle_);
  if (h == nullptr)
    return make_error(errc::internal, "curl_easy_init failed");
  auto start = clock::now();
  auto budget
    = req.timeout_ms() > 0 ? milliseconds{req.timeout_ms()} : ep.timeout;
  auto deadline = start + budget;
  const auto* cancelled = ctl != nullptr ? ctl->cancelled : nullptr;
  auto setup = make_setup(ep, req, static_cast<bool>(on_delta));
  std::minstd_rand rng{std::random_device{}()};
  for (uint32_t retry = 0;; ++retry) {
    auto r = run_attempt(h, setup, ep, deadline, on_delta, cancelled);
    if (r.value) {
      r.value->set_provider_micros(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(clock::now()
                                                              - start)
          .count()));
      return r.value;
    }
    if (!r.retryable || retry >= ep.max_retries)
      return r.value;
    auto wait = r.retry_after.value_or(backoff(ep, retry, rng));
    // A wait past the deadline would only turn this error into a timeout.
    if (clock::now() + wait + deadline_slack >= deadline)
      return r.value;
    if (!sleep_for(wait, cancelled))
      return make_error(errc::unavailable, setup.url + ": cancelled");
    if (ctl != nullptr)
      ++ctl->retries;
  }
}

caf::expected<v1::ModelResponse> complete(const openai_endpoint& ep,
                                          const v1::ModelRequest& req,
                                          const delta_handler& on_delta,
                                          completion_control* ctl) {
  openai_connection conn;
  return conn.complete(ep, req, on_delta, ctl);
}

} // namespace bsm::models
