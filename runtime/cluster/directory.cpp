#include "runtime/cluster/directory.hpp"

#include <mutex>

#include "runtime/cluster/replica_rule.hpp"
#include "runtime/error.hpp"

namespace bsm::cluster {

namespace {

// FNV-1a, then a 64-bit finalizer (splitmix64): FNV alone mixes the last
// bytes poorly, and node names often differ only there.
uint64_t weight(const std::string& key, const std::string& node) {
  uint64_t h = 14695981039346656037ull;
  auto mix = [&h](const std::string& s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
  };
  mix(key);
  h ^= 0xff;
  h *= 1099511628211ull;
  mix(node);
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h;
}

bool live(v1::MemberState x) {
  return x == v1::MEMBER_STATE_UP || x == v1::MEMBER_STATE_SUSPECT;
}

// A leaving member still runs and still owns its names.
bool accepted(v1::MemberState x) {
  return live(x) || x == v1::MEMBER_STATE_LEAVING;
}

} // namespace

std::optional<std::pair<std::string, uint16_t>>
split_host_port(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size())
    return std::nullopt;
  auto host = address.substr(0, colon);
  if (host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  uint32_t port = 0;
  for (size_t i = colon + 1; i < address.size(); ++i) {
    auto c = address[i];
    if (c < '0' || c > '9')
      return std::nullopt;
    port = port * 10 + static_cast<uint32_t>(c - '0');
    if (port > 65535)
      return std::nullopt;
  }
  if (host.empty() || port == 0)
    return std::nullopt;
  return std::make_pair(host, static_cast<uint16_t>(port));
}

const std::string&
rendezvous_owner(const std::string& key,
                 const std::vector<std::string>& candidates) {
  const std::string* best = &candidates.front();
  uint64_t best_weight = weight(key, *best);
  for (const auto& c : candidates) {
    auto w = weight(key, c);
    // Ties (practically never) go to the smaller name, so every node
    // picks the same one.
    if (w > best_weight || (w == best_weight && c < *best)) {
      best = &c;
      best_weight = w;
    }
  }
  return *best;
}

directory::directory(std::string self,
                     std::shared_ptr<const name_registry> local)
  : self_(std::move(self)), local_(std::move(local)) {}

void directory::set_self_addresses(std::string cluster, std::string http) {
  std::unique_lock guard{mtx_};
  cluster_address_ = std::move(cluster);
  http_address_ = std::move(http);
}

std::string directory::self_cluster_address() const {
  std::shared_lock guard{mtx_};
  return cluster_address_;
}

std::string directory::self_http_address() const {
  std::shared_lock guard{mtx_};
  return http_address_;
}

uint64_t directory::incarnation() const {
  std::shared_lock guard{mtx_};
  return incarnation_;
}

void directory::set_incarnation(uint64_t x) {
  std::unique_lock guard{mtx_};
  incarnation_ = x;
}

void directory::set_members(std::vector<member_info> members) {
  std::map<std::string, member_info> by_name;
  for (auto& m : members) {
    auto name = m.record.name();
    by_name.emplace(std::move(name), std::move(m));
  }
  std::unique_lock guard{mtx_};
  members_ = std::move(by_name);
}

void directory::set_placements(std::map<std::string, placement> rules) {
  std::unique_lock guard{mtx_};
  placements_ = std::move(rules);
}

join_state directory::join() const {
  std::shared_lock guard{mtx_};
  return join_;
}

void directory::set_join(join_state x) {
  std::unique_lock guard{mtx_};
  join_ = x;
}

bool directory::joined() const {
  return join() != join_state::joining;
}

self_role directory::role() const {
  std::shared_lock guard{mtx_};
  return role_;
}

void directory::set_self_role(self_role x) {
  std::unique_lock guard{mtx_};
  role_ = x;
}

owner directory::make_owner(const std::string& node) const {
  owner result;
  result.node = node;
  result.local = node == self_;
  if (!result.local) {
    auto i = members_.find(node);
    result.state
      = i == members_.end() ? v1::MEMBER_STATE_DOWN : i->second.state;
  }
  return result;
}

caf::expected<owner> directory::resolve_placed(const std::string& path,
                                               const placement& rule) const {
  auto found = place(path, rule, role_ != self_role::departed);
  if (found && found->local && role_ == self_role::handing_off)
    return make_error(errc::unavailable,
                      "node " + self_
                        + " is handing its state over before it leaves; '"
                        + path + "' moves to its next owner");
  return found;
}

caf::expected<owner> directory::place(const std::string& path,
                                      const placement& rule,
                                      bool with_self) const {
  auto usable = [this, &rule](const std::string& node) {
    if (node == self_)
      return true;
    auto i = members_.find(node);
    if (i == members_.end())
      return false;
    return rule.stateless ? live(i->second.state)
                          : i->second.state != v1::MEMBER_STATE_LEFT;
  };
  if (!rule.node.empty() && (!rule.stateless || usable(rule.node)))
    return make_owner(rule.node);
  if (join_ == join_state::joining)
    return make_error(errc::unavailable,
                      "node " + self_
                        + " has not joined its cluster yet, so "
                          "it does not know which member owns '"
                        + path + "'");
  std::vector<std::string> candidates;
  if (with_self)
    candidates.push_back(self_);
  for (const auto& [name, m] : members_)
    if (usable(name))
      candidates.push_back(name);
  if (candidates.empty())
    return make_error(errc::unavailable,
                      "no member is left to own '" + path + "'");
  if (rule.stateless || replication_factor_ < 2)
    return make_owner(rendezvous_owner(path, candidates));
  // With replicas the first live one acts; none live: the first waits.
  auto replicas
    = ranked_replicas(path, std::move(candidates), replication_factor_);
  for (const auto& node : replicas)
    if (node == self_ || is_live(node))
      return make_owner(node);
  return make_owner(replicas.front());
}

bool directory::is_live(const std::string& node) const {
  auto i = members_.find(node);
  return i != members_.end() && live(i->second.state);
}

std::vector<std::string> directory::replicas(const std::string& path) const {
  std::shared_lock guard{mtx_};
  std::vector<std::string> candidates;
  if (role_ != self_role::departed)
    candidates.push_back(self_);
  for (const auto& [name, m] : members_)
    if (m.state != v1::MEMBER_STATE_LEFT)
      candidates.push_back(name);
  return ranked_replicas(path, std::move(candidates),
                         std::max<size_t>(replication_factor_, 1));
}

bool directory::live_member(const std::string& node) const {
  std::shared_lock guard{mtx_};
  return node == self_ || is_live(node);
}

size_t directory::replication_factor() const {
  std::shared_lock guard{mtx_};
  return replication_factor_;
}

void directory::set_replication_factor(size_t n) {
  std::unique_lock guard{mtx_};
  replication_factor_ = n;
}

caf::expected<owner> directory::resolve(const std::string& path) const {
  std::shared_lock guard{mtx_};
  if (auto i = placements_.find(path); i != placements_.end())
    return resolve_placed(path, i->second);
  if (local_ && local_->get(path))
    return make_owner(self_);
  const member_info* found = nullptr;
  for (const auto& [name, m] : members_) {
    for (const auto& advertised : m.record.names()) {
      if (advertised != path)
        continue;
      if (!found || (live(m.state) && !live(found->state)))
        found = &m;
      break;
    }
  }
  if (found)
    return make_owner(found->record.name());
  return make_error(errc::not_found,
                    "no actor named '" + path + "' on any node of the cluster");
}

bool directory::may_serve_locally(const std::string& path) const {
  std::shared_lock guard{mtx_};
  if (role_ != self_role::member)
    // Leaving: every placed name is handed over or forwarded.
    return placements_.count(path) == 0;
  if (join_ != join_state::joining)
    return true;
  auto i = placements_.find(path);
  return i == placements_.end() || i->second.node == self_;
}

caf::expected<owner>
directory::resolve_partition(const std::string& key) const {
  std::shared_lock guard{mtx_};
  return resolve_placed(key, placement{});
}

caf::expected<owner> directory::resolve_as(const std::string& key,
                                           self_view view) const {
  std::shared_lock guard{mtx_};
  auto i = placements_.find(key);
  auto rule = i == placements_.end() ? placement{} : i->second;
  return place(key, rule, view == self_view::as_member);
}

std::optional<placement>
directory::placement_of(const std::string& path) const {
  std::shared_lock guard{mtx_};
  if (auto i = placements_.find(path); i != placements_.end())
    return i->second;
  return std::nullopt;
}

std::optional<member_info> directory::member(const std::string& name) const {
  std::shared_lock guard{mtx_};
  if (auto i = members_.find(name); i != members_.end())
    return i->second;
  return std::nullopt;
}

std::vector<member_info> directory::members() const {
  std::shared_lock guard{mtx_};
  std::vector<member_info> result;
  result.reserve(members_.size());
  for (const auto& [name, m] : members_)
    result.push_back(m);
  return result;
}

bool directory::accepts(const std::string& name, uint64_t incarnation) const {
  std::shared_lock guard{mtx_};
  auto i = members_.find(name);
  if (i == members_.end())
    return false;
  const auto& m = i->second;
  return accepted(m.state) && incarnation >= m.record.incarnation()
         && incarnation > m.dead_up_to;
}

bool directory::accepts_link(const std::string& name,
                             uint64_t incarnation) const {
  if (accepts(name, incarnation))
    return true;
  std::shared_lock guard{mtx_};
  auto i = members_.find(name);
  return i != members_.end() && i->second.state == v1::MEMBER_STATE_LEFT
         && incarnation == i->second.record.incarnation();
}

caf::actor directory::connection(const std::string& name) const {
  std::shared_lock guard{mtx_};
  if (auto i = connections_.find(name); i != connections_.end())
    return i->second;
  return nullptr;
}

void directory::set_connection(const std::string& name, caf::actor handle) {
  std::unique_lock guard{mtx_};
  if (handle)
    connections_[name] = std::move(handle);
  else
    connections_.erase(name);
}

size_t directory::owned_placements() const {
  std::shared_lock guard{mtx_};
  size_t n = 0;
  for (const auto& [path, rule] : placements_) {
    auto o = resolve_placed(path, rule);
    if (o && o->local)
      ++n;
  }
  return n;
}

} // namespace bsm::cluster
