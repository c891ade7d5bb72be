#pragma once

// One blocking HTTP exchange on libcurl, for the clients that run on a
// detached actor's own thread and need one answer at a time: the A2A
// client (agents/a2a/a2a_http.hpp) and OAuth's discovery and token
// requests (agents/mcp/oauth/fetch.hpp). Only http:// and https://, no
// redirects followed, the answer's body capped. It blocks its thread
// until the answer or the timeout. Not thread-safe: one owner.

#include <chrono>
#include <string>
#include <vector>

#include <caf/expected.hpp>

namespace bsm::http {

struct fetch_request {
  std::string url;
  /// Sent as a POST of `content_type` when not empty; else a GET.
  std::string body;
  std::string content_type;
  /// Further header lines ("Name: value"); never put into messages.
  std::vector<std::string> headers;
};

struct fetch_reply {
  long status = 0;
  std::string body;
};

class blocking_fetch {
public:
  /// Answers with a body beyond `max_answer_bytes` are refused.
  explicit blocking_fetch(size_t max_answer_bytes);
  ~blocking_fetch();
  blocking_fetch(const blocking_fetch&) = delete;
  blocking_fetch& operator=(const blocking_fetch&) = delete;

  /// Performs `req` within `timeout`, on the connection of the previous
  /// exchange when it is still open (keep-alive). Any status is a reply.
  /// Errors: deadline_exceeded, unavailable (cannot connect, a cut
  /// answer), invalid_argument (a bad URL), resource_exhausted (a body
  /// over the cap), internal; messages name the URL as shown_url does.
  [[nodiscard]] caf::expected<fetch_reply>
  perform(const fetch_request& req, std::chrono::milliseconds timeout);

private:
  void* handle_;
  size_t max_answer_bytes_;
};

/// `url` fit for logs and errors: without user info, query and fragment
/// (they may hold secrets).
std::string shown_url(const std::string& url);

} // namespace bsm::http
