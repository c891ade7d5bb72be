// The verifier's choice of key (several per algorithm, selected by kid)
// and the header and payload shapes refused before any claim is read.

#include "runtime/security/jwt_verifier.hpp"

#include <string>

#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "runtime/security/base64url.hpp"
#include "tests/unit/security/jwt_verifier_fixture.hpp"

namespace {

using bsm::errc;
using bsm::security::base64url_encode;
using bsm::security::jwt_algorithm;
using bsm::security::jwt_key;
using bsm::security::jwt_verifier;
using bsm::security::jwt_verifier_options;
using bsm::security::test::hmac_key;
using bsm::security::test::JwtVerifier;
using bsm::security::test::now;
using bsm::security::test::signer;
using nlohmann::json;

const std::string old_hmac_key = "old-old-old-old-old-old-old-old-old!";
const std::string new_hmac_key = "new-new-new-new-new-new-new-new-new!";

class JwtVerifierKeys : public JwtVerifier {
protected:
  /// HS256 with two keys, "old" and "new", and RS256 with one without kid.
  static jwt_verifier rotating() {
    auto opts = all_algorithms();
    opts.algorithms = {jwt_algorithm::hs256, jwt_algorithm::rs256};
    opts.keys = {{jwt_algorithm::hs256, "old", old_hmac_key},
                 {jwt_algorithm::hs256, "new", new_hmac_key},
                 {jwt_algorithm::rs256, "", keys().rsa_public_pem()}};
    return make(opts);
  }

  static json header_with_kid(const char* alg, const json& kid) {
    auto head = header(alg);
    head["kid"] = kid;
    return head;
  }

  static std::string hs256_with(const std::string& key, const json& head) {
    return keys().token(jwt_algorithm::hs256, head, payload(), key);
  }

  static std::string refusal(const jwt_verifier& verifier,
                             const std::string& token) {
    auto claims = verifier.verify(token, now);
    if (claims)
      return "accepted";
    EXPECT_TRUE(bsm::is(claims.error(), errc::unauthenticated));
    return bsm::render(claims.error());
  }

  static bool refused_at_make(jwt_verifier_options opts) {
    auto verifier = jwt_verifier::make(std::move(opts));
    return !verifier && bsm::is(verifier.error(), errc::invalid_argument);
  }
};

// -- key selection ------------------------------------------------------------

TEST_F(JwtVerifierKeys, UsesTheKeyThatTheKidNames) {
  auto verifier = rotating();
  EXPECT_EQ(refusal(verifier,
                    hs256_with(old_hmac_key, header_with_kid("HS256", "old"))),
            "accepted");
  EXPECT_EQ(refusal(verifier,
                    hs256_with(new_hmac_key, header_with_kid("HS256", "new"))),
            "accepted");
}

TEST_F(JwtVerifierKeys, TriesNoOtherKeyWhenTheKidNamesOne) {
  // Signed with the old key but naming the new one: the old key is not
  // tried, so the token is refused.
  auto token = hs256_with(old_hmac_key, header_with_kid("HS256", "new"));
  EXPECT_NE(refusal(rotating(), token).find("signature does not match"),
            std::string::npos);
}

TEST_F(JwtVerifierKeys, RefusesAnUnknownKid) {
  auto verifier = rotating();
  for (const char* kid : {"older", "", "OLD", "../keys/old"}) {
    auto token = hs256_with(old_hmac_key, header_with_kid("HS256", kid));
    EXPECT_NE(refusal(verifier, token).find("kid names no configured key"),
              std::string::npos)
      << kid;
  }
}

TEST_F(JwtVerifierKeys, RefusesAKidOfAnotherAlgorithm) {
  // "old" is an HS256 key; an RS256 token may not borrow it.
  auto token = keys().token(jwt_algorithm::rs256,
                            header_with_kid("RS256", "old"), payload(), "");
  EXPECT_NE(refusal(rotating(), token).find("kid names no configured key"),
            std::string::npos);
}

TEST_F(JwtVerifierKeys, RefusesAKidThatIsNotAString) {
  auto verifier = rotating();
  for (const json& kid : {json(1), json(nullptr), json::array({"old"})}) {
    auto token = hs256_with(old_hmac_key, header_with_kid("HS256", kid));
    EXPECT_NE(refusal(verifier, token).find("kid is not a string"),
              std::string::npos)
      << kid.dump();
  }
}

TEST_F(JwtVerifierKeys, TriesEveryKeyOfItsAlgorithmWithoutAKid) {
  auto verifier = rotating();
  EXPECT_EQ(refusal(verifier, hs256_with(old_hmac_key, header("HS256"))),
            "accepted");
  EXPECT_EQ(refusal(verifier, hs256_with(new_hmac_key, header("HS256"))),
            "accepted");
  EXPECT_EQ(refusal(verifier, keys().token(jwt_algorithm::rs256,
                                           header("RS256"), payload(), "")),
            "accepted");
  EXPECT_NE(refusal(verifier, hs256_with(hmac_key, header("HS256")))
              .find("signature does not match"),
            std::string::npos);
}

TEST_F(JwtVerifierKeys, RefusesAnEmptyKidEvenForKeysWithoutOne) {
  auto token = keys().token(jwt_algorithm::rs256, header_with_kid("RS256", ""),
                            payload(), "");
  EXPECT_NE(refusal(rotating(), token).find("kid names no configured key"),
            std::string::npos);
}

TEST_F(JwtVerifierKeys, RefusesAKidWhenTheKeysOfItsAlgorithmHaveNone) {
  // The RS256 key has no kid, so a token naming one finds no key.
  auto token = keys().token(jwt_algorithm::rs256,
                            header_with_kid("RS256", "rsa-1"), payload(), "");
  EXPECT_NE(refusal(rotating(), token).find("kid names no configured key"),
            std::string::npos);
}

// -- construction -------------------------------------------------------------

TEST_F(JwtVerifierKeys, RefusesMoreThanFourKeysForOneAlgorithm) {
  auto opts = only(jwt_algorithm::hs256);
  opts.keys.clear();
  for (size_t i = 0; i < jwt_verifier::max_keys_per_algorithm; ++i)
    opts.keys.push_back({jwt_algorithm::hs256, "k" + std::to_string(i),
                         hmac_key + std::to_string(i)});
  EXPECT_TRUE(jwt_verifier::make(opts));
  opts.keys.push_back({jwt_algorithm::hs256, "k9", hmac_key + "9"});
  EXPECT_TRUE(refused_at_make(opts));
}

TEST_F(JwtVerifierKeys, RefusesARepeatedKid) {
  auto opts = all_algorithms();
  opts.keys = {{jwt_algorithm::hs256, "one", old_hmac_key},
               {jwt_algorithm::rs256, "one", keys().rsa_public_pem()},
               {jwt_algorithm::es256, "", keys().ec_public_pem()}};
  EXPECT_TRUE(refused_at_make(opts));
  opts.keys[1].kid = "two";
  EXPECT_TRUE(jwt_verifier::make(opts));
}

TEST_F(JwtVerifierKeys, RefusesAShortHmacKeyAmongSeveral) {
  auto opts = only(jwt_algorithm::hs256);
  opts.keys.push_back({jwt_algorithm::hs256, "short", "too short"});
  auto verifier = jwt_verifier::make(opts);
  ASSERT_FALSE(verifier);
  EXPECT_EQ(bsm::render(verifier.error()).find("too short"), std::string::npos);
}

// -- header and payload shapes ------------------------------------------------

TEST_F(JwtVerifierKeys, RefusesHeadersThatCarryOrPointToAKey) {
  auto verifier = make();
  for (const char* name : {"jku", "x5u", "jwk", "x5c"}) {
    auto head = header("HS256");
    head[name] = std::string{"https://attacker.test/"} + name;
    auto message = refusal(verifier, hs256_with(hmac_key, head));
    EXPECT_NE(message.find(std::string{"header has "} + name),
              std::string::npos)
      << message;
    expect_refused(hs256_with(hmac_key, head));
  }
}

TEST_F(JwtVerifierKeys, RefusesARepeatedHeaderName) {
  // {"alg":"HS256","alg":"none"} and friends: parsers disagree on which
  // copy wins.
  auto verifier = make();
  for (const char* text : {R"({"alg":"HS256","typ":"JWT","alg":"HS256"})",
                           R"({"alg":"HS256","kid":"a","kid":"b"})"}) {
    auto input
      = base64url_encode(text) + "." + base64url_encode(payload().dump());
    auto sig = keys().sign(jwt_algorithm::hs256, input, hmac_key);
    auto message = refusal(verifier, input + "." + base64url_encode(sig));
    EXPECT_NE(message.find("unique names"), std::string::npos) << message;
  }
}

TEST_F(JwtVerifierKeys, RefusesARepeatedClaimNameAtAnyDepth) {
  auto verifier = make();
  auto good = payload().dump();
  ASSERT_EQ(good.back(), '}');
  for (std::string extra : {R"(,"sub":"mallory")", R"(,"exp":9999999999)",
                            R"(,"ext":{"a":1,"a":2})",
                            R"(,"ext":[{"a":1},{"a":2,"b":{"a":3,"a":4}}])"}) {
    auto text = good.substr(0, good.size() - 1) + extra + "}";
    auto input
      = base64url_encode(header("HS256").dump()) + "." + base64url_encode(text);
    auto sig = keys().sign(jwt_algorithm::hs256, input, hmac_key);
    auto message = refusal(verifier, input + "." + base64url_encode(sig));
    EXPECT_NE(message.find("unique names"), std::string::npos)
      << extra << ": " << message;
  }
}

TEST_F(JwtVerifierKeys, RefusesADeeplyNestedHeaderBeforeAnySignatureCheck) {
  // What fits in 8 KiB: thousands of levels, read before the signature is
  // checked, so anyone can send it.
  auto verifier = make();
  for (const auto& [open, close] :
       {std::pair{std::string{"["}, std::string{"]"}},
        std::pair{std::string{"{\"a\":"}, std::string{"}"}}}) {
    // base64url grows text by 4/3; leave room for the other two parts.
    auto depth = (8 * 1024 - 16) * 3 / 4 / (open.size() + close.size());
    std::string text;
    for (size_t i = 0; i < depth; ++i)
      text += open;
    for (size_t i = 0; i < depth; ++i)
      text += close;
    auto token = base64url_encode(text) + ".e30.c2ln";
    ASSERT_LE(token.size(), jwt_verifier::max_token_size);
    auto message = refusal(verifier, token);
    EXPECT_NE(message.find("header"), std::string::npos) << message;
  }
}

TEST_F(JwtVerifierKeys, AcceptsTheSameNameInSeparateObjects) {
  auto body = payload();
  body["ext"] = {{{"a", 1}}, {{"a", 2}}, {{"sub", {{"a", 3}}}}};
  auto token
    = keys().token(jwt_algorithm::hs256, header("HS256"), body, hmac_key);
  EXPECT_EQ(refusal(make(), token), "accepted");
}

} // namespace
