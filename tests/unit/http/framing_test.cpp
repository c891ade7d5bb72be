#include "runtime/http/framing.hpp"

#include <gtest/gtest.h>

namespace {

namespace bhttp = boost::beast::http;
using bsm::http::check_header;
using bsm::http::framing_limits;
using bsm::http::request_header;

request_header get(std::string target = "/v1/actors") {
  request_header h;
  h.method(bhttp::verb::get);
  h.target(target);
  h.version(11);
  h.set(bhttp::field::host, "127.0.0.1");
  return h;
}

TEST(Framing, AcceptsAPlainRequest) {
  EXPECT_FALSE(check_header(get(), std::nullopt, framing_limits{}));
}

TEST(Framing, RefusesAMissingHostOnHttp11Only) {
  auto h = get();
  h.erase(bhttp::field::host);
  auto why = check_header(h, std::nullopt, framing_limits{});
  ASSERT_TRUE(why);
  EXPECT_EQ(why->status, bhttp::status::bad_request);
  EXPECT_NE(why->message.find("Host"), std::string::npos);
  h.version(10);
  EXPECT_FALSE(check_header(h, std::nullopt, framing_limits{}));
}

TEST(Framing, RefusesTwoHosts) {
  auto h = get();
  h.insert(bhttp::field::host, "other");
  EXPECT_TRUE(check_header(h, std::nullopt, framing_limits{}));
}

TEST(Framing, RefusesContentLengthWithTransferEncoding) {
  auto h = get();
  h.set(bhttp::field::transfer_encoding, "chunked");
  h.set(bhttp::field::content_length, "5");
  auto why = check_header(h, 5, framing_limits{});
  ASSERT_TRUE(why);
  EXPECT_EQ(why->code, "invalid_argument");
}

TEST(Framing, RefusesATransferEncodingThatDoesNotEndInChunked) {
  auto h = get();
  h.set(bhttp::field::transfer_encoding, "chunked, gzip");
  EXPECT_TRUE(check_header(h, std::nullopt, framing_limits{}));
  h.set(bhttp::field::transfer_encoding, "gzip");
  EXPECT_TRUE(check_header(h, std::nullopt, framing_limits{}));
  h.set(bhttp::field::transfer_encoding, "Chunked");
  EXPECT_FALSE(check_header(h, std::nullopt, framing_limits{}));
}

TEST(Framing, RefusesControlCharactersInHeaderValues) {
  auto h = get();
  h.set("X-Test", std::string{"a\x01"
                              "b"});
  EXPECT_TRUE(check_header(h, std::nullopt, framing_limits{}));
  h.set("X-Test", "a\tb");
  EXPECT_FALSE(check_header(h, std::nullopt, framing_limits{}));
}

TEST(Framing, TellsALongUriFromLargeHeaders) {
  framing_limits limits;
  limits.max_uri_bytes = 300;
  limits.max_header_bytes = 1024;
  auto why
    = check_header(get("/" + std::string(400, 'a')), std::nullopt, limits);
  ASSERT_TRUE(why);
  EXPECT_EQ(why->status, bhttp::status::uri_too_long);
  auto h = get();
  h.set("X-Big", std::string(2000, 'b'));
  why = check_header(h, std::nullopt, limits);
  ASSERT_TRUE(why);
  EXPECT_EQ(why->status, bhttp::status::request_header_fields_too_large);
}

TEST(Framing, RefusesADeclaredBodyOverTheLimit) {
  framing_limits limits;
  limits.max_body_bytes = 1024;
  EXPECT_FALSE(check_header(get(), 1024, limits));
  auto why = check_header(get(), 1025, limits);
  ASSERT_TRUE(why);
  EXPECT_EQ(why->status, bhttp::status::payload_too_large);
  EXPECT_EQ(why->code, "payload_too_large");
}

TEST(Framing, FindsTheLastTransferCoding) {
  EXPECT_EQ(bsm::http::last_transfer_coding("gzip, Chunked "), "chunked");
  EXPECT_EQ(bsm::http::last_transfer_coding("gzip"), "gzip");
  EXPECT_EQ(bsm::http::last_transfer_coding(" , "), "");
}

} // namespace

TEST(Framing, RefusesAMalformedHost) {
  for (const char* bad : {"bad host", "a/b", "h:port", "h:123456", "[::1",
                          "[zz::1]", "[::1]x", "h@x"}) {
    auto h = get();
    h.set(bhttp::field::host, bad);
    auto why = check_header(h, std::nullopt, framing_limits{});
    ASSERT_TRUE(why) << bad;
    EXPECT_EQ(why->status, bhttp::status::bad_request) << bad;
  }
}

TEST(Framing, AcceptsHostsOfEveryForm) {
  for (const char* good : {"127.0.0.1", "localhost:8080", "[::1]:80", "[::1]",
                           "node-a.example.com", "xn--bcher-kva.example", ""}) {
    auto h = get();
    h.set(bhttp::field::host, good);
    EXPECT_FALSE(check_header(h, std::nullopt, framing_limits{})) << good;
  }
}

TEST(Framing, AbsoluteFormTargetsHaveTheirOriginForm) {
  using bsm::http::origin_form;
  EXPECT_EQ(origin_form("http://127.0.0.1:8080/healthz"), "/healthz");
  EXPECT_EQ(origin_form("HTTPS://h/v1/agents?limit=2"), "/v1/agents?limit=2");
  EXPECT_EQ(origin_form("http://h"), "/");
  EXPECT_EQ(origin_form("http://h?x=1"), "/?x=1");
  EXPECT_FALSE(origin_form("/healthz"));
  EXPECT_FALSE(origin_form("ftp://h/x"));
  EXPECT_FALSE(origin_form("*"));
}

TEST(Framing, ATimedOutRequestIs408) {
  auto why = bsm::http::request_timeout_rejection(std::chrono::seconds{10});
  EXPECT_EQ(why.status, bhttp::status::request_timeout);
  EXPECT_EQ(why.code, "request_timeout");
  EXPECT_NE(why.message.find("http.read_timeout"), std::string::npos);
}
