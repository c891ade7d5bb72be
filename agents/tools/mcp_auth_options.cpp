#include "agents/tools/mcp_auth_options.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include "runtime/config/config_fields.hpp"
#include "runtime/error.hpp"

namespace bsm {

namespace {

using detail::located_error;
using detail::quote;
using detail::yaml_field;

constexpr std::string_view auth_keys
  = "(known keys: client_id, client_secret, private_key, private_key_file, "
    "scope, token_endpoint_auth_method)";

/// Largest private key file read.
constexpr std::streamsize max_key_file_bytes = 64 * 1024;

bool is_whole_reference(std::string_view x) {
  return x.size() > 3 && x.substr(0, 2) == "${" && x.back() == '}'
         && x.find('}') == x.size() - 1 && mcp::env_ref_problem(x).empty();
}

// The value itself is never quoted: it would be the secret.
std::string secret_problem(std::string_view x) {
  if (x.empty() || is_whole_reference(x))
    return {};
  return "must be a \"${NAME}\" reference to an environment variable "
         "(secrets stay out of the config file)";
}

caf::error read_text(const yaml_field& in, std::string& out,
                     std::string (*problem)(std::string_view)) {
  if (auto err = in.text(out))
    return err;
  if (out.empty())
    return in.fail("must not be empty");
  auto what = problem != nullptr ? problem(out) : std::string{};
  return what.empty() ? caf::error{} : in.fail(what);
}

std::string method_problem(std::string_view x) {
  if (x.empty() || mcp::oauth::parse_client_auth_method(x))
    return {};
  return quote(x)
         + " is not client_secret_basic, client_secret_post or "
           "private_key_jwt";
}

caf::expected<std::string> read_key_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return make_error(errc::not_found,
                      "private key file " + path + " cannot be opened");
  std::string text(static_cast<size_t>(max_key_file_bytes) + 1, '\0');
  in.read(text.data(), max_key_file_bytes + 1);
  if (in.gcount() > max_key_file_bytes)
    return make_error(errc::invalid_argument,
                      "private key file " + path + " is larger than 64 KiB");
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

} // namespace

caf::error read_mcp_auth(const yaml_field& in, mcp_auth_config& out) {
  mcp_auth_config result;
  std::set<std::string> given;
  auto err = in.entries([&](const yaml_field& x, const std::string& key) {
    given.insert(key);
    if (key == "client_id")
      return read_text(x, result.client_id, nullptr);
    if (key == "client_secret")
      return read_text(x, result.client_secret, secret_problem);
    if (key == "private_key")
      return read_text(x, result.private_key, secret_problem);
    if (key == "private_key_file")
      return read_text(x, result.private_key_file, mcp::env_ref_problem);
    if (key == "scope")
      return read_text(x, result.scope, nullptr);
    if (key == "token_endpoint_auth_method")
      return read_text(x, result.token_endpoint_auth_method, method_problem);
    return located_error(x.where(), "unknown key " + quote(x.key()) + " "
                                      + std::string{auth_keys});
  });
  if (err)
    return err;
  if (auto problem = mcp_auth_problem(result); !problem.empty())
    return in.fail(problem);
  out = std::move(result);
  return {};
}

std::string mcp_auth_problem(const mcp_auth_config& x) {
  if (x.client_id.empty())
    return "needs 'client_id'";
  int secrets = !x.client_secret.empty() + !x.private_key.empty()
                + !x.private_key_file.empty();
  if (secrets != 1)
    return "needs exactly one of 'client_secret', 'private_key' and "
           "'private_key_file'";
  for (const auto* secret : {&x.client_secret, &x.private_key})
    if (auto p = secret_problem(*secret); !p.empty())
      return (secret == &x.client_secret ? "'client_secret' "
                                         : "'private_key' ")
             + p;
  if (auto p = mcp::env_ref_problem(x.private_key_file); !p.empty())
    return "'private_key_file': " + p;
  if (auto p = method_problem(x.token_endpoint_auth_method); !p.empty())
    return "'token_endpoint_auth_method': " + p;
  auto method
    = mcp::oauth::parse_client_auth_method(x.token_endpoint_auth_method);
  bool with_key = x.client_secret.empty();
  if (method
      && with_key
           != (*method == mcp::oauth::client_auth_method::private_key_jwt))
    return std::string{"'token_endpoint_auth_method' "}
           + mcp::oauth::to_string(*method) + " needs "
           + (with_key ? "'client_secret'" : "a private key");
  return {};
}

caf::expected<mcp::oauth::client_credentials>
resolve_mcp_auth(const mcp_auth_config& x, const mcp::env_lookup& env) {
  mcp::oauth::client_credentials out;
  out.client_id = x.client_id;
  out.scope = x.scope;
  out.method
    = mcp::oauth::parse_client_auth_method(x.token_endpoint_auth_method);
  if (!x.client_secret.empty()) {
    auto secret = mcp::expand_env_refs(x.client_secret, env);
    if (!secret)
      return secret.error();
    out.client_secret = std::move(*secret);
  } else if (!x.private_key.empty()) {
    auto key = mcp::expand_env_refs(x.private_key, env);
    if (!key)
      return key.error();
    out.private_key_pem = std::move(*key);
  } else {
    auto path = mcp::expand_env_refs(x.private_key_file, env);
    if (!path)
      return path.error();
    auto key = read_key_file(*path);
    if (!key)
      return key.error();
    out.private_key_pem = std::move(*key);
  }
  return out;
}

} // namespace bsm
