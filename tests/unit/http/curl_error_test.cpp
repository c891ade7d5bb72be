#include "runtime/http/curl_error.hpp"

#include <gtest/gtest.h>

namespace {

using bsm::errc;
using bsm::http::curl_error_code;
using bsm::http::curl_error_text;

TEST(CurlError, TimeoutIsDeadlineExceeded) {
  EXPECT_EQ(curl_error_code(CURLE_OPERATION_TIMEDOUT), errc::deadline_exceeded);
}

TEST(CurlError, ConnectionFailuresAreUnavailable) {
  for (auto rc :
       {CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST,
        CURLE_COULDNT_RESOLVE_PROXY, CURLE_SEND_ERROR, CURLE_RECV_ERROR,
        CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_SSL_CONNECT_ERROR})
    EXPECT_EQ(curl_error_code(rc), errc::unavailable) << rc;
}

TEST(CurlError, BadUrlsAreInvalidArguments) {
  EXPECT_EQ(curl_error_code(CURLE_URL_MALFORMAT), errc::invalid_argument);
  EXPECT_EQ(curl_error_code(CURLE_UNSUPPORTED_PROTOCOL),
            errc::invalid_argument);
}

TEST(CurlError, AnythingElseIsInternal) {
  for (auto rc : {CURLE_WRITE_ERROR, CURLE_OUT_OF_MEMORY,
                  CURLE_PEER_FAILED_VERIFICATION, CURLE_ABORTED_BY_CALLBACK})
    EXPECT_EQ(curl_error_code(rc), errc::internal) << rc;
}

TEST(CurlError, TextPrefersTheErrorBuffer) {
  EXPECT_EQ(curl_error_text(CURLE_COULDNT_CONNECT, "Connection refused"),
            "Connection refused");
  EXPECT_EQ(curl_error_text(CURLE_COULDNT_CONNECT, ""),
            curl_easy_strerror(CURLE_COULDNT_CONNECT));
}

} // namespace
