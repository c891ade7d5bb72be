#include "runtime/security/jwt_claims.hpp"

#include <cmath>
#include <limits>

#include "runtime/error.hpp"

namespace bsm::security {

namespace {

caf::error refuse(std::string what) {
  return make_error(errc::unauthenticated, std::move(what));
}

/// A NumericDate: any JSON number, fractions rounded down.
caf::expected<std::optional<int64_t>> read_time(const nlohmann::json& payload,
                                                const char* name) {
  auto i = payload.find(name);
  if (i == payload.end())
    return std::optional<int64_t>{};
  if (i->is_number_integer())
    return std::optional<int64_t>{i->get<int64_t>()};
  if (i->is_number_unsigned() || !i->is_number())
    return refuse(std::string{"token claim "} + name + " is not a number");
  auto value = std::floor(i->get<double>());
  if (!std::isfinite(value)
      || std::abs(value) > static_cast<double>(int64_t{1} << 62))
    return refuse(std::string{"token claim "} + name + " is out of range");
  return std::optional<int64_t>{static_cast<int64_t>(value)};
}

caf::expected<std::optional<std::string>>
read_string(const nlohmann::json& payload, const char* name) {
  auto i = payload.find(name);
  if (i == payload.end())
    return std::optional<std::string>{};
  if (!i->is_string())
    return refuse(std::string{"token claim "} + name + " is not a string");
  return std::optional<std::string>{i->get<std::string>()};
}

/// The strings of the array `value`, the claim `name`.
caf::expected<std::vector<std::string>>
read_string_array(const nlohmann::json& value, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& entry : value) {
    if (!entry.is_string())
      return refuse("token claim " + name + " holds a non-string");
    out.push_back(entry.get<std::string>());
  }
  return out;
}

caf::expected<std::vector<std::string>>
read_audiences(const nlohmann::json& payload) {
  auto i = payload.find("aud");
  if (i == payload.end())
    return std::vector<std::string>{};
  if (i->is_string())
    return std::vector<std::string>{i->get<std::string>()};
  if (!i->is_array())
    return refuse("token claim aud is neither a string nor an array");
  return read_string_array(*i, "aud");
}

caf::expected<std::vector<std::string>>
read_roles(const nlohmann::json& payload) {
  auto i = payload.find("roles");
  if (i == payload.end())
    return std::vector<std::string>{};
  if (!i->is_array())
    return refuse("token claim roles is not an array of role names");
  return read_string_array(*i, "roles");
}

caf::error check_parties(const jwt_claims& claims, const claim_rules& rules) {
  if (rules.issuer && claims.iss != rules.issuer)
    return refuse("token issuer is not the accepted issuer");
  if (rules.audiences.empty())
    return {};
  for (const auto& audience : claims.aud)
    if (rules.audiences.count(audience) > 0)
      return {};
  return refuse("token audience is not an accepted audience");
}

} // namespace

caf::error check_window(const jwt_claims& claims, const claim_rules& rules,
                        int64_t now_unix) {
  auto leeway = static_cast<int64_t>(rules.leeway.count());
  if (claims.exp <= now_unix - leeway)
    return refuse("token has expired");
  if (claims.nbf && *claims.nbf > now_unix + leeway)
    return refuse("token is not valid yet");
  // A token from the future means a wrong clock or a forged iat.
  if (claims.iat && *claims.iat > now_unix + leeway)
    return refuse("token was issued in the future");
  return {};
}

caf::expected<jwt_claims> read_claims(nlohmann::json payload,
                                      const claim_rules& rules,
                                      int64_t now_unix) {
  if (!payload.is_object())
    return refuse("token payload is not a JSON object");
  auto exp = read_time(payload, "exp");
  auto nbf = read_time(payload, "nbf");
  auto iat = read_time(payload, "iat");
  auto sub = read_string(payload, "sub");
  auto iss = read_string(payload, "iss");
  auto aud = read_audiences(payload);
  auto roles = read_roles(payload);
  if (!exp)
    return exp.error();
  if (!nbf)
    return nbf.error();
  if (!iat)
    return iat.error();
  if (!sub)
    return sub.error();
  if (!iss)
    return iss.error();
  if (!aud)
    return aud.error();
  if (!roles)
    return roles.error();
  if (!*exp)
    return refuse("token has no exp claim");
  jwt_claims claims;
  claims.sub = std::move(*sub);
  claims.iss = std::move(*iss);
  claims.aud = std::move(*aud);
  claims.exp = **exp;
  claims.nbf = *nbf;
  claims.iat = *iat;
  claims.roles = std::move(*roles);
  claims.payload = std::move(payload);
  if (auto err = check_window(claims, rules, now_unix))
    return err;
  if (auto err = check_parties(claims, rules))
    return err;
  return claims;
}

} // namespace bsm::security
