#include "runtime/http/read_limits.hpp"

#include <gtest/gtest.h>

#include <boost/beast/http/error.hpp>

namespace {

namespace bhttp = boost::beast::http;
using bsm::http::drop_trailers;
using bsm::http::field_count;
using bsm::http::framing_limits;
using bsm::http::read_buffer_bytes;
using bsm::http::read_stage;
using bsm::http::refusal_for;
using bsm::http::request_header;
using bsm::http::starts_with_last_chunk;

const framing_limits limits{};

TEST(ReadLimits, BufferHoldsTheRequestLineAndHeadersAtTheirLimits) {
  EXPECT_EQ(read_buffer_bytes(limits),
            limits.max_header_bytes + limits.max_uri_bytes);
}

TEST(ReadLimits, AnEndlessRequestLineIs414) {
  for (auto ec : {bhttp::error::header_limit, bhttp::error::buffer_overflow}) {
    auto why = refusal_for(ec, read_stage::request_line, "GET /aaaa", limits);
    EXPECT_EQ(why.status, bhttp::status::uri_too_long);
    EXPECT_EQ(why.code, "uri_too_long");
  }
}

TEST(ReadLimits, EndlessHeadersAre431) {
  auto why = refusal_for(bhttp::error::header_limit, read_stage::headers,
                         "X-Pad: bbbb", limits);
  EXPECT_EQ(why.status, bhttp::status::request_header_fields_too_large);
  EXPECT_EQ(why.code, "headers_too_large");
}

TEST(ReadLimits, AnEndlessChunkExtensionIs400) {
  auto why = refusal_for(bhttp::error::buffer_overflow, read_stage::body,
                         "\r\n1;ext=aaaaaaaaaaaa", limits);
  EXPECT_EQ(why.status, bhttp::status::bad_request);
  EXPECT_EQ(why.code, "invalid_argument");
  EXPECT_NE(why.message.find("chunk-size line"), std::string::npos)
    << why.message;
}

TEST(ReadLimits, EndlessTrailersAre431) {
  auto why = refusal_for(bhttp::error::buffer_overflow, read_stage::body,
                         "\r\n0;x=1\r\nX-Trailer: cccccccc", limits);
  EXPECT_EQ(why.status, bhttp::status::request_header_fields_too_large);
  EXPECT_NE(why.message.find("trailers"), std::string::npos) << why.message;
}

TEST(ReadLimits, AChunkedBodyOverItsLimitIs413) {
  auto why
    = refusal_for(bhttp::error::body_limit, read_stage::body, "", limits);
  EXPECT_EQ(why.status, bhttp::status::payload_too_large);
  EXPECT_EQ(why.code, "payload_too_large");
}

TEST(ReadLimits, OtherParseErrorsAre400) {
  auto why = refusal_for(bhttp::error::bad_chunk, read_stage::body, "", limits);
  EXPECT_EQ(why.status, bhttp::status::bad_request);
  EXPECT_NE(why.message.find("malformed request"), std::string::npos);
}

TEST(ReadLimits, TellsTheLastChunkFromOtherChunkLines) {
  EXPECT_TRUE(starts_with_last_chunk("0\r\nX-T: 1"));
  EXPECT_TRUE(starts_with_last_chunk("\r\n000;a=b\r\n"));
  EXPECT_FALSE(starts_with_last_chunk("\r\n0"));
  EXPECT_FALSE(starts_with_last_chunk("10\r\n"));
  EXPECT_FALSE(starts_with_last_chunk("01;a\r\n"));
  EXPECT_FALSE(starts_with_last_chunk(";a\r\n"));
  EXPECT_FALSE(starts_with_last_chunk(""));
}

request_header chunked_post() {
  request_header h;
  h.method(bhttp::verb::post);
  h.target("/v1/x");
  h.version(11);
  h.set(bhttp::field::host, "127.0.0.1");
  h.set(bhttp::field::transfer_encoding, "chunked");
  return h;
}

request_header with_trailers(std::string value) {
  auto h = chunked_post();
  h.insert(bhttp::field::host, "evil");
  h.insert("X-Trailer", value);
  return h;
}

TEST(ReadLimits, TrailersAreDroppedSoOnlyTheHeaderSectionCounts) {
  auto h = with_trailers("small");
  EXPECT_FALSE(drop_trailers(h, chunked_post(), limits));
  EXPECT_EQ(field_count(h), 2u);
  EXPECT_EQ(h[bhttp::field::host], "127.0.0.1");
  EXPECT_EQ(h.count("X-Trailer"), 0u);
  EXPECT_EQ(h.count(bhttp::field::host), 1u);
}

TEST(ReadLimits, HeadersAndTrailersOverTheHeaderLimitAre431) {
  auto h = with_trailers(std::string(limits.max_header_bytes, 't'));
  auto why = drop_trailers(h, chunked_post(), limits);
  ASSERT_TRUE(why);
  EXPECT_EQ(why->status, bhttp::status::request_header_fields_too_large);
  EXPECT_EQ(field_count(h), 2u);
}

TEST(ReadLimits, NoTrailersLeaveTheHeaderAlone) {
  auto h = chunked_post();
  h.set("X-Kept", "x");
  auto section = h;
  EXPECT_FALSE(drop_trailers(h, section, limits));
  EXPECT_EQ(field_count(h), 3u);
  EXPECT_EQ(h["X-Kept"], "x");
}

} // namespace
