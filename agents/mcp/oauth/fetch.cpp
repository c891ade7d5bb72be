#include "agents/mcp/oauth/fetch.hpp"

namespace bsm::mcp::oauth {

caf::expected<fetch_reply> fetch(const fetch_request& req,
                                 std::chrono::steady_clock::time_point deadline,
                                 size_t max_bytes) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
    deadline - std::chrono::steady_clock::now());
  // A fresh connection each time: token requests are minutes apart.
  http::blocking_fetch once{max_bytes};
  return once.perform(
    {req.url, req.form,
     req.form.empty() ? std::string{} : "application/x-www-form-urlencoded",
     req.headers},
    left);
}

} // namespace bsm::mcp::oauth
