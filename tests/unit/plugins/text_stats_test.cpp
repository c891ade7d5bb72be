// The example plugin's computations (plugins/examples/textstats).

#include "plugins/examples/textstats/text_stats.hpp"

#include <gtest/gtest.h>

namespace {

TEST(TextStats, CountsCharactersBytesWordsAndLines) {
  auto x = textstats::count("Grüße  aus\nBerlin\n\nend");
  EXPECT_EQ(x.bytes, 24u);
  EXPECT_EQ(x.characters, 22u);
  EXPECT_EQ(x.words, 4u);
  EXPECT_EQ(x.lines, 4u);
  auto empty = textstats::count("");
  EXPECT_EQ(empty.words, 0u);
  EXPECT_EQ(empty.lines, 0u);
  EXPECT_EQ(textstats::count("one\n").lines, 1u);
  EXPECT_EQ(textstats::count("  \t ").words, 0u);
}

TEST(TextStats, ComputesTheCrc32OfZlib) {
  // The check value of CRC-32/ISO-HDLC.
  EXPECT_EQ(textstats::hex8(textstats::crc32("123456789")), "cbf43926");
  EXPECT_EQ(textstats::hex8(textstats::crc32("")), "00000000");
  EXPECT_EQ(textstats::hex8(textstats::crc32("The quick brown fox jumps over "
                                             "the lazy dog")),
            "414fa339");
}

} // namespace
