#include "runtime/mailbox/pending_queue.hpp"

#include <algorithm>

namespace bsm::mailbox {

pending_queue::pending_queue(size_t window, uint64_t max_depth)
  : window_(window), max_depth_(max_depth) {}

bool pending_queue::opened(uint64_t head_seq, uint64_t next_seq) {
  next_seq_ = next_seq;
  committed_end_ = next_seq;
  if (head_seq >= next_seq)
    return false;
  disk_from_ = head_seq;
  depth_ = next_seq - head_seq;
  return true;
}

std::optional<uint64_t>
pending_queue::appending_with(const std::string& key) const {
  if (key.empty())
    return std::nullopt;
  auto i = appending_keys_.find(key);
  if (i == appending_keys_.end())
    return std::nullopt;
  return i->second;
}

void pending_queue::appending(uint64_t seq, const std::string& key) {
  ++depth_;
  if (!key.empty())
    appending_keys_.emplace(key, seq);
}

void pending_queue::append_done(uint64_t seq, const std::string& key) {
  committed_end_ = std::max(committed_end_, seq + 1);
  if (!key.empty())
    appending_keys_.erase(key);
}

void pending_queue::keep(entry e) {
  if (disk_from_)
    return;
  if (queue_.size() < window_)
    queue_.push_back(std::move(e));
  else
    disk_from_ = e.seq;
}

void pending_queue::settle(uint64_t n) noexcept {
  depth_ -= std::min(depth_, n);
}

std::optional<page_request> pending_queue::next_read() {
  if (!disk_from_ || reading_ || queue_.size() >= window_ / 2)
    return std::nullopt;
  reading_ = true;
  return page_request{*disk_from_, committed_end_, read_page};
}

void pending_queue::page_read(const page_request& req,
                              std::vector<entry> entries, uint64_t corrupt) {
  reading_ = false;
  auto next = req.to_seq;
  // A full page may have stopped short of the range's end.
  if (!entries.empty() && entries.size() == req.max_entries)
    next = entries.back().seq + 1;
  for (auto& e : entries)
    queue_.push_back(std::move(e));
  settle(corrupt);
  if (next >= committed_end_)
    disk_from_.reset();
  else
    disk_from_ = next;
}

entry pending_queue::pop_front() {
  auto e = std::move(queue_.front());
  queue_.pop_front();
  return e;
}

void pending_queue::push_front(entry e) {
  queue_.push_front(std::move(e));
}

void pending_queue::push_front(std::vector<entry> entries) {
  std::sort(entries.begin(), entries.end(),
            [](const entry& x, const entry& y) { return x.seq < y.seq; });
  for (auto i = entries.rbegin(); i != entries.rend(); ++i)
    queue_.push_front(std::move(*i));
}

} // namespace bsm::mailbox
