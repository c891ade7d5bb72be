#include "runtime/http/sse_parser.hpp"

#include <gtest/gtest.h>

#include "runtime/error.hpp"

namespace {

using bsm::http::sse_parser;
using events = std::vector<std::string>;

// Feeds `body` in pieces of `piece` bytes; the data of every event.
events feed_in_pieces(sse_parser& sse, std::string_view body, size_t piece) {
  events out;
  for (size_t i = 0; i < body.size(); i += piece) {
    auto got = sse.feed(body.substr(i, piece));
    EXPECT_TRUE(got) << bsm::render(got.error());
    if (got)
      out.insert(out.end(), got->begin(), got->end());
  }
  return out;
}

TEST(SseParser, JoinsEventsSplitAcrossPiecesOfAnySize) {
  std::string body = "data: {\"a\":1}\n\ndata: [DONE]\n\n";
  for (size_t piece = 1; piece <= body.size(); ++piece) {
    sse_parser sse;
    EXPECT_EQ(feed_in_pieces(sse, body, piece),
              (events{R"({"a":1})", "[DONE]"}))
      << "pieces of " << piece;
    EXPECT_FALSE(sse.finish());
  }
}

TEST(SseParser, AcceptsCrlfAndLfLineEnds) {
  sse_parser sse;
  auto out = feed_in_pieces(sse, "data: a\r\n\r\ndata: b\n\ndata: c\r\n\n", 3);
  EXPECT_EQ(out, (events{"a", "b", "c"}));
}

TEST(SseParser, SkipsCommentsAndOtherFields) {
  sse_parser sse;
  auto out = feed_in_pieces(sse,
                            ": heartbeat\n\n: subscribed\nevent: x\nid: 7\n"
                            "retry: 10\ndata: kept\ndatum: no\n\n",
                            1);
  // A blank line after nothing but a comment ends no event.
  EXPECT_EQ(out, (events{"kept"}));
}

TEST(SseParser, JoinsMultiLineDataAndDropsOneSpaceAfterTheColon) {
  sse_parser sse;
  auto out
    = feed_in_pieces(sse, "data: line1\ndata:line2\ndata:  line3\ndata\n\n", 1);
  EXPECT_EQ(out, (events{"line1\nline2\n line3\n"}));
}

TEST(SseParser, PassesDoneThroughAsData) {
  sse_parser sse;
  EXPECT_EQ(feed_in_pieces(sse, "data: [DONE]\n\ndata: after\n\n", 4),
            (events{"[DONE]", "after"}));
}

TEST(SseParser, FinishKeepsAnEventWithoutItsBlankLine) {
  sse_parser sse;
  auto out = sse.feed("data: tail");
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->empty());
  EXPECT_EQ(sse.finish(), std::optional<std::string>{"tail"});
  EXPECT_FALSE(sse.finish());
  sse_parser crlf;
  ASSERT_TRUE(crlf.feed("data: x\r\ndata: y\r"));
  EXPECT_EQ(crlf.finish(), std::optional<std::string>{"x\ny"});
}

TEST(SseParser, FeedLineTakesLinesTheCallerSplit) {
  sse_parser sse;
  for (auto line : {": heartbeat", "", "event: supervision", "id: 4",
                    R"(data: {"topic":"a"})"}) {
    auto got = sse.feed_line(line);
    ASSERT_TRUE(got);
    EXPECT_FALSE(*got) << line;
  }
  auto end = sse.feed_line("");
  ASSERT_TRUE(end);
  EXPECT_EQ(*end, std::optional<std::string>{R"({"topic":"a"})"});
  auto empty = sse.feed_line("");
  ASSERT_TRUE(empty);
  EXPECT_FALSE(*empty);
}

TEST(SseParser, RefusesAnEventOverTheBound) {
  sse_parser pieces{16};
  ASSERT_TRUE(pieces.feed("data: 0123456789"));
  auto over = pieces.feed("abcdefg\n");
  ASSERT_FALSE(over);
  EXPECT_TRUE(bsm::is(over.error(), bsm::errc::invalid_argument));
  sse_parser unfinished_line{16};
  EXPECT_FALSE(unfinished_line.feed("data: " + std::string(32, 'x')));
  sse_parser lines{16};
  ASSERT_TRUE(lines.feed_line("data: 0123456789"));
  EXPECT_FALSE(lines.feed_line("data: 0123456789"));
}

} // namespace

namespace {

TEST(SseParser, NamesTheEventItReturnedLast) {
  sse_parser sse;
  auto first = sse.feed_line("event: delta");
  ASSERT_TRUE(first && !*first);
  ASSERT_TRUE(sse.feed_line("data: {\"content\":\"a\"}"));
  auto done = sse.feed_line("");
  ASSERT_TRUE(done && *done);
  EXPECT_EQ(sse.last_event(), "delta");
  ASSERT_TRUE(sse.feed_line("data: x"));
  auto plain = sse.feed_line("");
  ASSERT_TRUE(plain && *plain);
  EXPECT_EQ(sse.last_event(), "message");
}

} // namespace

namespace {

TEST(SseParser, KeepsTheLastEventIdAndRetry) {
  sse_parser sse;
  EXPECT_TRUE(sse.last_event_id().empty());
  EXPECT_FALSE(sse.retry());
  // A priming event: an id and a retry, no data.
  auto out = feed_in_pieces(sse, "id: ev-1\nretry: 250\ndata: \n\n", 4);
  EXPECT_EQ(out, (events{""}));
  EXPECT_EQ(sse.last_event_id(), "ev-1");
  EXPECT_EQ(sse.retry(), std::chrono::milliseconds{250});
  // Without data at all the id still counts.
  out = feed_in_pieces(sse, "id: ev-2\n\n", 3);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(sse.last_event_id(), "ev-2");
  // An event without an id keeps the last one; a half-read id does not
  // count before its event ends.
  out = feed_in_pieces(sse, "data: a\n\nid: ev-3\ndata: b", 5);
  EXPECT_EQ(out, (events{"a"}));
  EXPECT_EQ(sse.last_event_id(), "ev-2");
  out = feed_in_pieces(sse, "\n\n", 1);
  EXPECT_EQ(out, (events{"b"}));
  EXPECT_EQ(sse.last_event_id(), "ev-3");
}

TEST(SseParser, IgnoresBadRetryAndIdsWithNul) {
  sse_parser sse;
  (void)feed_in_pieces(sse, "retry: 10x\nretry: -5\nid: ok\n\n", 64);
  EXPECT_FALSE(sse.retry());
  EXPECT_EQ(sse.last_event_id(), "ok");
  (void)feed_in_pieces(sse, std::string{"id: a\0b\n\n", 9}, 64);
  EXPECT_EQ(sse.last_event_id(), "ok");
}

} // namespace
