#include "runtime/security/jwt_verifier.hpp"

#include <algorithm>
#include <array>
#include <optional>

#include "runtime/ascii.hpp"
#include "runtime/error.hpp"
#include "runtime/security/base64url.hpp"

namespace bsm::security {

namespace {

caf::error refuse(std::string what) {
  return make_error(errc::unauthenticated, std::move(what));
}

caf::error invalid(std::string what) {
  return make_error(errc::invalid_argument, std::move(what));
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

/// Parses JSON text, or nothing if it is not JSON or an object in it names
/// a member twice: parsers disagree on which copy wins, so a signer and a
/// verifier could read different claims from the same bytes.
std::optional<nlohmann::json> parse_unique_json(const std::string& text) {
  using event = nlohmann::json::parse_event_t;
  std::vector<std::set<std::string>> open_objects;
  bool repeated = false;
  auto watch = [&](int, event what, nlohmann::json& parsed) {
    if (what == event::object_start)
      open_objects.emplace_back();
    else if (what == event::object_end)
      open_objects.pop_back();
    else if (what == event::key && !repeated)
      repeated = !open_objects.back().insert(parsed.get<std::string>()).second;
    return true;
  };
  auto json = nlohmann::json::parse(text, watch, false);
  if (json.is_discarded() || repeated)
    return std::nullopt;
  return json;
}

/// Decodes one base64url part into a JSON value; discarded on any error.
std::optional<nlohmann::json> decode_json(std::string_view encoded) {
  auto text = base64url_decode(encoded);
  if (!text)
    return std::nullopt;
  return parse_unique_json(*text);
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

/// Header parameters that carry or point to a key. Keys come from the
/// configuration only, so a token that brings one is refused.
constexpr std::array<const char*, 4> key_carrying_parameters
  = {"jku", "x5u", "jwk", "x5c"};

caf::error check_header_parameters(const nlohmann::json& header) {
  auto typ = header.find("typ");
  if (typ != header.end()
      && (!typ->is_string() || ascii_lower(typ->get<std::string>()) != "jwt"))
    return refuse("token typ is not JWT");
  if (header.contains("crit"))
    return refuse("token header has crit extensions, none are understood");
  for (const char* name : key_carrying_parameters)
    if (header.contains(name))
      return refuse(std::string{"token header has "} + name
                    + ", keys come from the configuration only");
  return {};
}

} // namespace

const char* to_string(jwt_algorithm alg) {
  switch (alg) {
    case jwt_algorithm::hs256: return "HS256";
    case jwt_algorithm::rs256: return "RS256";
    case jwt_algorithm::es256: return "ES256";
  }
  return "unknown";
}

caf::expected<jwt_verifier> jwt_verifier::make(jwt_verifier_options opts) {
  if (opts.algorithms.empty())
    return invalid("no JWT algorithm accepted");
  jwt_verifier result;
  result.algorithms_ = opts.algorithms;
  for (const auto& key : opts.keys)
    if (auto err = result.add_key(key))
      return err;
  for (auto alg : opts.algorithms) {
    auto count = std::count_if(
      result.keys_.begin(), result.keys_.end(),
      [alg](const loaded_key& key) { return key.algorithm == alg; });
    if (count == 0)
      return invalid(std::string{"no key configured for "} + to_string(alg));
    if (static_cast<size_t>(count) > max_keys_per_algorithm)
      return invalid("more than " + std::to_string(max_keys_per_algorithm)
                     + " keys configured for " + to_string(alg));
  }
  result.claims_ = std::move(opts.claims);
  return result;
}

caf::error jwt_verifier::add_key(const jwt_key& key) {
  auto name = std::string{to_string(key.algorithm)};
  if (algorithms_.count(key.algorithm) == 0)
    return invalid("a key is configured for " + name
                   + ", which is not an accepted algorithm");
  auto same_kid = [&key](const loaded_key& other) {
    return other.kid == key.kid;
  };
  if (!key.kid.empty() && std::any_of(keys_.begin(), keys_.end(), same_kid))
    return invalid("two JWT keys have the same kid");
  loaded_key loaded{key.algorithm, key.kid, {}, nullptr};
  if (key.algorithm == jwt_algorithm::hs256) {
    if (key.material.size() < min_hs256_key_size)
      return invalid("HS256 key is shorter than 32 bytes");
    loaded.hmac_secret = key.material;
  } else {
    auto pkey = key.algorithm == jwt_algorithm::rs256
                  ? load_rs256_key(key.material)
                  : load_es256_key(key.material);
    if (!pkey)
      return pkey.error();
    loaded.key = std::move(*pkey);
  }
  keys_.push_back(std::move(loaded));
  return {};
}

caf::expected<jwt_claims> jwt_verifier::verify(std::string_view token,
                                               int64_t now_unix) const {
  if (token.size() > max_token_size)
    return refuse("token is longer than 8 KiB");
  auto parts = split(token);
  if (!parts)
    return refuse("token does not have three parts");
  auto choice = check_header(parts->header);
  if (!choice)
    return choice.error();
  auto signature = base64url_decode(parts->signature);
  if (!signature)
    return refuse("token signature is not base64url");
  if (auto err = check_signature(*choice, parts->signed_part, *signature))
    return err;
  auto payload = decode_json(parts->payload);
  if (!payload)
    return refuse("token payload is not base64url JSON with unique names");
  return read_claims(std::move(*payload), claims_, now_unix);
}

caf::expected<jwt_verifier::header_choice>
jwt_verifier::check_header(std::string_view encoded) const {
  auto header = decode_json(encoded);
  if (!header || !header->is_object())
    return refuse(
      "token header is not a base64url JSON object with unique names");
  auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string())
    return refuse("token header has no alg");
  auto name = alg->get<std::string>();
  if (ascii_lower(name) == "none")
    return refuse("token is unsigned (alg none)");
  auto known = algorithm_named(name);
  if (!known || algorithms_.count(*known) == 0)
    return refuse("token algorithm is not accepted");
  if (auto err = check_header_parameters(*header))
    return err;
  header_choice choice{*known, std::nullopt};
  auto kid = header->find("kid");
  if (kid != header->end()) {
    if (!kid->is_string())
      return refuse("token kid is not a string");
    choice.kid = kid->get<std::string>();
  }
  return choice;
}

caf::error jwt_verifier::check_signature(const header_choice& choice,
                                         std::string_view signed_part,
                                         std::string_view signature) const {
  bool candidate_found = false;
  for (const auto& key : keys_) {
    // A kid names one key; keys without a kid answer to none (not even "").
    if (key.algorithm != choice.algorithm
        || (choice.kid && (key.kid.empty() || key.kid != *choice.kid)))
      continue;
    candidate_found = true;
    if (matches(key, signed_part, signature))
      return {};
  }
  if (!candidate_found)
    return refuse("token kid names no configured key of its algorithm");
  return refuse("token signature does not match");
}

bool jwt_verifier::matches(const loaded_key& key, std::string_view signed_part,
                           std::string_view signature) {
  switch (key.algorithm) {
    case jwt_algorithm::hs256:
      return hs256_matches(key.hmac_secret, signed_part, signature);
    case jwt_algorithm::rs256:
      return rs256_matches(key.key, signed_part, signature);
    case jwt_algorithm::es256:
      return es256_matches(key.key, signed_part, signature);
  }
  return false;
}

} // namespace bsm::security
