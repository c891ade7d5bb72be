#include "runtime/http/exchange.hpp"

#include "runtime/ascii.hpp"
#include "runtime/http/http_metrics.hpp"
#include "runtime/http/session.hpp"

namespace bsm::http {

namespace {

const std::string empty_string;

} // namespace

bool exchange::client_is_loopback() const noexcept {
  if (client_.is_v4())
    return client_.to_v4() == boost::asio::ip::address_v4::loopback();
  auto v6 = client_.to_v6();
  if (v6.is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6)
           == boost::asio::ip::address_v4::loopback();
  return v6 == boost::asio::ip::address_v6::loopback();
}

std::optional<std::string> percent_decode(std::string_view in,
                                          bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (i + 2 >= in.size())
        return std::nullopt;
      auto hi = ascii_hex_value(in[i + 1]);
      auto lo = ascii_hex_value(in[i + 2]);
      if (hi < 0 || lo < 0)
        return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (plus_is_space && in[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

exchange::exchange(request req, std::string request_id,
                   std::weak_ptr<session> owner, http_metrics* metrics)
  : req_(std::move(req)), request_id_(std::move(request_id)),
    owner_(std::move(owner)), metrics_(metrics),
    started_(std::chrono::steady_clock::now()) {}

std::string_view exchange::path() const noexcept {
  std::string_view target{req_.target().data(), req_.target().size()};
  return target.substr(0, target.find('?'));
}

std::optional<std::string> exchange::query_param(std::string_view name) const {
  std::string_view target{req_.target().data(), req_.target().size()};
  auto q = target.find('?');
  if (q == std::string_view::npos)
    return std::nullopt;
  auto query = target.substr(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    auto eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    if (key && *key == name)
      return eq == std::string_view::npos
               ? std::string{}
               : percent_decode(pair.substr(eq + 1), true);
    if (amp == std::string_view::npos)
      break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

void exchange::set_route(
  size_t index, std::string pattern,
  std::vector<std::pair<std::string, std::string>> params) {
  route_index_ = index;
  route_ = std::move(pattern);
  params_ = std::move(params);
}

const std::string& exchange::param(std::string_view name) const {
  for (const auto& [key, value] : params_)
    if (key == name)
      return value;
  return empty_string;
}

void exchange::add_response_header(std::string name, std::string value) {
  std::lock_guard<std::mutex> guard{mtx_};
  extra_headers_.emplace_back(std::move(name), std::move(value));
}

std::vector<std::pair<std::string, std::string>>
exchange::take_response_headers() {
  std::lock_guard<std::mutex> guard{mtx_};
  return std::move(extra_headers_);
}

void exchange::respond(response res) {
  if (responded_.exchange(true))
    return;
  if (auto owner = owner_.lock())
    owner->post_response(this, std::move(res));
}

void exchange::open_stream(response head) {
  if (responded_.exchange(true))
    return;
  if (auto owner = owner_.lock())
    owner->post_stream_head(this, std::move(head));
}

bool exchange::write(std::string chunk) {
  if (cancelled_.load())
    return false;
  auto owner = owner_.lock();
  return owner && owner->post_stream_data(this, std::move(chunk));
}

void exchange::end_stream() {
  if (auto owner = owner_.lock())
    owner->post_stream_end(this);
}

void exchange::on_cancel(std::function<void()> f) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (!cancelled_.load()) {
      on_cancel_ = std::move(f);
      return;
    }
  }
  f();
}

void exchange::cancel() {
  std::function<void()> f;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (cancelled_.exchange(true))
      return;
    f = std::move(on_cancel_);
  }
  if (f)
    f();
}

void exchange::record(unsigned status) const {
  if (metrics_ == nullptr)
    return;
  auto elapsed
    = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_)
        .count();
  // Only known methods become label values: a client must not be able to
  // grow the series.
  auto verb = req_.method();
  std::string method = verb == boost::beast::http::verb::unknown
                         ? "other"
                         : std::string{boost::beast::http::to_string(verb)};
  metrics_->observe(route_, method, status, elapsed);
}

} // namespace bsm::http
