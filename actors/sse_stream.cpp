#include "actors/sse_stream.hpp"

#include <ctime>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <nlohmann/json.hpp>

#include "runtime/http/error_response.hpp"

namespace bsm {

namespace bhttp = boost::beast::http;

std::string rfc3339_ms(int64_t unix_ms) {
  auto secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  auto n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof(buf) - n, ".%03dZ",
                static_cast<int>(unix_ms % 1000));
  return buf;
}

std::string sse_frame(const v1::Event& event) {
  auto head = nlohmann::json{{"topic", event.topic()},
                             {"time", rfc3339_ms(event.time_unix_ms())},
                             {"source", event.source()}}
                .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  head.pop_back();
  // data_json is a JSON object the publisher built: splice it in.
  const auto& data
    = event.data_json().empty() ? std::string{"{}"} : event.data_json();
  return "data: " + head + ",\"data\":" + data + "}\n\n";
}

caf::behavior sse_stream(caf::stateful_actor<sse_stream_state>* self,
                         http::exchange_ptr ex, event_bus_actor bus,
                         std::string pattern,
                         std::chrono::milliseconds subscribe_timeout) {
  self->state.ex = ex;
  // The client left: stop, which ends the subscription. A weak address:
  // the exchange must not keep the actor alive.
  ex->on_cancel([addr = self->address()] {
    caf::anon_send_exit(addr, caf::exit_reason::user_shutdown);
  });
  self->monitor(bus);
  self->set_down_handler([self](caf::down_msg&) {
    self->state.ex->end_stream();
    self->quit();
  });
  self->attach_functor([ex] { ex->end_stream(); });
  v1::SubscribeRequest req;
  req.set_pattern(std::move(pattern));
  self->request(bus, subscribe_timeout, std::move(req))
    .then(
      [self](v1::SubscribeResponse&) {
        http::response head{bhttp::status::ok, 11};
        head.set(bhttp::field::content_type, "text/event-stream");
        head.set(bhttp::field::cache_control, "no-cache");
        // Proxies must pass events on at once.
        head.set("X-Accel-Buffering", "no");
        self->state.ex->open_stream(std::move(head));
        self->state.ex->write(": subscribed\n\n");
      },
      [self](caf::error& err) {
        http::respond_error(*self->state.ex, err);
        self->quit();
      });
  return {
    [self](const v1::Event& event) {
      if (!self->state.ex->write(sse_frame(event)))
        self->quit();
    },
  };
}

} // namespace bsm
