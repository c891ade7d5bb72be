#include "runtime/cluster/member_table.hpp"

namespace bsm::cluster {

member_table::member_table(std::string self, detector_options opts)
  : self_(std::move(self)), opts_(opts) {}

void member_table::set_state(member_entry& m, v1::MemberState to,
                             std::vector<transition>& out) {
  if (m.state == to)
    return;
  out.push_back({m.record.name(), m.state, to, m.record.incarnation()});
  m.state = to;
  // Only a member that was heard from can be declared dead: one learned
  // from gossip that has not started yet must still be able to join.
  if ((to == v1::MEMBER_STATE_DOWN || to == v1::MEMBER_STATE_LEFT)
      && m.last_seen_unix_ms > 0)
    m.dead_up_to = std::max(m.dead_up_to, m.record.incarnation());
}

bool member_table::on_heartbeat(const v1::MemberRecord& from, steady_time now,
                                int64_t now_unix_ms,
                                std::vector<transition>& out,
                                bool handing_off) {
  if (from.name().empty() || from.name() == self_)
    return false;
  auto [i, added] = members_.try_emplace(from.name());
  auto& m = i->second;
  if (!added) {
    if (from.incarnation() < m.record.incarnation()
        || from.incarnation() <= m.dead_up_to)
      return false;
  } else {
    m.state = v1::MEMBER_STATE_UNSPECIFIED;
  }
  m.record = from;
  m.last_seen = now;
  m.last_seen_unix_ms = now_unix_ms;
  set_state(m, handing_off ? v1::MEMBER_STATE_LEAVING : v1::MEMBER_STATE_UP,
            out);
  return true;
}

void member_table::on_leave(const std::string& name, uint64_t incarnation,
                            std::vector<transition>& out) {
  depart(name, incarnation, v1::MEMBER_STATE_LEFT, out);
}

void member_table::on_stopping(const std::string& name, uint64_t incarnation,
                               std::vector<transition>& out) {
  depart(name, incarnation, v1::MEMBER_STATE_DOWN, out);
}

void member_table::depart(const std::string& name, uint64_t incarnation,
                          v1::MemberState to, std::vector<transition>& out) {
  auto i = members_.find(name);
  if (i == members_.end() || incarnation < i->second.record.incarnation()
      || incarnation <= i->second.dead_up_to)
    return;
  auto& m = i->second;
  m.record.set_incarnation(incarnation);
  set_state(m, to, out);
  // Saying so proves the member ran, also one known only from gossip: its
  // next run comes back with a higher incarnation.
  m.dead_up_to = std::max(m.dead_up_to, incarnation);
}

void member_table::on_connection_lost(const std::string& name,
                                      std::vector<transition>& out) {
  auto i = members_.find(name);
  if (i != members_.end() && i->second.state == v1::MEMBER_STATE_UP)
    set_state(i->second, v1::MEMBER_STATE_SUSPECT, out);
}

void member_table::tick(steady_time now, std::vector<transition>& out) {
  for (auto& [name, m] : members_) {
    if (m.state == v1::MEMBER_STATE_LEFT || m.state == v1::MEMBER_STATE_DOWN)
      continue;
    auto silent = now - m.last_seen;
    if (silent > opts_.down_after)
      set_state(m, v1::MEMBER_STATE_DOWN, out);
    else if (silent > opts_.suspect_after
             && (m.state == v1::MEMBER_STATE_UP
                 || m.state == v1::MEMBER_STATE_LEAVING))
      set_state(m, v1::MEMBER_STATE_SUSPECT, out);
  }
}

void member_table::forgive_silence(steady_time now) {
  for (auto& [name, m] : members_)
    if (m.state == v1::MEMBER_STATE_UP || m.state == v1::MEMBER_STATE_SUSPECT
        || m.state == v1::MEMBER_STATE_LEAVING)
      m.last_seen = now;
}

bool member_table::accepts(const std::string& name,
                           uint64_t incarnation) const {
  auto i = members_.find(name);
  if (i == members_.end())
    return false;
  const auto& m = i->second;
  return incarnation >= m.record.incarnation() && incarnation > m.dead_up_to
         && m.state != v1::MEMBER_STATE_DOWN
         && m.state != v1::MEMBER_STATE_LEFT;
}

bool member_table::learn(const v1::MemberRecord& record) {
  if (record.name().empty() || record.name() == self_)
    return false;
  auto [i, added] = members_.try_emplace(record.name());
  auto& m = i->second;
  if (added) {
    m.record = record;
    // Unconfirmed: down until it sends a heartbeat of its own.
    m.state = v1::MEMBER_STATE_DOWN;
    return true;
  }
  if (m.record.cluster_address().empty())
    m.record.set_cluster_address(record.cluster_address());
  return false;
}

void member_table::forget(const std::string& name) {
  auto i = members_.find(name);
  if (i != members_.end()
      && (i->second.state == v1::MEMBER_STATE_DOWN
          || i->second.state == v1::MEMBER_STATE_LEFT))
    members_.erase(i);
}

const member_entry* member_table::find(const std::string& name) const {
  auto i = members_.find(name);
  return i == members_.end() ? nullptr : &i->second;
}

} // namespace bsm::cluster
