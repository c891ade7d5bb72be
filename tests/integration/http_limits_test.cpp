// Issue 15, "Found from outside": every byte an HTTP client can make the
// node hold counts against a limit. Each hostile request is sent to a real
// bsmd over a raw socket, up to 64 MiB in a bounded loop that stops when
// the node answers or closes; the answer must carry the right status and
// the node's resident memory must stay far below what was sent.

#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "http_client.hpp"
#include "raw_flood.hpp"
#include "test_node.hpp"
#include "tests/common/temp_dir.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::test::flood;
using bsm::test::flood_result;
using bsm::test::resident_bytes;
using bsm::test::temp_dir;
using bsm::test::test_node;

constexpr uint64_t sent_at_most = 64ull << 20;
// Far below what a node that held the flood would hold (64 MiB and more).
// Far below what a flood sends (64 MiB), with room for the allocator.
constexpr uint64_t growth_allowed = 32ull << 20;

const std::string chunked_head
  = "POST /v1/actors/node_info/messages HTTP/1.1\r\n"
    "Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
    "Transfer-Encoding: chunked\r\n\r\n";

class HttpLimits : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<temp_dir>();
    // A long read timeout: a node without the limits would keep reading
    // the whole flood instead of timing the request out.
    node_ = std::make_unique<test_node>(
      dir_->path(), dir_->path() / "data",
      std::vector<std::string>{"http.read_timeout=120s"});
  }

  static void TearDownTestSuite() {
    node_->stop();
    node_.reset();
    dir_.reset();
  }

  void SetUp() override {
    ASSERT_NE(node_->port(), 0) << "bsmd did not listen; stderr:\n"
                                << node_->proc().err();
    rss_before_ = resident_bytes(node_->proc().pid());
    ASSERT_GT(rss_before_, 0u);
  }

  /// Floods, then checks the node's memory and that it still serves.
  flood_result flood_node(const std::string& head, const std::string& filler) {
    auto result = flood(node_->port(), head, filler, sent_at_most);
    auto rss_after = resident_bytes(node_->proc().pid());
    EXPECT_LT(rss_after, rss_before_ + growth_allowed)
      << "RSS grew from " << rss_before_ << " to " << rss_after << " after "
      << result.sent << " bytes sent";
    auto health = bsm::test::get(node_->port(), "/healthz");
    EXPECT_TRUE(health && health->status == 200) << bsm::test::describe(health);
    return result;
  }

  static inline std::unique_ptr<temp_dir> dir_;
  static inline std::unique_ptr<test_node> node_;
  uint64_t rss_before_ = 0;
};

/// The one answer of `result` has `status` and API.md's `code`, and the
/// node closed the connection after it.
::testing::AssertionResult refused(const flood_result& result, int status,
                                   const std::string& code) {
  if (result.responses.size() != 1)
    return ::testing::AssertionFailure()
           << result.responses.size() << " responses after " << result.sent
           << " bytes; raw reply: " << result.reply.substr(0, 500);
  const auto& res = result.responses.front();
  if (res.status != status)
    return ::testing::AssertionFailure() << "status " << res.status << ", want "
                                         << status << ": " << res.body;
  if (res.body.find("\"code\":\"" + code + "\"") == std::string::npos)
    return ::testing::AssertionFailure()
           << "no code " << code << ": " << res.body;
  if (!res.close)
    return ::testing::AssertionFailure() << "no Connection: close";
  if (!result.closed)
    return ::testing::AssertionFailure() << "the connection stayed open";
  return ::testing::AssertionSuccess();
}

TEST_F(HttpLimits, EndlessChunkExtensionIs400WithoutHoldingIt) {
  auto result
    = flood_node(chunked_head + "1;ext=", std::string(64 * 1024, 'a'));
  EXPECT_TRUE(refused(result, 400, "invalid_argument"));
  EXPECT_LT(result.sent, sent_at_most) << "the node read all of it";
}

TEST_F(HttpLimits, EndlessTrailerIs431WithoutHoldingIt) {
  auto result = flood_node(chunked_head + "2\r\n{}\r\n0\r\nX-Trailer: ",
                           std::string(64 * 1024, 't'));
  EXPECT_TRUE(refused(result, 431, "headers_too_large"));
  EXPECT_LT(result.sent, sent_at_most) << "the node read all of it";
}

TEST_F(HttpLimits, ManyTrailerLinesOverTheHeaderLimitAre431) {
  std::string lines;
  for (int i = 0; i < 1000; ++i)
    lines += "X-T" + std::to_string(i) + ": " + std::string(40, 'v') + "\r\n";
  auto result = flood_node(chunked_head + "2\r\n{}\r\n0\r\n", lines);
  EXPECT_TRUE(refused(result, 431, "headers_too_large"));
}

TEST_F(HttpLimits, EndlessRequestLineIs414) {
  auto result = flood_node("GET /healthz?pad=", std::string(64 * 1024, 'u'));
  EXPECT_TRUE(refused(result, 414, "uri_too_long"));
}

TEST_F(HttpLimits, EndlessHeaderIs431) {
  auto result
    = flood_node("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ",
                 std::string(64 * 1024, 'h'));
  EXPECT_TRUE(refused(result, 431, "headers_too_large"));
}

TEST_F(HttpLimits, ChunkedBodyCountsItsDecodedBytesAndIs413) {
  // Small chunks, each under the limit, endlessly: their sum is the body.
  std::ostringstream chunk;
  chunk << std::hex << 4096 << "\r\n" << std::string(4096, 'b') << "\r\n";
  auto result = flood_node(chunked_head, chunk.str());
  EXPECT_TRUE(refused(result, 413, "payload_too_large"));
}

TEST_F(HttpLimits, BytesAfterAServedRequestAreBoundedToo) {
  // A whole request, then an endless one on the same connection.
  auto served = bsm::test::make_request("GET", "/healthz");
  auto result = flood_node(served + "GET /healthz HTTP/1.1\r\nX-Pad: ",
                           std::string(64 * 1024, 'p'));
  ASSERT_EQ(result.responses.size(), 2u) << result.reply.substr(0, 500);
  EXPECT_EQ(result.responses[0].status, 200) << result.responses[0].body;
  EXPECT_EQ(result.responses[1].status, 431) << result.responses[1].body;
  EXPECT_TRUE(result.closed);
  EXPECT_LT(result.sent, sent_at_most) << "the node read all of it";
}

TEST_F(HttpLimits, ChunkedRequestWithSmallExtensionAndTrailerIsServed) {
  const std::string body
    = R"({"type":"bsm.v1.PingRequest","payload":{"sequence":"7"},"mode":"ask"})";
  std::ostringstream bytes;
  bytes << chunked_head << std::hex << body.size() << ";name=value\r\n"
        << body << "\r\n0;last=1\r\nX-Checksum: abc\r\n\r\n";
  bsm::test::http_connection conn{node_->port()};
  ASSERT_TRUE(conn.connected()) << conn.error();
  ASSERT_TRUE(conn.send(bytes.str())) << conn.error();
  auto res = conn.read_response(10s);
  ASSERT_TRUE(res && res->status == 200) << bsm::test::describe(res);
  EXPECT_NE(res->body.find("\"sequence\":\"7\""), std::string::npos)
    << res->body;
  // The connection stays usable.
  ASSERT_TRUE(conn.send(bsm::test::make_request("GET", "/healthz")));
  auto next = conn.read_response(10s);
  EXPECT_TRUE(next && next->status == 200) << bsm::test::describe(next);
}

} // namespace
