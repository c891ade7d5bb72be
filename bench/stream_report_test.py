#!/usr/bin/env python3
"""Unit tests of bench/stream_report.py (ctest: bench_stream_report)."""
import unittest

import stream_report as sr


def chunked(*pieces):
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


class ChunkedDecoderTest(unittest.TestCase):
    def test_decodes_a_body_fed_byte_by_byte(self):
        raw = chunked(b"data: one\n\n", b"data: two\n\n")
        d = sr.ChunkedDecoder()
        out = b"".join(d.feed(raw[i:i + 1]) for i in range(len(raw)))
        self.assertEqual(out, b"data: one\n\ndata: two\n\n")
        self.assertTrue(d.done)

    def test_is_not_done_before_the_last_chunks_crlf(self):
        raw = chunked(b"abc")
        d = sr.ChunkedDecoder()
        self.assertEqual(d.feed(raw[:-2]), b"abc")
        self.assertFalse(d.done)
        d.feed(raw[-2:])
        self.assertTrue(d.done)

    def test_refuses_a_bad_chunk_size(self):
        with self.assertRaises(ValueError):
            sr.ChunkedDecoder().feed(b"zz\r\nabc\r\n")


class TokenScannerTest(unittest.TestCase):
    def test_a_token_split_between_reads_has_the_second_reads_time(self):
        s = sr.TokenScanner()
        s.feed(b'{"content":"q000007w0', 100)
        s.feed(b'03 "}', 200)
        self.assertEqual(s.first_seen, {("q000007", 3): 200})

    def test_a_token_seen_again_keeps_its_first_time(self):
        s = sr.TokenScanner()
        s.feed(b"q000001w000 ", 100)
        s.feed(b'event: done\ndata: {"output":"q000001w000 q000001w001 "}',
               300)
        self.assertEqual(s.first_seen[("q000001", 0)], 100)
        self.assertEqual(s.first_seen[("q000001", 1)], 300)


class FiguresTest(unittest.TestCase):
    def test_relay_is_client_sight_minus_upstream_write(self):
        tag = sr.tag_of(5)
        seen = {(tag, 0): 3_000_000, (tag, 1): 9_000_000}
        f = sr.request_figures(tag, 3, 1_000_000, seen,
                               [2_000_000, 6_000_000, 8_000_000])
        self.assertEqual(f["ttfb_ms"], 2.0)
        self.assertEqual(f["upstream_first_ms"], 1.0)
        self.assertEqual(f["first_relay_ms"], 1.0)
        self.assertEqual(f["relay_ms"], [1.0, 3.0])
        self.assertEqual(f["missing"], 1)

    def test_nearest_rank_quantiles(self):
        d = sr.distribution(list(range(1, 101)))
        self.assertEqual((d["p50"], d["p90"], d["p99"], d["max"]),
                         (50, 90, 99, 100))
        self.assertIsNone(sr.distribution([])["p50"])

    def test_the_summary_divides_by_the_direct_run_of_the_same_clients(self):
        def run(route, clients, ttfb):
            f = sr.run_figures([{"ttfb_ms": ttfb, "upstream_first_ms": 0.1,
                                 "first_relay_ms": 0.2, "head_ms": 0.1,
                                 "relay_ms": [ttfb / 2], "missing": 0}])
            return {"route": route, "clients": clients, "figures": f}
        doc = {"date": "d", "mode": "single", "commit": "abc", "cpus": 2,
               "loadavg_before": "0", "loadavg_after": "0",
               "idle_before_percent": 99,
               "settings": {"deltas": 1, "gap_ms": 5, "first_ms": 0,
                            "requests": 1, "clients": 8, "per_client": 1},
               "runs": [run("direct", 1, 1.0), run("direct", 8, 4.0),
                        run("completions", 1, 3.0),
                        run("completions", 8, 6.0)]}
        lines = sr.summary(doc).splitlines()
        rows = [x for x in lines if x.startswith("completions")]
        self.assertIn("3.0x / 3.0x", rows[0])
        self.assertIn("1.5x / 1.5x", rows[1])


if __name__ == "__main__":
    unittest.main()
