#pragma once

// Maps a method and a path to a handler. Patterns are literal segments and
// `{name}` parameters ("/v1/actors/{name}/messages"); a parameter matches
// one non-empty segment, percent-decoded. A path that matches a pattern
// under another method gives the methods for the 405's Allow header.
// HEAD finds the GET route of its path (RFC 9110 9.3.2): the session sends
// the GET's status and headers without the body.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/http/verb.hpp>

namespace bsm::http {

using path_params = std::vector<std::pair<std::string, std::string>>;

/// A parsed pattern. Errors throw std::invalid_argument (patterns are
/// written in code, so a bad one is a programming error).
class path_pattern {
public:
  explicit path_pattern(std::string pattern);

  const std::string& text() const noexcept {
    return text_;
  }

  /// The parameters if `path` matches; nothing otherwise (also for a
  /// malformed percent escape).
  std::optional<path_params> match(std::string_view path) const;

private:
  std::string text_;
  /// Literal segments, or parameter names with `is_param` set.
  std::vector<std::pair<std::string, bool>> segments_;
};

template <class Handler>
class route_table {
public:
  struct route {
    boost::beast::http::verb method;
    path_pattern pattern;
    Handler handler;
  };

  struct match_result {
    /// The matched route, or null.
    const route* found = nullptr;
    path_params params;
    /// Methods the path has under other patterns' methods (for 405).
    std::vector<boost::beast::http::verb> allowed;
  };

  void add(boost::beast::http::verb method, std::string pattern,
           Handler handler) {
    routes_.push_back(
      route{method, path_pattern{std::move(pattern)}, std::move(handler)});
  }

  match_result match(boost::beast::http::verb method,
                     std::string_view path) const {
    match_result result;
    for (const auto& r : routes_) {
      auto params = r.pattern.match(path);
      if (!params)
        continue;
      if (r.method == method
          || (method == boost::beast::http::verb::head
              && r.method == boost::beast::http::verb::get)) {
        result.found = &r;
        result.params = std::move(*params);
        return result;
      }
      result.allowed.push_back(r.method);
    }
    return result;
  }

  const std::vector<route>& routes() const noexcept {
    return routes_;
  }

private:
  std::vector<route> routes_;
};

/// "GET, HEAD, POST, OPTIONS" for an Allow header (OPTIONS is always
/// allowed, HEAD wherever GET is).
std::string allow_header(const std::vector<boost::beast::http::verb>& methods);

} // namespace bsm::http
