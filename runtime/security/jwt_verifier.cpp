#include "runtime/security/jwt_verifier.hpp"

#include <optional>

#include "runtime/ascii.hpp"
#include "runtime/error.hpp"
#include "runtime/security/base64url.hpp"

namespace bsm::security {

namespace {

constexpr size_t min_hs256_key_size = 32;

caf::error refuse(std::string what) {
  return make_error(errc::unauthenticated, std::move(what));
}

std::optional<jwt_algorithm> algorithm_named(std::string_view name) {
  if (name == "HS256")
    return jwt_algorithm::hs256;
  if (name == "RS256")
    return jwt_algorithm::rs256;
  if (name == "ES256")
    return jwt_algorithm::es256;
  return std::nullopt;
}

/// Decodes one base64url part into a JSON value; discarded on any error.
std::optional<nlohmann::json> decode_json(std::string_view encoded) {
  auto text = base64url_decode(encoded);
  if (!text)
    return std::nullopt;
  auto json = nlohmann::json::parse(*text, nullptr, false);
  if (json.is_discarded())
    return std::nullopt;
  return json;
}

struct token_parts {
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
  /// "header.payload", the bytes the signature covers.
  std::string_view signed_part;
};

std::optional<token_parts> split(std::string_view token) {
  auto first = token.find('.');
  if (first == std::string_view::npos)
    return std::nullopt;
  auto second = token.find('.', first + 1);
  if (second == std::string_view::npos
      || token.find('.', second + 1) != std::string_view::npos)
    return std::nullopt;
  return token_parts{token.substr(0, first),
                     token.substr(first + 1, second - first - 1),
                     token.substr(second + 1), token.substr(0, second)};
}

} // namespace

caf::expected<jwt_verifier> jwt_verifier::make(jwt_verifier_options opts) {
  const auto& algs = opts.algorithms;
  if (algs.empty())
    return make_error(errc::invalid_argument, "no JWT algorithm accepted");
  if (algs.count(jwt_algorithm::hs256) > 0
      && opts.hs256_key.size() < min_hs256_key_size)
    return make_error(errc::invalid_argument,
                      "HS256 key is shorter than 32 bytes");
  jwt_verifier result;
  if (algs.count(jwt_algorithm::rs256) > 0) {
    auto key = load_rs256_key(opts.rs256_public_key_pem);
    if (!key)
      return key.error();
    result.rs256_key_ = std::move(*key);
  }
  if (algs.count(jwt_algorithm::es256) > 0) {
    auto key = load_es256_key(opts.es256_public_key_pem);
    if (!key)
      return key.error();
    result.es256_key_ = std::move(*key);
  }
  result.opts_ = std::move(opts);
  return result;
}

caf::expected<jwt_claims> jwt_verifier::verify(std::string_view token,
                                               int64_t now_unix) const {
  if (token.size() > max_token_size)
    return refuse("token is longer than 8 KiB");
  auto parts = split(token);
  if (!parts)
    return refuse("token does not have three parts");
  auto alg = check_header(parts->header);
  if (!alg)
    return alg.error();
  auto signature = base64url_decode(parts->signature);
  if (!signature)
    return refuse("token signature is not base64url");
  if (!signature_matches(*alg, parts->signed_part, *signature))
    return refuse("token signature does not match");
  auto payload = decode_json(parts->payload);
  if (!payload)
    return refuse("token payload is not base64url JSON");
  return read_claims(std::move(*payload), opts_.claims, now_unix);
}

caf::expected<jwt_algorithm>
jwt_verifier::check_header(std::string_view encoded) const {
  auto header = decode_json(encoded);
  if (!header || !header->is_object())
    return refuse("token header is not a base64url JSON object");
  auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string())
    return refuse("token header has no alg");
  auto name = alg->get<std::string>();
  if (ascii_lower(name) == "none")
    return refuse("token is unsigned (alg none)");
  auto known = algorithm_named(name);
  if (!known || opts_.algorithms.count(*known) == 0)
    return refuse("token algorithm is not accepted");
  auto typ = header->find("typ");
  if (typ != header->end()
      && (!typ->is_string() || ascii_lower(typ->get<std::string>()) != "jwt"))
    return refuse("token typ is not JWT");
  if (header->contains("crit"))
    return refuse("token header has crit extensions, none are understood");
  return *known;
}

bool jwt_verifier::signature_matches(jwt_algorithm alg,
                                     std::string_view signed_part,
                                     std::string_view signature) const {
  switch (alg) {
    case jwt_algorithm::hs256:
      return hs256_matches(opts_.hs256_key, signed_part, signature);
    case jwt_algorithm::rs256:
      return rs256_matches(rs256_key_, signed_part, signature);
    case jwt_algorithm::es256:
      return es256_matches(es256_key_, signed_part, signature);
  }
  return false;
}

} // namespace bsm::security
