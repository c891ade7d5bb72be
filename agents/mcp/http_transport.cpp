#include "agents/mcp/http_transport.hpp"

#include <algorithm>
#include <cctype>

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include "runtime/error.hpp"
#include "runtime/error_context.hpp"
#include "runtime/http/curl_error.hpp"
#include "runtime/http/curl_headers.hpp"
#include "runtime/http/sse_parser.hpp"

namespace bsm::mcp {

namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

enum stream_kind : int {
  /// A POST: a message and the answer to it.
  post_kind,
  /// A GET with Last-Event-ID that goes on with a request's stream.
  resume_kind,
  /// The standalone GET stream for server-initiated messages.
  listen_kind,
};

using header_list = http::curl_header_list;

void append(header_list& list, const std::string& line) {
  http::add_curl_header(list, line);
}

bool starts_with_nocase(std::string_view x, std::string_view prefix) {
  return x.size() >= prefix.size()
         && std::equal(prefix.begin(), prefix.end(), x.begin(),
                       [](char a, char b) {
                         return std::tolower(static_cast<unsigned char>(a))
                                == std::tolower(static_cast<unsigned char>(b));
                       });
}

std::string_view trimmed(std::string_view x) {
  while (!x.empty() && std::isspace(static_cast<unsigned char>(x.front())))
    x.remove_prefix(1);
  while (!x.empty() && std::isspace(static_cast<unsigned char>(x.back())))
    x.remove_suffix(1);
  return x;
}

/// The id of a JSON-RPC answer (a message with an id, no method).
std::optional<int64_t> answer_id(const json& msg) {
  if (!msg.is_object() || msg.contains("method"))
    return std::nullopt;
  auto i = msg.find("id");
  if (i == msg.end() || !i->is_number_integer())
    return std::nullopt;
  return i->get<int64_t>();
}

int remaining_ms(std::chrono::steady_clock::time_point until) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
    until - std::chrono::steady_clock::now());
  return static_cast<int>(std::clamp<int64_t>(left.count(), 0, 1'000));
}

} // namespace

/// One transfer: a POST and its answer, or a GET stream.
struct http_transport::stream {
  int kind = post_kind;
  CURL* easy = nullptr;
  header_list headers;
  /// The POST body; libcurl reads it in place.
  std::string body;
  /// The request whose answer comes on this stream.
  std::optional<int64_t> request_id;
  bool initialize = false;
  long status = 0;
  bool head_done = false;
  bool event_stream = false;
  std::string session_id;
  std::string www_authenticate;
  /// A JSON body (or the start of an error body).
  std::string content;
  http::sse_parser events;
  bool answered = false;
  bool got_event = false;
  /// Where a resumed stream started, and the retry it was told before.
  std::string resume_from;
  std::optional<std::chrono::milliseconds> retry;
  uint32_t failed_attempts = 0;
  /// The transfer ended (rc is libcurl's result).
  bool done = false;
  int rc = 0;
  caf::error overflow;
  http_transport* owner = nullptr;
  char error[CURL_ERROR_SIZE] = {};

  explicit stream(size_t max_bytes) : events(max_bytes) {}

  ~stream() {
    if (easy != nullptr)
      curl_easy_cleanup(easy);
  }
};

namespace {

using stream = http_transport::stream;

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto& s = *static_cast<stream*>(user);
  std::string_view line{data, size * count};
  if (starts_with_nocase(line, "HTTP/")) {
    // A new head (after a 100 Continue): forget the last one's fields.
    s.head_done = false;
    s.event_stream = false;
  } else if (trimmed(line).empty()) {
    curl_easy_getinfo(s.easy, CURLINFO_RESPONSE_CODE, &s.status);
    s.head_done = s.status >= 200;
  } else if (starts_with_nocase(line, "content-type:")) {
    s.event_stream
      = starts_with_nocase(trimmed(line.substr(13)), "text/event-stream");
  } else if (starts_with_nocase(line, "mcp-session-id:")) {
    s.session_id = std::string{trimmed(line.substr(15))};
  } else if (starts_with_nocase(line, "www-authenticate:")) {
    // Several fields combine into one list (RFC 9110 section 5.3).
    auto value = trimmed(line.substr(17));
    s.www_authenticate
      += (s.www_authenticate.empty() ? "" : ", ") + std::string{value};
  }
  return size * count;
}

} // namespace

// The write callback needs the transport's inbox: a member in disguise.
struct stream_writer final {
  static size_t on_body(char* data, size_t size, size_t count, void* user);
};

size_t stream_writer::on_body(char* data, size_t size, size_t count,
                              void* user) {
  auto& s = *static_cast<stream*>(user);
  auto n = size * count;
  auto max = s.owner->opts_.max_message_bytes;
  if (!s.event_stream || s.status != 200) {
    if (s.content.size() + n > max) {
      s.overflow = make_error(errc::resource_exhausted,
                              "MCP server " + s.owner->shown_url_
                                + " sent a message of more than "
                                + std::to_string(max) + " bytes");
      return 0;
    }
    s.content.append(data, n);
    return n;
  }
  auto before = s.events.last_event_id();
  auto got = s.events.feed({data, n});
  if (!got) {
    s.overflow = make_error(errc::resource_exhausted,
                            "MCP server " + s.owner->shown_url_
                              + " sent an event of more than "
                              + std::to_string(max) + " bytes");
    return 0;
  }
  if (s.events.last_event_id() != before)
    s.got_event = true;
  for (auto& data_text : *got) {
    if (data_text.empty())
      continue; // a priming event: only its id counts
    s.got_event = true;
    auto msg = json::parse(data_text, nullptr, false);
    if (auto id = answer_id(msg); id && s.request_id && *id == *s.request_id)
      s.answered = true;
    s.owner->inbox_bytes_ += data_text.size();
    s.owner->inbox_.push_back(std::move(data_text));
  }
  return n;
}

// -- construction ------------------------------------------------------------

caf::expected<std::unique_ptr<http_transport>>
http_transport::make(http_transport_options opts) {
  if (!starts_with_nocase(opts.url, "http://")
      && !starts_with_nocase(opts.url, "https://"))
    return make_error(errc::invalid_argument,
                      "MCP server URL " + mcp::shown_url(opts.url)
                        + " is not http:// or https://");
  http::init_curl_once();
  return std::unique_ptr<http_transport>{new http_transport(std::move(opts))};
}

http_transport::http_transport(http_transport_options opts)
  : opts_(std::move(opts)), shown_url_(mcp::shown_url(opts_.url)) {
  multi_ = curl_multi_init();
}

http_transport::~http_transport() {
  while (!streams_.empty())
    drop(*streams_.back());
  curl_multi_cleanup(static_cast<CURLM*>(multi_));
}

// -- streams -----------------------------------------------------------------

std::unique_ptr<http_transport::stream> http_transport::make_stream(int kind) {
  auto s = std::make_unique<stream>(opts_.max_message_bytes);
  s->kind = kind;
  s->owner = this;
  s->easy = curl_easy_init();
  auto* h = s->easy;
  curl_easy_setopt(h, CURLOPT_URL, opts_.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, s->error);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(opts_.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_USERAGENT, "bsm-agentos/" BSM_VERSION);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, s.get());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, stream_writer::on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, s.get());
  for (const auto& [name, value] : opts_.headers)
    append(s->headers, name + ": " + value);
  if (!session_id_.empty())
    append(s->headers, "Mcp-Session-Id: " + session_id_);
  if (!protocol_version_.empty())
    append(s->headers, "MCP-Protocol-Version: " + protocol_version_);
  if (!authorization_.empty())
    append(s->headers, "Authorization: " + authorization_);
  return s;
}

http_transport::stream& http_transport::open(std::unique_ptr<stream> s) {
  curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers.get());
  curl_multi_add_handle(static_cast<CURLM*>(multi_), s->easy);
  streams_.push_back(std::move(s));
  return *streams_.back();
}

void http_transport::drop(stream& s) {
  curl_multi_remove_handle(static_cast<CURLM*>(multi_), s.easy);
  auto i = std::find_if(streams_.begin(), streams_.end(),
                        [&s](const auto& x) { return x.get() == &s; });
  if (i != streams_.end())
    streams_.erase(i);
}

void http_transport::drop_request(int64_t id) {
  std::vector<stream*> gone;
  for (auto& s : streams_)
    if (s->request_id == id)
      gone.push_back(s.get());
  for (auto* s : gone)
    drop(*s);
  resumes_.erase(std::remove_if(resumes_.begin(), resumes_.end(),
                                [id](const pending_resume& r) {
                                  return r.request_id == id;
                                }),
                 resumes_.end());
}

caf::error http_transport::drive(clock::time_point until, const stream* watch) {
  auto* multi = static_cast<CURLM*>(multi_);
  for (;;) {
    int running = 0;
    curl_multi_perform(multi, &running);
    int left = 0;
    while (auto* info = curl_multi_info_read(multi, &left)) {
      if (info->msg != CURLMSG_DONE)
        continue;
      for (auto& s : streams_)
        if (s->easy == info->easy_handle) {
          finished(*s, info->data.result);
          break;
        }
    }
    if (broken_)
      return broken_;
    if (inbox_bytes_ > 4 * opts_.max_message_bytes)
      return fail(make_error(errc::resource_exhausted,
                             "MCP server " + shown_url_
                               + " sent more than it was asked for"));
    // send() waits for its POST's head; receive() for a message.
    bool ready = watch != nullptr
                   ? watch->head_done || watch->done
                   : !inbox_.empty() || static_cast<bool>(request_error_);
    if (ready || clock::now() >= until)
      return caf::none;
    auto wait = remaining_ms(until);
    for (const auto& r : resumes_)
      wait = std::min(wait, remaining_ms(r.due));
    curl_multi_poll(multi, nullptr, 0, wait, nullptr);
    start_due_resumes();
  }
}

void http_transport::finished(stream& s, int rc) {
  s.done = true;
  s.rc = rc;
  if (&s == watching_)
    return; // send() looks at it first
  if (s.overflow) {
    fail(s.overflow);
    drop(s);
    return;
  }
  auto code = static_cast<CURLcode>(rc);
  if (!s.head_done && s.kind != post_kind) {
    // A reconnect that failed: an attempt that brought nothing.
    stream_ended(s);
    drop(s);
    return;
  }
  if (!s.head_done) {
    // Never answered: the endpoint cannot be reached.
    fail(make_error(http::curl_error_code(code),
                    "MCP server " + shown_url_ + ": "
                      + http::curl_error_text(code, s.error)));
    drop(s);
    return;
  }
  if (s.status == 200 && s.event_stream) {
    stream_ended(s);
  } else if (s.kind == post_kind && s.status == 200 && s.request_id) {
    if (code != CURLE_OK)
      request_error_ = make_error(
        errc::unavailable, "MCP server " + shown_url_
                             + " broke off its answer to " + activity() + ": "
                             + http::curl_error_text(code, s.error));
    else if (!s.content.empty()) {
      inbox_bytes_ += s.content.size();
      inbox_.push_back(std::move(s.content));
    }
  } else if (s.kind == listen_kind) {
    if (s.status != 405)
      log("standalone stream refused with HTTP " + std::to_string(s.status));
  } else if (s.kind == resume_kind) {
    request_error_ = make_error(
      errc::unavailable, "MCP server " + shown_url_
                           + " refused to resume the stream of " + activity()
                           + " (HTTP " + std::to_string(s.status) + ")");
  }
  drop(s);
}

void http_transport::stream_ended(stream& s) {
  stream_end end;
  end.standalone = s.kind == listen_kind;
  end.answered = s.answered;
  end.last_event_id = s.events.last_event_id().empty()
                        ? s.resume_from
                        : s.events.last_event_id();
  end.retry = s.events.retry() ? s.events.retry() : s.retry;
  end.failed_attempts = s.got_event ? 0 : s.failed_attempts;
  auto decision = decide_resume(end, opts_.resume);
  if (decision.what == resume_decision::resume) {
    resumes_.push_back(
      pending_resume{end.standalone, s.request_id, end.last_event_id, end.retry,
                     end.failed_attempts + 1, clock::now() + decision.delay});
    return;
  }
  if (decision.what != resume_decision::give_up)
    return;
  if (end.standalone) {
    log("standalone stream given up: " + decision.reason);
    return;
  }
  request_error_
    = make_error(errc::unavailable,
                 "MCP server " + shown_url_ + " closed the stream of "
                   + activity() + " before answering, and " + decision.reason);
}

void http_transport::start_due_resumes() {
  auto now = clock::now();
  std::vector<pending_resume> due;
  auto split = std::stable_partition(
    resumes_.begin(), resumes_.end(),
    [now](const pending_resume& r) { return r.due > now; });
  due.assign(split, resumes_.end());
  resumes_.erase(split, resumes_.end());
  for (auto& r : due) {
    auto s = make_stream(r.standalone ? listen_kind : resume_kind);
    s->request_id = r.request_id;
    s->failed_attempts = r.failed_attempts;
    s->resume_from = r.last_event_id;
    s->retry = r.retry;
    append(s->headers, "Accept: text/event-stream");
    if (!r.last_event_id.empty())
      append(s->headers, "Last-Event-ID: " + r.last_event_id);
    curl_easy_setopt(s->easy, CURLOPT_HTTPGET, 1L);
    open(std::move(s));
  }
}

// -- transport ---------------------------------------------------------------

caf::error http_transport::send(const std::string& message,
                                clock::time_point deadline) {
  if (broken_)
    return broken_;
  return post(message, deadline, false);
}

caf::error http_transport::post(const std::string& message,
                                clock::time_point deadline, bool repeated) {
  if (opts_.authorizer) {
    auto header = opts_.authorizer->authorization(deadline);
    if (!header)
      return in_context(header.error(), "MCP server " + shown_url_ + ": ");
    authorization_ = std::move(*header);
  }
  auto msg = json::parse(message, nullptr, false);
  auto method
    = msg.is_object() ? msg.value("method", std::string{}) : std::string{};
  auto s = make_stream(post_kind);
  if (auto id = msg.is_object() ? msg.find("id") : msg.end();
      !method.empty() && id != msg.end() && id->is_number_integer())
    s->request_id = id->get<int64_t>();
  if (method == "notifications/cancelled") {
    // Nobody waits for its answer any more: stop following its stream.
    auto params = msg.value("params", json::object());
    if (auto id = params.find("requestId");
        id != params.end() && id->is_number_integer())
      drop_request(id->get<int64_t>());
  }
  s->initialize = method == "initialize";
  s->body = message;
  append(s->headers, "Content-Type: application/json");
  append(s->headers, "Accept: application/json, text/event-stream");
  curl_easy_setopt(s->easy, CURLOPT_POST, 1L);
  curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->body.data());
  curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(s->body.size()));
  bool with_session = !session_id_.empty();
  auto& sent = open(std::move(s));
  watching_ = &sent;
  auto err = drive(deadline, &sent);
  watching_ = nullptr;
  if (err) {
    drop(sent);
    return err;
  }
  if (sent.done && !sent.head_done) {
    finished(sent, sent.rc); // fails the transport
    return broken_;
  }
  if (!sent.head_done) {
    drop(sent);
    return make_error(errc::deadline_exceeded, "MCP server " + shown_url_
                                                 + " did not take " + activity()
                                                 + " in time");
  }
  if (sent.status == 404 && with_session) {
    drop(sent);
    session_id_.clear();
    protocol_version_.clear();
    return make_error(errc::not_found,
                      "MCP server " + shown_url_ + " ended the session");
  }
  if ((sent.status == 401 || sent.status == 403) && opts_.authorizer
      && !repeated) {
    auto status = sent.status;
    auto challenge = sent.www_authenticate;
    auto refused = head_error(sent);
    drop(sent);
    auto renewed = opts_.authorizer->refused(status, challenge, deadline);
    if (!renewed)
      return in_context(renewed.error(),
                        "MCP server " + shown_url_ + " wants a token: ");
    if (!*renewed)
      return refused;
    return post(message, deadline, true);
  }
  if (sent.status >= 300) {
    auto refused = head_error(sent);
    drop(sent);
    return refused;
  }
  if (sent.initialize && !sent.session_id.empty())
    session_id_ = sent.session_id;
  auto listen = method == "notifications/initialized" && opts_.listen;
  if (sent.done)
    finished(sent, sent.rc);
  if (listen)
    listen_now(deadline);
  return caf::none;
}

void http_transport::listen_now(clock::time_point deadline) {
  auto s = make_stream(listen_kind);
  append(s->headers, "Accept: text/event-stream");
  curl_easy_setopt(s->easy, CURLOPT_HTTPGET, 1L);
  auto& listening = open(std::move(s));
  watching_ = &listening;
  // A transport that broke shows that on the next call.
  [[maybe_unused]] auto err = drive(
    std::min(deadline, clock::now() + std::chrono::seconds{5}), &listening);
  watching_ = nullptr;
  if (listening.done)
    finished(listening, listening.rc);
}

caf::error http_transport::head_error(const stream& s) const {
  auto what = "MCP server " + shown_url_ + " answered " + activity()
              + " with HTTP " + std::to_string(s.status);
  if (s.status == 401)
    return make_error(errc::unauthenticated, std::move(what));
  if (s.status == 403)
    return make_error(errc::permission_denied, std::move(what));
  if (s.status >= 500)
    return make_error(errc::unavailable, std::move(what));
  return make_error(errc::internal, std::move(what));
}

caf::expected<std::optional<std::string>>
http_transport::receive(clock::time_point deadline) {
  for (;;) {
    if (!inbox_.empty()) {
      auto msg = std::move(inbox_.front());
      inbox_.pop_front();
      inbox_bytes_ -= msg.size();
      return std::optional<std::string>{std::move(msg)};
    }
    if (broken_)
      return broken_;
    if (request_error_)
      return std::exchange(request_error_, caf::error{});
    start_due_resumes();
    auto before = clock::now();
    if (auto err = drive(deadline, nullptr))
      return err;
    if (inbox_.empty() && !request_error_ && before >= deadline)
      return std::optional<std::string>{};
  }
}

void http_transport::negotiated(std::string_view version) {
  protocol_version_ = version;
}

std::string http_transport::close(std::chrono::milliseconds grace) {
  while (!streams_.empty())
    drop(*streams_.back());
  resumes_.clear();
  if (!broken_)
    broken_ = make_error(errc::unavailable, "MCP client shut down");
  if (session_id_.empty())
    return "no session to end";
  auto s = make_stream(post_kind);
  curl_easy_setopt(s->easy, CURLOPT_CUSTOMREQUEST, "DELETE");
  curl_easy_setopt(s->easy, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(std::max<int64_t>(grace.count(), 1)));
  curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers.get());
  auto rc = curl_easy_perform(s->easy);
  session_id_.clear();
  if (rc != CURLE_OK)
    return "session not deleted: " + http::curl_error_text(rc, s->error);
  if (s->status == 405)
    return "session kept (the server does not delete sessions)";
  if (s->status >= 300)
    return "session not deleted: HTTP " + std::to_string(s->status);
  return "session deleted";
}

caf::error http_transport::fail(caf::error err) {
  if (!broken_)
    broken_ = std::move(err);
  return broken_;
}

void http_transport::log(const std::string& what) const {
  if (opts_.log)
    opts_.log("MCP server " + shown_url_ + ": " + what);
}

} // namespace bsm::mcp
