#include "runtime/cluster/redis_membership.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <limits>
#include <optional>
#include <utility>

#include <pthread.h>
#include <sys/time.h>

#include <google/protobuf/util/json_util.h>
#include <hiredis/hiredis.h>

#include "runtime/error.hpp"
#include "runtime/sigpipe_guard.hpp"

namespace bsm::cluster {

// -- hiredis adapters -----------------------------------------------------

namespace {

timeval to_timeval(std::chrono::milliseconds x) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(x.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((x.count() % 1000) * 1000);
  return tv;
}

std::string key_of(std::string_view name) {
  return std::string{redis_membership::key_prefix} + std::string{name};
}

std::string alive_key_of(std::string_view name) {
  return std::string{redis_membership::alive_prefix} + std::string{name};
}

// Removes from the set (KEYS[1]) each name (ARGV[i-1]) whose record
// (KEYS[i]) does not exist. One script runs atomically, so a node that
// announces again between our MGET and this check keeps its set entry.
constexpr const char* prune_script = R"(local n = 0
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 0 then
    n = n + redis.call('SREM', KEYS[1], ARGV[i - 1])
  end
end
return n)";

} // namespace

/// A reply copied out of hiredis, so no redisReply outlives its call.
struct redis_membership::reply {
  int type = 0;
  long long integer = 0;
  std::string str;
  std::vector<reply> elements;

  static reply copy(const redisReply& r) {
    reply result;
    result.type = r.type;
    result.integer = r.integer;
    if (r.str != nullptr)
      result.str.assign(r.str, r.len);
    result.elements.reserve(r.elements);
    for (size_t i = 0; i < r.elements; ++i)
      result.elements.push_back(copy(*r.element[i]));
    return result;
  }

  bool is_error() const noexcept {
    return type == REDIS_REPLY_ERROR;
  }
};

void redis_membership::context_deleter::operator()(
  redisContext* ctx) const noexcept {
  redisFree(ctx);
}

// -- construction ---------------------------------------------------------

redis_membership::redis_membership(redis_url url,
                                   std::chrono::milliseconds timeout)
  : url_(std::move(url)), timeout_(timeout) {
  // nop
}

redis_membership::~redis_membership() = default;

caf::expected<std::unique_ptr<redis_membership>>
redis_membership::connect(const redis_url& url,
                          std::chrono::milliseconds timeout) {
  if (timeout < std::chrono::milliseconds{1})
    return make_error(errc::invalid_argument,
                      "redis timeout must be at least 1ms");
  std::unique_ptr<redis_membership> result{new redis_membership(url, timeout)};
  if (auto err = result->reconnect())
    return err;
  return result;
}

caf::error redis_membership::reconnect() {
  ctx_.reset();
  auto tv = to_timeval(timeout_);
  context_ptr ctx{redisConnectWithTimeout(url_.host.c_str(), url_.port, tv)};
  if (ctx == nullptr)
    return unavailable("cannot connect: out of memory");
  if (ctx->err != 0)
    return unavailable(std::string{"cannot connect: "} + ctx->errstr);
  if (redisSetTimeout(ctx.get(), tv) != REDIS_OK)
    return unavailable(std::string{"cannot set timeout: "} + ctx->errstr);
  ctx_ = std::move(ctx);
  if (url_.db == 0)
    return caf::none;
  auto replies = send({{"SELECT", std::to_string(url_.db)}});
  if (!replies)
    return replies.error();
  if (replies->front().is_error()) {
    ctx_.reset();
    return make_error(errc::invalid_argument, "redis " + to_string(url_)
                                                + " refuses database "
                                                + std::to_string(url_.db) + ": "
                                                + replies->front().str);
  }
  return caf::none;
}

// -- commands -------------------------------------------------------------

caf::error redis_membership::unavailable(std::string_view what) const {
  return make_error(errc::unavailable,
                    "redis " + to_string(url_) + ": " + std::string{what});
}

caf::expected<redis_membership::reply_list>
redis_membership::send(const std::vector<command>& cmds) {
  closed_by_server_ = false;
  sigpipe_guard guard;
  std::vector<const char*> argv;
  std::vector<size_t> argvlen;
  for (const auto& cmd : cmds) {
    argv.clear();
    argvlen.clear();
    for (const auto& arg : cmd) {
      argv.push_back(arg.data());
      argvlen.push_back(arg.size());
    }
    if (redisAppendCommandArgv(ctx_.get(), static_cast<int>(argv.size()),
                               argv.data(), argvlen.data())
        != REDIS_OK) {
      // Part of the batch may be queued: the connection is out of step.
      auto err
        = unavailable(std::string{"cannot queue command: "} + ctx_->errstr);
      ctx_.reset();
      return err;
    }
  }
  reply_list result;
  result.reserve(cmds.size());
  for (size_t i = 0; i < cmds.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_.get(), &raw) != REDIS_OK || raw == nullptr) {
      auto saved_errno = errno;
      closed_by_server_
        = ctx_->err == REDIS_ERR_EOF
          || (ctx_->err == REDIS_ERR_IO
              && (saved_errno == ECONNRESET || saved_errno == EPIPE));
      auto err = unavailable(std::string{"connection lost: "} + ctx_->errstr);
      ctx_.reset();
      return err;
    }
    auto* r = static_cast<redisReply*>(raw);
    result.push_back(reply::copy(*r));
    freeReplyObject(r);
  }
  return result;
}

caf::expected<redis_membership::reply_list>
redis_membership::execute(const std::vector<command>& cmds) {
  auto fresh = false;
  if (ctx_ == nullptr) {
    if (auto err = reconnect())
      return err;
    fresh = true;
  }
  auto result = send(cmds);
  if (result || fresh || !closed_by_server_)
    return result;
  // Redis closed a connection we kept (it restarted): every command here is
  // idempotent, so try once more on a new connection instead of failing a
  // heartbeat.
  if (auto err = reconnect())
    return err;
  return send(cmds);
}

caf::error redis_membership::announce(const v1::MemberRecord& self,
                                      std::chrono::milliseconds ttl) {
  if (self.name().empty())
    return make_error(errc::invalid_argument, "member record without name");
  if (ttl < std::chrono::milliseconds{1})
    return make_error(errc::invalid_argument,
                      "member record ttl must be at least 1ms");
  std::string json;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  auto st = google::protobuf::util::MessageToJsonString(self, &json, opts);
  if (!st.ok())
    return make_error(errc::internal, "cannot encode member record: "
                                        + std::string{st.message()});
  auto replies = execute({
    {"SET", key_of(self.name()), std::move(json)},
    {"SET", alive_key_of(self.name()), "1", "PX", std::to_string(ttl.count())},
    {"SADD", std::string{members_key}, self.name()},
  });
  if (!replies)
    return replies.error();
  for (const auto& r : *replies)
    if (r.is_error())
      return unavailable("announce failed: " + r.str);
  return caf::none;
}

caf::expected<std::vector<v1::MemberRecord>> redis_membership::members() {
  skipped_records_ = 0;
  auto names = execute({{"SMEMBERS", std::string{members_key}}});
  if (!names)
    return names.error();
  const auto& set = names->front();
  if (set.is_error())
    return unavailable("SMEMBERS failed: " + set.str);
  std::vector<std::string> sorted;
  for (const auto& element : set.elements)
    sorted.push_back(element.str);
  std::sort(sorted.begin(), sorted.end());
  std::vector<v1::MemberRecord> result;
  if (sorted.empty())
    return result;
  // Records first, then the liveness keys, in one MGET (one snapshot).
  command mget{"MGET"};
  for (const auto& name : sorted)
    mget.push_back(key_of(name));
  for (const auto& name : sorted)
    mget.push_back(alive_key_of(name));
  auto values = execute({mget});
  if (!values)
    return values.error();
  const auto& records = values->front();
  if (records.is_error() || records.elements.size() != 2 * sorted.size())
    return unavailable("MGET failed: " + records.str);
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = true;
  command prune{"EVAL", prune_script, "0", std::string{members_key}};
  std::vector<std::string> gone;
  for (size_t i = 0; i < sorted.size(); ++i) {
    const auto& value = records.elements[i];
    if (value.type != REDIS_REPLY_STRING) {
      prune.push_back(key_of(sorted[i]));
      gone.push_back(sorted[i]);
      continue;
    }
    v1::MemberRecord rec;
    if (!google::protobuf::util::JsonStringToMessage(value.str, &rec, opts)
           .ok()) {
      ++skipped_records_;
      continue;
    }
    bool alive = records.elements[sorted.size() + i].type == REDIS_REPLY_STRING;
    rec.set_state(alive ? v1::MEMBER_STATE_UP : v1::MEMBER_STATE_DOWN);
    result.push_back(std::move(rec));
  }
  if (gone.empty())
    return result;
  prune[2] = std::to_string(gone.size() + 1); // numkeys: set + records
  prune.insert(prune.end(), gone.begin(), gone.end());
  auto pruned = execute({prune});
  if (!pruned)
    return pruned.error();
  if (pruned->front().is_error())
    return unavailable("pruning departed members failed: "
                       + pruned->front().str);
  return result;
}

caf::error redis_membership::stop(const std::string& name) {
  auto replies = execute({{"DEL", alive_key_of(name)}});
  if (!replies)
    return replies.error();
  if (replies->front().is_error())
    return unavailable("stop failed: " + replies->front().str);
  return caf::none;
}

caf::error redis_membership::leave(const std::string& name) {
  auto replies = execute({
    {"DEL", key_of(name), alive_key_of(name)},
    {"SREM", std::string{members_key}, name},
  });
  if (!replies)
    return replies.error();
  for (const auto& r : *replies)
    if (r.is_error())
      return unavailable("leave failed: " + r.str);
  return caf::none;
}

} // namespace bsm::cluster
