#include "runtime/cluster/join_rule.hpp"

namespace bsm::cluster {

const char* to_string(join_state x) noexcept {
  switch (x) {
    case join_state::single: return "single";
    case join_state::joining: return "joining";
    case join_state::joined: return "joined";
  }
  return "joining";
}

join_rule::join_rule(std::string self, bool has_peers,
                     std::chrono::milliseconds down_after)
  : self_(std::move(self)), down_after_(down_after),
    state_(has_peers ? join_state::joining : join_state::single) {}

void join_rule::heard(const std::string& name) {
  // Once joined the rule is settled: no member is tracked any more.
  if (state_ != join_state::joining || name.empty() || name == self_)
    return;
  members_[name].heard = true;
  has_view_ = true;
}

void join_rule::reported(const std::string& name, v1::MemberState state,
                         time_point now) {
  if (state_ != join_state::joining || name.empty() || name == self_)
    return;
  auto& m = members_[name];
  bool up = state != v1::MEMBER_STATE_DOWN && state != v1::MEMBER_STATE_LEFT;
  if (up && !m.reported_up)
    m.up_since = now;
  m.reported_up = up;
}

void join_rule::table_read() {
  has_view_ = true;
}

std::vector<std::string> join_rule::waiting_for(time_point now) const {
  std::vector<std::string> result;
  for (const auto& [name, m] : members_)
    if (m.reported_up && !m.heard && now - m.up_since <= down_after_)
      result.push_back(name);
  return result;
}

join_state join_rule::update(time_point now) {
  if (state_ == join_state::joining && has_view_ && waiting_for(now).empty())
    state_ = join_state::joined;
  return state_;
}

} // namespace bsm::cluster
