#include "agents/mcp/stream_resume.hpp"

#include <algorithm>

namespace bsm::mcp {

resume_decision decide_resume(const stream_end& end,
                              const resume_policy& policy) {
  if (end.answered && !end.standalone)
    return {resume_decision::done, {}, {}};
  // Without an id the server cannot know where to go on, so an answer
  // would be lost; the standalone stream just listens again.
  if (end.last_event_id.empty() && !end.standalone)
    return {resume_decision::give_up, {}, "it sent no event id to resume from"};
  if (end.failed_attempts >= policy.max_attempts)
    return {resume_decision::give_up,
            {},
            "no event after " + std::to_string(end.failed_attempts)
              + " reconnects"};
  auto delay = end.retry.value_or(policy.default_retry);
  for (uint32_t i = 0; i < end.failed_attempts && delay < policy.max_retry; ++i)
    delay *= 2;
  return {resume_decision::resume, std::min(delay, policy.max_retry), {}};
}

} // namespace bsm::mcp
