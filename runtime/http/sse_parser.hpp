#pragma once

// The one reader of Server-Sent Events (text/event-stream), after the WHATWG
// HTML "event stream interpretation": `data:` lines of one event are joined
// with "\n" (one space after the colon is dropped), a blank line ends the
// event, lines starting with ':' (comments, heartbeats) are ignored, LF and
// CRLF line ends are accepted. An event's `event:` name (at most 128 bytes
// kept) is last_event(). The `id` field (at most 1024 bytes; one with a NUL
// is ignored) becomes last_event_id() when its event ends, also an event
// without data; `retry` (digits only) becomes retry().
// Used by bsmctl (`events`), the OpenAI client (streamed completions) and
// the MCP client over HTTP (which resumes streams by id).
// Not thread-safe: one parser per stream.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

namespace bsm::http {

class sse_parser {
public:
  /// Bound on one event (data plus the unfinished line). Default: 16 MiB.
  explicit sse_parser(size_t max_event_bytes = 16u << 20)
    : max_event_bytes_(max_event_bytes) {}

  /// Consumes `bytes`, a piece of the body of any size; returns the data of
  /// every event they complete. Errors: `invalid_argument` once an event
  /// grows over the bound (the parser is then unusable).
  [[nodiscard]] caf::expected<std::vector<std::string>>
  feed(std::string_view bytes);

  /// Consumes one line the caller split off, without its line end; returns
  /// the data of the event it completes, if any. Errors as for feed().
  [[nodiscard]] caf::expected<std::optional<std::string>>
  feed_line(std::string_view line);

  /// At the end of the body: the data of an event the server did not end
  /// with a blank line (lenient: some servers omit the last one). Callers
  /// that follow the WHATWG rule to the letter drop it by not calling this.
  std::optional<std::string> finish();

  /// The name of the event whose data was returned last ("message" when it
  /// had no `event:` line).
  const std::string& last_event() const noexcept {
    return last_event_;
  }

  /// The id of the last event that ended (it carries over to later events
  /// without an id, as in the browser's EventSource); empty if none.
  const std::string& last_event_id() const noexcept {
    return last_event_id_;
  }

  /// The reconnection time the server asked for last, if it did.
  std::optional<std::chrono::milliseconds> retry() const noexcept {
    return retry_;
  }

private:
  void take_line(std::string_view line, std::vector<std::string>& out);
  void take_retry(std::string_view value);
  [[nodiscard]] caf::error check_bound() const;

  size_t max_event_bytes_;
  std::string line_;
  std::string data_;
  std::string event_;
  std::string last_event_;
  std::string id_buffer_;
  std::string last_event_id_;
  std::optional<std::chrono::milliseconds> retry_;
  bool has_data_ = false;
};

} // namespace bsm::http
