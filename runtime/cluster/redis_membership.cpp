#include "runtime/cluster/redis_membership.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
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

// -- URL parsing ----------------------------------------------------------

namespace {

constexpr std::string_view redis_scheme = "redis://";

caf::error bad_url(std::string_view url, const std::string& what) {
  return make_error(errc::invalid_argument,
                    "redis url '" + std::string{url} + "': " + what);
}

template <class T>
std::optional<T> parse_number(std::string_view str) {
  T result{};
  auto [end, ec] = std::from_chars(str.data(), str.data() + str.size(), result);
  if (str.empty() || ec != std::errc{} || end != str.data() + str.size())
    return std::nullopt;
  return result;
}

// Splits "host[:port]" or "[v6]:port" into host and port text (empty port
// text if none).
caf::expected<std::pair<std::string_view, std::string_view>>
split_authority(std::string_view url, std::string_view authority) {
  std::string_view host;
  std::string_view rest;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return bad_url(url, "IPv6 host without closing ']'");
    host = authority.substr(1, close - 1);
    rest = authority.substr(close + 1);
    if (!rest.empty() && rest.front() != ':')
      return bad_url(url, "expected ':' after ']'");
  } else {
    auto colon = authority.find(':');
    host = authority.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view{}
                                           : authority.substr(colon);
  }
  if (host.empty())
    return bad_url(url, "no host");
  if (!rest.empty() && rest.size() == 1)
    return bad_url(url, "empty port after ':'");
  return std::make_pair(host, rest.empty() ? rest : rest.substr(1));
}

} // namespace

caf::expected<redis_url> parse_redis_url(std::string_view url) {
  if (url.substr(0, redis_scheme.size()) != redis_scheme)
    return bad_url(url, "must start with redis:// (rediss:// and other "
                        "schemes are not supported)");
  auto rest = url.substr(redis_scheme.size());
  if (rest.find_first_of("@?#") != std::string_view::npos)
    return bad_url(url, "credentials, query and fragment are not supported");
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  auto parts = split_authority(url, authority);
  if (!parts)
    return parts.error();
  redis_url result;
  result.host = std::string{parts->first};
  if (!parts->second.empty()) {
    auto port = parse_number<uint16_t>(parts->second);
    if (!port || *port == 0)
      return bad_url(url, "port '" + std::string{parts->second}
                            + "' is not a number in 1..65535");
    result.port = *port;
  }
  if (slash != std::string_view::npos && slash + 1 < rest.size()) {
    auto db_text = rest.substr(slash + 1);
    auto db = parse_number<int>(db_text);
    if (!db || *db < 0)
      return bad_url(url, "database '" + std::string{db_text}
                            + "' is not a non-negative number");
    result.db = *db;
  }
  return result;
}

std::string to_string(const redis_url& x) {
  auto port = std::to_string(x.port);
  if (x.host.find(':') != std::string::npos)
    return "[" + x.host + "]:" + port;
  return x.host + ":" + port;
}

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
    {"SET", key_of(self.name()), std::move(json), "PX",
     std::to_string(ttl.count())},
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
  command mget{"MGET"};
  for (const auto& name : sorted)
    mget.push_back(key_of(name));
  auto values = execute({mget});
  if (!values)
    return values.error();
  const auto& records = values->front();
  if (records.is_error() || records.elements.size() != sorted.size())
    return unavailable("MGET failed: " + records.str);
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = true;
  command prune{"EVAL", prune_script, "0", std::string{members_key}};
  std::vector<std::string> expired;
  for (size_t i = 0; i < sorted.size(); ++i) {
    const auto& value = records.elements[i];
    if (value.type != REDIS_REPLY_STRING) {
      prune.push_back(key_of(sorted[i]));
      expired.push_back(sorted[i]);
      continue;
    }
    v1::MemberRecord rec;
    if (google::protobuf::util::JsonStringToMessage(value.str, &rec, opts).ok())
      result.push_back(std::move(rec));
    else
      ++skipped_records_;
  }
  if (expired.empty())
    return result;
  prune[2] = std::to_string(expired.size() + 1); // numkeys: set + records
  prune.insert(prune.end(), expired.begin(), expired.end());
  auto pruned = execute({prune});
  if (!pruned)
    return pruned.error();
  if (pruned->front().is_error())
    return unavailable("pruning expired members failed: "
                       + pruned->front().str);
  return result;
}

caf::error redis_membership::leave(const std::string& name) {
  auto replies = execute({
    {"DEL", key_of(name)},
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
