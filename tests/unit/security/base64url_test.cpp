#include "runtime/security/base64url.hpp"

#include <gtest/gtest.h>

namespace {

using bsm::security::base64url_decode;
using bsm::security::base64url_encode;

TEST(Base64url, EncodesTheRfc4648VectorsWithoutPadding) {
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
  EXPECT_EQ(base64url_encode("fooba"), "Zm9vYmE");
  EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
}

TEST(Base64url, UsesTheUrlSafeAlphabet) {
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url_decode("-_8"), std::string("\xfb\xff"));
}

TEST(Base64url, RoundTripsEveryByteValue) {
  std::string all;
  for (int i = 0; i < 256; ++i)
    all.push_back(static_cast<char>(i));
  for (size_t length = 0; length <= all.size(); length += 7) {
    auto part = all.substr(all.size() - length);
    EXPECT_EQ(base64url_decode(base64url_encode(part)), part);
  }
}

TEST(Base64url, RefusesPadding) {
  EXPECT_FALSE(base64url_decode("Zg=="));
  EXPECT_FALSE(base64url_decode("Zg="));
  EXPECT_FALSE(base64url_decode("Zm9v===="));
}

TEST(Base64url, RefusesTheStandardAlphabetsPlusAndSlash) {
  EXPECT_FALSE(base64url_decode("Zm+v"));
  EXPECT_FALSE(base64url_decode("Zm/v"));
}

TEST(Base64url, RefusesWhitespaceAndOtherBytes) {
  EXPECT_FALSE(base64url_decode("Zm9 v"));
  EXPECT_FALSE(base64url_decode("Zm9v\n"));
  EXPECT_FALSE(base64url_decode("\tZm9v"));
  EXPECT_FALSE(base64url_decode(std::string("Zm\0v", 4)));
  EXPECT_FALSE(base64url_decode("Zm9v\xc3\xa9"));
  EXPECT_FALSE(base64url_decode("Zm9v."));
}

TEST(Base64url, RefusesALengthThatLeavesSixBits) {
  EXPECT_FALSE(base64url_decode("Z"));
  EXPECT_FALSE(base64url_decode("Zm9vY"));
}

TEST(Base64url, RefusesNonZeroTrailingBits) {
  // "Zg" is "f"; 'h' sets a bit below the last whole byte.
  EXPECT_TRUE(base64url_decode("Zg"));
  EXPECT_FALSE(base64url_decode("Zh"));
  // "Zm8" is "fo"; '9' sets a bit below the last whole byte.
  EXPECT_TRUE(base64url_decode("Zm8"));
  EXPECT_FALSE(base64url_decode("Zm9"));
}

TEST(Base64url, DecodesTheEmptyText) {
  EXPECT_EQ(base64url_decode(""), std::string{});
}

} // namespace

namespace {

using bsm::security::base64_unpadded_decode;
using bsm::security::base64_unpadded_encode;

TEST(Base64Unpadded, UsesTheStandardAlphabetWithoutPadding) {
  EXPECT_EQ(base64_unpadded_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_unpadded_encode("f"), "Zg");
  EXPECT_EQ(base64_unpadded_encode("\xfb\xff"), "+/8");
  EXPECT_EQ(base64_unpadded_decode("+/8"), std::string("\xfb\xff"));
}

TEST(Base64Unpadded, IsAsStrictAsBase64url) {
  EXPECT_FALSE(base64_unpadded_decode("-_8"));
  EXPECT_FALSE(base64_unpadded_decode("Zg=="));
  EXPECT_FALSE(base64_unpadded_decode("Zh"));
  EXPECT_FALSE(base64_unpadded_decode("Zm9v Zg"));
  EXPECT_FALSE(base64_unpadded_decode("Z"));
}

} // namespace
