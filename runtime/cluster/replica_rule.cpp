#include "runtime/cluster/replica_rule.hpp"

#include <algorithm>

#include "runtime/cluster/directory.hpp"

namespace bsm::cluster {

std::string encode(const epoch_record& x) {
  std::string result(8, '\0');
  for (int i = 0; i < 8; ++i)
    result[i] = static_cast<char>((x.epoch >> (56 - 8 * i)) & 0xff);
  return result + x.holder;
}

std::optional<epoch_record> decode_epoch_record(std::string_view bytes) {
  if (bytes.size() < 8)
    return std::nullopt;
  epoch_record result;
  for (int i = 0; i < 8; ++i)
    result.epoch = (result.epoch << 8) | static_cast<unsigned char>(bytes[i]);
  result.holder = std::string{bytes.substr(8)};
  return result;
}

std::vector<std::string> ranked_replicas(const std::string& key,
                                         std::vector<std::string> candidates,
                                         size_t factor) {
  std::vector<std::string> result;
  while (result.size() < factor && !candidates.empty()) {
    auto& best = rendezvous_owner(key, candidates);
    result.push_back(best);
    candidates.erase(
      std::find(candidates.begin(), candidates.end(), result.back()));
  }
  return result;
}

change_verdict judge_change(const epoch_record& mine, uint64_t epoch,
                            const std::string& from) {
  if (epoch < mine.epoch)
    return change_verdict::stale;
  if (epoch > mine.epoch)
    return change_verdict::behind;
  // The same epoch has one holder; another node naming it is stale.
  return from == mine.holder ? change_verdict::apply : change_verdict::stale;
}

claim_answer judge_claim(epoch_record& mine, uint64_t epoch,
                         const std::string& from) {
  claim_answer result;
  result.previous = mine;
  if (epoch <= mine.epoch)
    return result;
  result.granted = true;
  mine = epoch_record{epoch, from};
  return result;
}

bool claim_stands(const epoch_record& mine, uint64_t epoch,
                  const std::string& from) {
  return mine.epoch == epoch && mine.holder == from;
}

bool must_pull(const epoch_record& own, const epoch_record& previous) {
  return previous.epoch > own.epoch;
}

} // namespace bsm::cluster
