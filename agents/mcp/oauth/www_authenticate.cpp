#include "agents/mcp/oauth/www_authenticate.hpp"

#include <cctype>
#include <vector>

#include "runtime/ascii.hpp"

namespace bsm::mcp::oauth {

namespace {

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0
         || std::string_view{"!#$%&'*+-.^_`|~/="}.find(c)
              != std::string_view::npos;
}

// A small cursor over the header: RFC 9110's challenge grammar is a comma
// list where a scheme starts a challenge and name=value pairs follow it.
struct cursor {
  std::string_view rest;

  void skip_space() {
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t'))
      rest.remove_prefix(1);
  }

  bool take(char c) {
    skip_space();
    if (rest.empty() || rest.front() != c)
      return false;
    rest.remove_prefix(1);
    return true;
  }

  std::string name() {
    skip_space();
    size_t n = 0;
    while (n < rest.size() && is_token_char(rest[n]) && rest[n] != '=')
      ++n;
    std::string out{rest.substr(0, n)};
    rest.remove_prefix(n);
    return out;
  }

  std::string value() {
    skip_space();
    std::string out;
    if (rest.empty() || rest.front() != '"') {
      size_t n = 0;
      while (n < rest.size() && is_token_char(rest[n]))
        ++n;
      out = rest.substr(0, n);
      rest.remove_prefix(n);
      return out;
    }
    rest.remove_prefix(1);
    while (!rest.empty() && rest.front() != '"') {
      if (rest.front() == '\\' && rest.size() > 1)
        rest.remove_prefix(1);
      out += rest.front();
      rest.remove_prefix(1);
    }
    if (!rest.empty())
      rest.remove_prefix(1);
    return out;
  }

  /// Skips to just after the next top-level comma (or the end).
  void skip_item() {
    bool quoted = false;
    while (!rest.empty()) {
      char c = rest.front();
      rest.remove_prefix(1);
      if (c == '\\' && quoted && !rest.empty())
        rest.remove_prefix(1);
      else if (c == '"')
        quoted = !quoted;
      else if (c == ',' && !quoted)
        return;
    }
  }
};

void assign(bearer_challenge& out, const std::string& name, std::string value) {
  if (name == "resource_metadata")
    out.resource_metadata = std::move(value);
  else if (name == "scope")
    out.scope = std::move(value);
  else if (name == "error")
    out.error = std::move(value);
}

} // namespace

std::optional<bearer_challenge>
parse_bearer_challenge(std::string_view header) {
  cursor in{header};
  std::optional<bearer_challenge> result;
  bool in_bearer = false;
  while (!in.rest.empty()) {
    auto word = in.name();
    if (word.empty()) {
      in.skip_item();
      continue;
    }
    if (in.take('=')) {
      // A parameter of the current challenge.
      auto value = in.value();
      if (in_bearer)
        assign(*result, ascii_lower(word), std::move(value));
      in.skip_item();
      continue;
    }
    // A scheme: a new challenge, maybe with its first parameter after it.
    if (result && in_bearer)
      return result; // the Bearer challenge ended
    in_bearer = ascii_lower(word) == "bearer";
    if (in_bearer)
      result.emplace();
    auto param = in.name();
    if (!param.empty() && in.take('=')) {
      auto value = in.value();
      if (in_bearer)
        assign(*result, ascii_lower(param), std::move(value));
    }
    in.skip_item();
  }
  return result;
}

} // namespace bsm::mcp::oauth
