#include "runtime/security/password_hash.hpp"

#include <string>

#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "runtime/security/base64url.hpp"

namespace {

using bsm::errc;
using bsm::security::base64_unpadded_encode;
using bsm::security::hash_password;
using bsm::security::password_hash_limits;
using bsm::security::password_hash_params;
using bsm::security::password_kdf;
using bsm::security::verify_password;

const std::string password = "correct horse battery staple";

// Computed with Python's hashlib (an independent implementation):
//   salt = b"bsm-test-salt-16"
//   hashlib.scrypt(password, salt=salt, n=2**4, r=8, p=1, dklen=32)
//   hashlib.scrypt(password, salt=salt, n=2**10, r=4, p=2, dklen=32)
//   hashlib.pbkdf2_hmac("sha256", password, salt, 1000, 32)
// each as standard base64 without padding.
const std::string python_scrypt = "$scrypt$ln=4,r=8,p=1$YnNtLXRlc3Qtc2FsdC0xNg$"
                                  "D0a6vIre8hyw05u4qQhQRzl4L6aglmM8Je4nKYfYOoA";
const std::string python_scrypt_r4_p2
  = "$scrypt$ln=10,r=4,p=2$YnNtLXRlc3Qtc2FsdC0xNg$"
    "EPutDLa3C071b5xm88zwGZ+yXEcrWNtiSTHLZgSOAHc";
const std::string python_pbkdf2
  = "$pbkdf2-sha256$i=1000$YnNtLXRlc3Qtc2FsdC0xNg$"
    "ayMj8KMyvcZkXGuzjdec9b8zalvZ+4o5b2YcarF0Q3c";

/// Small parameters: the unit tests stay fast, the code paths are the same.
password_hash_params fast_scrypt() {
  password_hash_params params;
  params.scrypt_ln = 4;
  return params;
}

password_hash_params fast_pbkdf2() {
  password_hash_params params;
  params.kdf = password_kdf::pbkdf2_sha256;
  params.pbkdf2_iterations = 1000;
  return params;
}

std::string hashed(const std::string& secret, password_hash_params params) {
  auto phc = hash_password(secret, params);
  if (!phc)
    throw std::runtime_error(bsm::render(phc.error()));
  return *phc;
}

/// True if `phc` is refused as invalid_argument without echoing the password.
bool malformed(const std::string& phc) {
  auto result = verify_password(password, phc);
  if (result)
    return false;
  EXPECT_EQ(bsm::render(result.error()).find(password), std::string::npos);
  return bsm::is(result.error(), errc::invalid_argument);
}

TEST(PasswordHash, VerifiesKnownVectorsFromPython) {
  EXPECT_EQ(verify_password(password, python_scrypt), true);
  EXPECT_EQ(verify_password(password, python_scrypt_r4_p2), true);
  EXPECT_EQ(verify_password(password, python_pbkdf2), true);
  EXPECT_EQ(verify_password("Correct horse battery staple", python_scrypt),
            false);
  EXPECT_EQ(verify_password("", python_pbkdf2), false);
}

TEST(PasswordHash, RoundTripsWithEachFunction) {
  for (const auto& params : {fast_scrypt(), fast_pbkdf2()}) {
    auto phc = hashed(password, params);
    EXPECT_EQ(verify_password(password, phc), true) << phc;
    EXPECT_EQ(verify_password(password + " ", phc), false) << phc;
    EXPECT_EQ(verify_password("", phc), false) << phc;
  }
}

TEST(PasswordHash, WritesThePhcFormatWithA16ByteSaltAndA32ByteHash) {
  auto phc = hashed(password, fast_scrypt());
  const std::string prefix = "$scrypt$ln=4,r=8,p=1$";
  ASSERT_EQ(phc.rfind(prefix, 0), 0u) << phc;
  // 16 bytes are 22 characters and 32 bytes 43 in unpadded base64.
  auto salt_start = prefix.size();
  auto hash_start = phc.find('$', salt_start) + 1;
  EXPECT_EQ(hash_start - salt_start - 1, 22u) << phc;
  EXPECT_EQ(phc.size() - hash_start, 43u) << phc;
  EXPECT_EQ(hashed(password, fast_pbkdf2()).rfind("$pbkdf2-sha256$i=1000$", 0),
            0u);
}

TEST(PasswordHash, UsesAFreshSaltEachTime) {
  auto first = hashed(password, fast_scrypt());
  auto second = hashed(password, fast_scrypt());
  EXPECT_NE(first, second);
  EXPECT_EQ(verify_password(password, second), true);
}

TEST(PasswordHash, DefaultsAreProductionStrength) {
  password_hash_params defaults;
  EXPECT_EQ(defaults.kdf, password_kdf::scrypt);
  EXPECT_EQ(defaults.scrypt_ln, 15u);
  EXPECT_EQ(defaults.scrypt_r, 8u);
  EXPECT_EQ(defaults.scrypt_p, 1u);
  EXPECT_GE(defaults.pbkdf2_iterations, 600'000u);
  EXPECT_FALSE(validate(defaults));
}

TEST(PasswordHash, RefusesATamperedSaltOrHash) {
  for (const auto& phc : {python_scrypt, python_pbkdf2}) {
    auto hash_start = phc.rfind('$') + 1;
    auto salt_start = phc.rfind('$', hash_start - 2) + 1;
    for (auto at : {salt_start, salt_start + 5, hash_start, hash_start + 20}) {
      auto tampered = phc;
      tampered[at] = tampered[at] == 'A' ? 'B' : 'A';
      EXPECT_EQ(verify_password(password, tampered), false) << tampered;
    }
  }
}

TEST(PasswordHash, RefusesMalformedStrings) {
  const std::string salt = "$YnNtLXRlc3Qtc2FsdC0xNg";
  const std::string hash = "$D0a6vIre8hyw05u4qQhQRzl4L6aglmM8Je4nKYfYOoA";
  for (const std::string& phc : {
         std::string{},
         std::string{"plain text"},
         "scrypt$ln=4,r=8,p=1" + salt + hash,
         "$scrypt$ln=4,r=8,p=1" + salt,
         "$scrypt$ln=4,r=8,p=1" + salt + hash + "$",
         "$argon2id$v=19$m=65536,t=3,p=4" + salt + hash,
         "$SCRYPT$ln=4,r=8,p=1" + salt + hash,
         "$scrypt$r=8,ln=4,p=1" + salt + hash,
         "$scrypt$ln=4,r=8" + salt + hash,
         "$scrypt$ln=4,r=8,p=1,x=2" + salt + hash,
         "$scrypt$ln=04,r=8,p=1" + salt + hash,
         "$scrypt$ln=+4,r=8,p=1" + salt + hash,
         "$scrypt$ln=4,r=8,p=" + salt + hash,
         "$scrypt$ln=4 ,r=8,p=1" + salt + hash,
         "$pbkdf2-sha256$rounds=1000" + salt + hash,
         "$pbkdf2-sha256$i=1000,j=1" + salt + hash,
         // base64url, padding, whitespace.
         "$scrypt$ln=4,r=8,p=1" + salt
           + "$D0a6vIre8hyw05u4qQhQRzl4L6aglmM8Je4nKYfYOoA=",
         "$scrypt$ln=4,r=8,p=1" + salt
           + "$D0a6vIre8hyw05u4qQhQRzl4L6aglmM8Je4nKYfYOo-",
         "$scrypt$ln=4,r=8,p=1$YnNt LXRlc3Qtc2FsdC0xNg" + hash,
         // Salt under 8 and hash under 16 bytes.
         "$scrypt$ln=4,r=8,p=1$" + base64_unpadded_encode("1234567") + hash,
         "$scrypt$ln=4,r=8,p=1" + salt + "$" + base64_unpadded_encode("short"),
         "$scrypt$ln=4,r=8,p=1" + salt + hash + std::string(300, 'A'),
       }) {
    EXPECT_TRUE(malformed(phc)) << phc;
  }
}

TEST(PasswordHash, RefusesParametersBeyondTheCapsBeforeAnyWork) {
  const std::string tail
    = "$YnNtLXRlc3Qtc2FsdC0xNg$D0a6vIre8hyw05u4qQhQRzl4L6aglmM8Je4nKYfYOoA";
  // Within the caps the string is well formed (the hash just differs).
  EXPECT_EQ(verify_password(password, "$scrypt$ln=5,r=8,p=1" + tail), false);
  EXPECT_EQ(verify_password(password, "$pbkdf2-sha256$i=2" + tail), false);
  // Beyond them: memory (ln, r), time (p, i), or zero. Computing any of
  // these would take gigabytes or minutes, so a pass here also shows
  // that nothing was computed.
  for (const char* params :
       {"$scrypt$ln=17,r=8,p=1", "$scrypt$ln=30,r=8,p=1",
        "$scrypt$ln=0,r=8,p=1", "$scrypt$ln=16,r=9,p=1",
        "$scrypt$ln=16,r=0,p=1", "$scrypt$ln=16,r=8,p=3",
        "$scrypt$ln=16,r=8,p=999999999", "$scrypt$ln=4,r=8,p=0",
        "$pbkdf2-sha256$i=2000001", "$pbkdf2-sha256$i=999999999",
        "$pbkdf2-sha256$i=0", "$scrypt$ln=4294967297,r=8,p=1"}) {
    EXPECT_TRUE(malformed(std::string{params} + tail)) << params;
  }
}

TEST(PasswordHash, ComputesTheLargestParametersWithinTheCaps) {
  // OpenSSL refuses scrypt above a memory ceiling we pass; the ceiling must
  // cover what the caps allow (64 MiB at ln=16, r=8).
  password_hash_params largest;
  largest.scrypt_ln = password_hash_limits::max_scrypt_ln;
  largest.scrypt_r = password_hash_limits::max_scrypt_r;
  largest.scrypt_p = password_hash_limits::max_scrypt_p;
  auto phc = hashed(password, largest);
  EXPECT_EQ(phc.rfind("$scrypt$ln=16,r=8,p=2$", 0), 0u) << phc;
  EXPECT_EQ(verify_password(password, phc), true);
}

TEST(PasswordHash, HashingRefusesParametersBeyondTheCaps) {
  auto params = fast_scrypt();
  params.scrypt_ln = password_hash_limits::max_scrypt_ln + 1;
  auto result = hash_password(password, params);
  ASSERT_FALSE(result);
  EXPECT_TRUE(bsm::is(result.error(), errc::invalid_argument));
  params = fast_pbkdf2();
  params.pbkdf2_iterations = 0;
  EXPECT_TRUE(validate(params));
  EXPECT_FALSE(hash_password(password, params));
}

TEST(PasswordHash, HandlesPasswordsWithAnyBytes) {
  const std::string odd("p\0ss\xff\xfe word", 11);
  auto phc = hashed(odd, fast_pbkdf2());
  EXPECT_EQ(verify_password(odd, phc), true);
  EXPECT_EQ(verify_password(odd.substr(0, 1), phc), false);
}

} // namespace
