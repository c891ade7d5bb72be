#include "runtime/security/jwt_signer.hpp"

#include <nlohmann/json.hpp>

#include "runtime/error.hpp"
#include "runtime/security/base64url.hpp"
#include "runtime/security/random_bytes.hpp"

namespace bsm::security {

namespace {

/// Random bytes in a jti: enough that two tokens never share one.
constexpr size_t jti_bytes = 16;

nlohmann::json header_of(const jwt_signer_options& opts) {
  nlohmann::json header{{"alg", to_string(opts.algorithm)}, {"typ", "JWT"}};
  if (!opts.kid.empty())
    header["kid"] = opts.kid;
  return header;
}

nlohmann::json payload_of(const jwt_signer_options& opts,
                          const jwt_grant& grant, int64_t now_unix, int64_t exp,
                          const std::string& jti) {
  nlohmann::json payload{{"sub", grant.subject}, {"iat", now_unix},
                         {"nbf", now_unix},      {"exp", exp},
                         {"roles", grant.roles}, {"jti", jti}};
  if (!opts.issuer.empty())
    payload["iss"] = opts.issuer;
  if (opts.audiences.size() == 1)
    payload["aud"] = opts.audiences.front();
  else if (!opts.audiences.empty())
    payload["aud"] = opts.audiences;
  return payload;
}

/// The JSON text of `value`; a string in it that is not UTF-8 cannot be
/// written as JSON and is refused.
caf::expected<std::string> utf8_dump(const nlohmann::json& value) {
  try {
    return value.dump();
  } catch (const nlohmann::json::type_error&) {
    return make_error(errc::invalid_argument,
                      "a token claim or kid is not valid UTF-8");
  }
}

} // namespace

caf::expected<jwt_signer> jwt_signer::make(jwt_signer_options opts) {
  if (opts.lifetime < std::chrono::seconds{1})
    return make_error(errc::invalid_argument,
                      "JWT lifetime is shorter than one second");
  jwt_signer result;
  switch (opts.algorithm) {
    case jwt_algorithm::hs256:
      if (opts.key.size() < min_hs256_key_size)
        return make_error(errc::invalid_argument,
                          "HS256 key is shorter than 32 bytes");
      break;
    case jwt_algorithm::rs256:
    case jwt_algorithm::es256: {
      auto key = opts.algorithm == jwt_algorithm::rs256
                   ? load_rs256_private_key(opts.key)
                   : load_es256_private_key(opts.key);
      if (!key)
        return key.error();
      result.key_ = std::move(*key);
      break;
    }
  }
  result.opts_ = std::move(opts);
  return result;
}

caf::expected<issued_jwt> jwt_signer::issue(const jwt_grant& grant,
                                            int64_t now_unix) const {
  auto exp = now_unix + static_cast<int64_t>(opts_.lifetime.count());
  if (grant.not_after) {
    if (*grant.not_after <= now_unix)
      return make_error(errc::invalid_argument,
                        "the grant ends before the token would start");
    exp = std::min(exp, *grant.not_after);
  }
  auto nonce = random_bytes(jti_bytes);
  if (!nonce)
    return nonce.error();
  issued_jwt result{{}, exp, base64url_encode(*nonce)};
  auto payload = utf8_dump(payload_of(opts_, grant, now_unix, exp, result.id));
  if (!payload)
    return payload.error();
  auto header = utf8_dump(header_of(opts_));
  if (!header)
    return header.error();
  auto input = base64url_encode(*header) + "." + base64url_encode(*payload);
  auto signature = sign(input);
  if (!signature)
    return signature.error();
  result.token = input + "." + base64url_encode(*signature);
  return result;
}

caf::expected<std::string> jwt_signer::sign(std::string_view input) const {
  switch (opts_.algorithm) {
    case jwt_algorithm::hs256: return hs256_sign(opts_.key, input);
    case jwt_algorithm::rs256: return rs256_sign(key_, input);
    case jwt_algorithm::es256: return es256_sign(key_, input);
  }
  return make_error(errc::internal, "unknown JWT algorithm");
}

} // namespace bsm::security
