#include "scripted_upstream.hpp"

#include <stdexcept>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>

#include "runtime/error.hpp"

namespace bsm::test {

namespace bhttp = boost::beast::http;
using json = nlohmann::json;
using namespace std::chrono_literals;

upstream_reply
json_reply(unsigned status, json body,
           std::vector<std::pair<std::string, std::string>> headers) {
  return [status, body = std::move(body),
          headers = std::move(headers)](const http::exchange_ptr& ex) {
    http::response res{static_cast<bhttp::status>(status), 11};
    res.set(bhttp::field::content_type, "application/json");
    for (const auto& [name, value] : headers)
      res.set(name, value);
    res.body() = body.dump();
    ex->respond(std::move(res));
  };
}

namespace {

void open_sse(const http::exchange_ptr& ex) {
  http::response head{bhttp::status::ok, 11};
  head.set(bhttp::field::content_type, "text/event-stream");
  ex->open_stream(std::move(head));
}

void write_sse(const http::exchange_ptr& ex,
               const std::vector<std::string>& events) {
  for (const auto& data : events)
    ex->write("data: " + data + "\n\n");
}

// The text content of a request's last message; "" if it has none.
std::string last_content(const json& body) {
  if (!body.is_object() || !body.contains("messages"))
    return {};
  const auto& messages = body.at("messages");
  if (!messages.is_array() || messages.empty() || !messages.back().is_object())
    return {};
  auto content = messages.back().find("content");
  return content != messages.back().end() && content->is_string()
           ? content->get<std::string>()
           : std::string{};
}

} // namespace

upstream_reply sse_reply(std::vector<std::string> events) {
  return [events = std::move(events)](const http::exchange_ptr& ex) {
    open_sse(ex);
    write_sse(ex, events);
    ex->end_stream();
  };
}

json completion(const std::string& content) {
  return {
    {"id", "chatcmpl-1"},
    {"object", "chat.completion"},
    {"created", 1},
    {"model", "scripted-model"},
    {"choices",
     {{{"index", 0},
       {"message", {{"role", "assistant"}, {"content", content}}},
       {"logprobs", nullptr},
       {"finish_reason", "stop"}}}},
    {"usage",
     {{"prompt_tokens", 5}, {"completion_tokens", 2}, {"total_tokens", 7}}}};
}

json tool_call(const std::string& id, const std::string& name,
               const std::string& arguments) {
  return {{"id", id},
          {"type", "function"},
          {"function", {{"name", name}, {"arguments", arguments}}}};
}

json tool_calls_completion(json calls) {
  auto result = completion("");
  auto& choice = result["choices"][0];
  choice["message"]["content"] = nullptr;
  choice["message"]["tool_calls"] = std::move(calls);
  choice["finish_reason"] = "tool_calls";
  return result;
}

std::unique_ptr<http::server>
start_loopback_server(std::function<void(const http::exchange_ptr&)> handler,
                      http::http_metrics* metrics) {
  http::server_options opts;
  opts.listen = listen_address{"127.0.0.1", 0};
  auto srv = http::server::start(opts, std::move(handler), metrics, nullptr);
  if (!srv)
    throw std::runtime_error(render(srv.error()));
  return std::move(*srv);
}

json error_body(const std::string& message, const std::string& type) {
  return {{"error",
           {{"message", message},
            {"type", type},
            {"param", nullptr},
            {"code", nullptr}}}};
}

std::string chunk(const json& delta, const json& finish) {
  return json{
    {"id", "chatcmpl-s"},
    {"object", "chat.completion.chunk"},
    {"model", "scripted-model"},
    {"choices", {{{"index", 0}, {"delta", delta}, {"finish_reason", finish}}}}}
    .dump();
}

std::string tool_call_chunk(int index, const std::string& id,
                            const std::string& name,
                            const std::string& arguments) {
  json entry{{"index", index}, {"function", {{"arguments", arguments}}}};
  if (!id.empty()) {
    entry["id"] = id;
    entry["type"] = "function";
    entry["function"]["name"] = name;
  }
  return chunk({{"tool_calls", json::array({entry})}});
}

// -- scripted_upstream --------------------------------------------------------

scripted_upstream::scripted_upstream()
  : http_metrics_(http::http_metrics::make(registry_)),
    fallback_(json_reply(500, error_body("script exhausted", "server_error"))) {
  server_ = start_loopback_server(
    [this](const http::exchange_ptr& ex) { on_request(ex); },
    http_metrics_.get());
}

scripted_upstream::~scripted_upstream() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
    threads.swap(delayed_);
  }
  changed_.notify_all();
  for (auto& t : threads)
    t.join();
  server_->drain(1s);
}

std::string scripted_upstream::base_url() const {
  return "http://" + server_->address() + "/v1";
}

void scripted_upstream::push(upstream_reply r) {
  std::lock_guard<std::mutex> guard{mtx_};
  script_.push_back(std::move(r));
}

void scripted_upstream::push_delayed(std::chrono::milliseconds delay,
                                     upstream_reply r) {
  push_waiting([] { return false; }, delay, std::move(r));
}

void scripted_upstream::push_held(upstream_reply r) {
  // A day: far past any test, short enough for wait_for's arithmetic.
  push_waiting([this] { return released_; }, std::chrono::hours{24},
               std::move(r));
}

void scripted_upstream::push_trickled(std::vector<std::string> first,
                                      std::vector<std::string> rest) {
  auto later
    = waiting_reply([this] { return released_; }, 24h,
                    [rest = std::move(rest)](const http::exchange_ptr& ex) {
                      write_sse(ex, rest);
                      ex->end_stream();
                    });
  // Runs under mtx_, as waiting_reply's replies do.
  push([first = std::move(first),
        later = std::move(later)](const http::exchange_ptr& ex) {
    open_sse(ex);
    write_sse(ex, first);
    later(ex);
  });
}

void scripted_upstream::push_for(const std::string& input, upstream_reply r) {
  std::lock_guard<std::mutex> guard{mtx_};
  keyed_[input].push_back(std::move(r));
}

void scripted_upstream::push_held_for(const std::string& input,
                                      upstream_reply r) {
  push_for(input,
           waiting_reply([this] { return released_; }, 24h, std::move(r)));
}

void scripted_upstream::release() {
  std::lock_guard<std::mutex> guard{mtx_};
  released_ = true;
  changed_.notify_all();
}

void scripted_upstream::hold() {
  std::lock_guard<std::mutex> guard{mtx_};
  released_ = false;
}

void scripted_upstream::push_waiting(std::function<bool()> ready,
                                     std::chrono::milliseconds delay,
                                     upstream_reply r) {
  push(waiting_reply(std::move(ready), delay, std::move(r)));
}

upstream_reply scripted_upstream::waiting_reply(std::function<bool()> ready,
                                                std::chrono::milliseconds delay,
                                                upstream_reply r) {
  // Runs under mtx_ (from on_request); the thread waits on its own.
  return [this, ready = std::move(ready), delay,
          r = std::move(r)](const http::exchange_ptr& ex) {
    delayed_.emplace_back([this, ready, delay, r, ex] {
      ex->on_cancel([this] {
        std::lock_guard<std::mutex> guard{mtx_};
        changed_.notify_all();
      });
      {
        std::unique_lock<std::mutex> lock{mtx_};
        auto gone = [this, &ex] {
          return stopping_ || ex->cancelled();
        };
        changed_.wait_for(lock, delay, [&] { return gone() || ready(); });
        if (gone())
          return;
      }
      r(ex);
    });
  };
}

void scripted_upstream::repeat(upstream_reply r) {
  std::lock_guard<std::mutex> guard{mtx_};
  fallback_ = std::move(r);
}

void scripted_upstream::repeat_delayed(std::chrono::milliseconds delay,
                                       upstream_reply r) {
  repeat(waiting_reply([] { return false; }, delay, std::move(r)));
}

std::vector<seen_request> scripted_upstream::seen() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return seen_;
}

size_t scripted_upstream::requests() const {
  return seen().size();
}

bool scripted_upstream::await_requests(
  size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock{mtx_};
  return changed_.wait_for(lock, timeout, [&] { return seen_.size() >= n; });
}

void scripted_upstream::on_request(const http::exchange_ptr& ex) {
  std::lock_guard<std::mutex> guard{mtx_};
  const auto& req = ex->req();
  seen_.push_back(seen_request{std::string{req.target()},
                               std::string{req[bhttp::field::authorization]},
                               std::string{req[bhttp::field::accept]},
                               json::parse(req.body(), nullptr, false)});
  changed_.notify_all();
  if (stopping_)
    return json_reply(503, error_body("stopping", "server_error"))(ex);
  auto keyed = keyed_.find(last_content(seen_.back().body));
  if (keyed != keyed_.end() && !keyed->second.empty()) {
    auto next = std::move(keyed->second.front());
    keyed->second.pop_front();
    return next(ex);
  }
  if (script_.empty())
    return fallback_(ex);
  auto next = std::move(script_.front());
  script_.pop_front();
  next(ex);
}

} // namespace bsm::test
