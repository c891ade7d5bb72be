#include "runtime/security/api_key.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>

#include "runtime/error.hpp"

namespace {

using bsm::errc;
using bsm::security::api_key;
using bsm::security::api_key_digest;
using bsm::security::api_key_matches;
using bsm::security::api_key_size;
using bsm::security::generate_api_key;
using bsm::security::parse_api_key;

api_key generated() {
  auto key = generate_api_key();
  if (!key)
    throw std::runtime_error(bsm::render(key.error()));
  return *key;
}

/// True if `text` is refused as invalid_argument without being echoed.
bool refused(const std::string& text) {
  auto id = parse_api_key(text);
  if (id)
    return false;
  if (text.size() >= 8) {
    EXPECT_EQ(bsm::render(id.error()).find(text.substr(4)), std::string::npos);
  }
  return bsm::is(id.error(), errc::invalid_argument);
}

TEST(ApiKey, HasTheDocumentedShape) {
  auto key = generated();
  ASSERT_EQ(key.id.size(), 12u);
  for (char c : key.id)
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << key.id;
  EXPECT_EQ(key.secret.size(), api_key_size);
  EXPECT_EQ(key.secret.rfind("bsm_" + key.id + "_", 0), 0u) << key.secret;
}

TEST(ApiKey, ParsesItsOwnIdBack) {
  for (int i = 0; i < 100; ++i) {
    auto key = generated();
    auto id = parse_api_key(key.secret);
    ASSERT_TRUE(id) << bsm::render(id.error());
    EXPECT_EQ(*id, key.id);
  }
}

TEST(ApiKey, GeneratesDistinctKeysAndIds) {
  std::set<std::string> ids;
  std::set<std::string> secrets;
  for (int i = 0; i < 200; ++i) {
    auto key = generated();
    ids.insert(key.id);
    secrets.insert(key.secret);
  }
  EXPECT_EQ(ids.size(), 200u);
  EXPECT_EQ(secrets.size(), 200u);
}

TEST(ApiKey, UsesTheWholeIdAlphabet) {
  // 62 characters over 200 * 12 draws: each appears (a bias towards a
  // few characters, or a narrower alphabet, would show).
  std::set<char> seen;
  for (int i = 0; i < 200; ++i)
    for (char c : generated().id)
      seen.insert(c);
  EXPECT_EQ(seen.size(), 62u);
}

TEST(ApiKey, RefusesAnythingButTheExactForm) {
  auto good = generated().secret;
  EXPECT_TRUE(refused(""));
  EXPECT_TRUE(refused(good.substr(1)));
  EXPECT_TRUE(refused(good + "A"));
  EXPECT_TRUE(refused(std::string(100'000, 'a')));
  auto changed = [&good](size_t at, char c) {
    auto copy = good;
    copy[at] = c;
    return copy;
  };
  EXPECT_TRUE(refused(changed(0, 'B')));  // prefix
  EXPECT_TRUE(refused(changed(3, '-')));  // prefix separator
  EXPECT_TRUE(refused(changed(4, '_')));  // id charset
  EXPECT_TRUE(refused(changed(10, '-'))); // id charset
  EXPECT_TRUE(refused(changed(15, '.'))); // id charset
  EXPECT_TRUE(refused(changed(16, 'x'))); // separator after the id
  EXPECT_TRUE(refused(changed(30, '+'))); // base64, not base64url
  EXPECT_TRUE(refused(changed(30, '=')));
  EXPECT_TRUE(refused(changed(30, ' ')));
  EXPECT_TRUE(refused("Bearer " + good.substr(7)));
}

TEST(ApiKey, RefusesNonZeroBitsAfterTheLastByte) {
  // 43 characters carry 258 bits for 256: the last character must leave
  // the two spare bits zero, so each key has one spelling.
  auto good = generated().secret;
  auto last = good.back();
  const std::string alphabet
    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  auto value = alphabet.find(last);
  ASSERT_EQ(value % 4, 0u);
  auto spelled = good;
  spelled.back() = alphabet[value + 1];
  EXPECT_TRUE(refused(spelled));
}

TEST(ApiKey, StoresAHexSha256AndMatchesOnlyTheSameSecret) {
  // SHA-256("abc"), FIPS 180-2.
  EXPECT_EQ(api_key_digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto key = generated();
  auto stored = api_key_digest(key.secret);
  EXPECT_EQ(stored.size(), 64u);
  EXPECT_EQ(stored.find(key.secret), std::string::npos);
  EXPECT_TRUE(api_key_matches(key.secret, stored));
  EXPECT_FALSE(api_key_matches(generated().secret, stored));
  auto other = key.secret;
  other.back() = other.back() == 'A' ? 'E' : 'A';
  EXPECT_FALSE(api_key_matches(other, stored));
  EXPECT_FALSE(api_key_matches(key.secret, stored.substr(1)));
  EXPECT_FALSE(api_key_matches(key.secret, ""));
}

} // namespace
