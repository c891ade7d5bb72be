#include "gateway/mcp_sessions.hpp"

#include <algorithm>

#include "runtime/error.hpp"
#include "runtime/security/random_bytes.hpp"

namespace bsm::gateway {

caf::expected<std::string> mcp_sessions::open(const std::string& principal,
                                              const std::string& version,
                                              time_point now) {
  auto bytes = security::random_bytes(16);
  if (!bytes)
    return bytes.error();
  auto id = security::lower_hex(*bytes);
  std::lock_guard<std::mutex> guard{mtx_};
  if (sessions_.size() >= max_)
    drop_expired(now);
  if (sessions_.size() >= max_)
    return make_error(errc::unavailable,
                      "this node holds its most MCP sessions "
                      "(mcp.max_sessions); retry later");
  sessions_[id] = mcp_session{principal, version, "info", now, {}, {}};
  return id;
}

std::optional<mcp_session> mcp_sessions::use(const std::string& id,
                                             const std::string& principal,
                                             time_point now) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = sessions_.find(id);
  if (i == sessions_.end() || i->second.principal != principal)
    return std::nullopt;
  if (expired(i->second, now)) {
    sessions_.erase(i);
    return std::nullopt;
  }
  i->second.last_used = now;
  return i->second;
}

bool mcp_sessions::set_log_level(const std::string& id,
                                 const std::string& principal,
                                 const std::string& level) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = sessions_.find(id);
  if (i == sessions_.end() || i->second.principal != principal)
    return false;
  i->second.log_level = level;
  return true;
}

void mcp_sessions::note_agent_session(const std::string& id,
                                      const std::string& principal,
                                      const std::string& agent,
                                      const std::string& session_id) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = sessions_.find(id);
  if (i == sessions_.end() || i->second.principal != principal)
    return;
  auto& used = i->second.agent_sessions;
  std::pair<std::string, std::string> entry{agent, session_id};
  if (std::find(used.begin(), used.end(), entry) != used.end())
    return;
  used.push_back(std::move(entry));
  if (used.size() > max_agent_sessions)
    used.pop_front();
}

void mcp_sessions::note_call(const std::string& id,
                             const std::string& principal, mcp_call call) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = sessions_.find(id);
  if (i == sessions_.end() || i->second.principal != principal)
    return;
  auto& calls = i->second.calls;
  calls.push_back(std::move(call));
  if (calls.size() > max_recent_calls)
    calls.pop_front();
}

std::optional<mcp_call>
mcp_sessions::find_call(const std::string& id, const std::string& principal,
                        const std::string& request_id) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = sessions_.find(id);
  if (i == sessions_.end() || i->second.principal != principal)
    return std::nullopt;
  const auto& calls = i->second.calls;
  auto found = std::find_if(calls.rbegin(), calls.rend(), [&](const auto& x) {
    return x.request_id == request_id;
  });
  if (found == calls.rend())
    return std::nullopt;
  return *found;
}

bool mcp_sessions::close(const std::string& id, const std::string& principal) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = sessions_.find(id);
  if (i == sessions_.end() || i->second.principal != principal)
    return false;
  sessions_.erase(i);
  return true;
}

size_t mcp_sessions::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return sessions_.size();
}

void mcp_sessions::drop_expired(time_point now) {
  for (auto i = sessions_.begin(); i != sessions_.end();)
    if (expired(i->second, now))
      i = sessions_.erase(i);
    else
      ++i;
}

} // namespace bsm::gateway
