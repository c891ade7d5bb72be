#pragma once

// Assembles Server-Sent Events from the lines of a text/event-stream body,
// after the WHATWG HTML "event stream interpretation": `data:` lines
// accumulate (joined by '\n'), a blank line ends the event, comment lines
// (starting with ':', the bridge's heartbeats) and other fields (event, id,
// retry) are ignored.

#include <optional>
#include <string>
#include <string_view>

namespace bsm::ctl {

class sse_parser {
public:
  /// Feeds one line without its line end. Returns the event's data when
  /// this line completes an event that carried data.
  std::optional<std::string> feed(std::string_view line);

private:
  std::string data_;
  bool has_data_ = false;
};

} // namespace bsm::ctl
