#include "actors/memory_partition.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include "actors/interfaces.hpp"
#include "protocols/caf_types.hpp"

namespace bsm {

namespace {

// Memory's requests that carry an agent; each has it as field 1 (a test
// checks the descriptors).
using partitioned = type_list<v1::MemoryPutRequest, v1::MemoryGetRequest,
                              v1::MemoryDeleteRequest, v1::MemoryListRequest,
                              v1::SessionAppendRequest, v1::SessionReadRequest,
                              v1::SessionAppendTurnsRequest,
                              v1::SessionListRequest, v1::SessionPageRequest>;

bool is_memory(std::string_view target) {
  return target == memory_path;
}

std::optional<std::string> non_empty(std::string agent) {
  if (agent.empty())
    return std::nullopt;
  return agent;
}

// The last occurrence of string field 1 (proto3: the last one wins).
std::optional<std::string> field_one(std::string_view bytes) {
  using google::protobuf::internal::WireFormatLite;
  google::protobuf::io::CodedInputStream in{
    reinterpret_cast<const uint8_t*>(bytes.data()),
    static_cast<int>(bytes.size())};
  std::string result;
  constexpr uint32_t agent_tag = (1u << 3) | 2u;
  for (auto tag = in.ReadTag(); tag != 0; tag = in.ReadTag()) {
    if (tag == agent_tag) {
      if (!WireFormatLite::ReadString(&in, &result))
        return std::nullopt;
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      return std::nullopt;
    }
  }
  if (!in.ConsumedEntireMessage())
    return std::nullopt;
  return result;
}

} // namespace

std::optional<std::string> memory_partition(std::string_view target,
                                            const caf::message& msg) {
  if (!is_memory(target))
    return std::nullopt;
  std::optional<std::string> result;
  for_each_type(partitioned{}, [&](auto* tag) {
    using type = std::remove_pointer_t<decltype(tag)>;
    if (!result && msg.match_elements<type>())
      result = non_empty(msg.get_as<type>(0).agent());
  });
  return result;
}

bool is_memory_partitioned_type(std::string_view type_name) {
  bool found = false;
  for_each_type(partitioned{}, [&](auto* tag) {
    using type = std::remove_pointer_t<decltype(tag)>;
    found = found || type::descriptor()->full_name() == type_name;
  });
  return found;
}

std::optional<std::string> memory_partition(std::string_view target,
                                            std::string_view type_name,
                                            std::string_view payload) {
  if (!is_memory(target) || !is_memory_partitioned_type(type_name))
    return std::nullopt;
  auto agent = field_one(payload);
  if (!agent)
    return std::nullopt;
  return non_empty(std::move(*agent));
}

caf::expected<cluster::owner> memory_owner(const cluster::directory& dir,
                                           const std::string& agent) {
  auto placed = agent_path(agent);
  if (dir.placement_of(placed))
    return dir.resolve(placed);
  return dir.resolve_partition(std::string{memory_path} + "/" + agent);
}

std::optional<std::string> replicated_partition(const cluster::directory& dir,
                                                const std::string& agent) {
  if (dir.replication_factor() < 2)
    return std::nullopt;
  auto placed = agent_path(agent);
  if (auto rule = dir.placement_of(placed)) {
    if (!rule->node.empty() || rule->stateless)
      return std::nullopt;
    return placed;
  }
  return std::string{memory_path} + "/" + agent;
}

caf::expected<cluster::owner> memory_owner_as(const cluster::directory& dir,
                                              const std::string& agent,
                                              cluster::self_view view) {
  auto placed = agent_path(agent);
  if (dir.placement_of(placed))
    return dir.resolve_as(placed, view);
  return dir.resolve_as(std::string{memory_path} + "/" + agent, view);
}

caf::expected<cluster::owner>
resolve_request(const cluster::directory& dir, const std::string& target,
                const std::optional<std::string>& partition) {
  if (partition)
    return memory_owner(dir, *partition);
  return dir.resolve(target);
}

} // namespace bsm
