#!/usr/bin/env python3
"""Unit tests of bench/sessions_report.py (ctest: bench_sessions_report)."""
import importlib.util
import json
import os
import tempfile
import unittest

import sessions_report as sr

MIB = sr.MIB
INPUT = "What should an NDA contain?"


def turn(role, content):
    return {"role": role, "content": content}


def result_doc(rss_mib, budget_bytes=0):
    """A result of sessions_bench.sh with one sample per RSS figure."""
    samples = [{"sessions": 0, "rss_bytes": 80 * MIB, "data_dir_bytes": 1000,
                "wal_bytes": 500, "seconds": 0, "turns_per_s": None, "failed": 0}]
    for i, rss in enumerate(rss_mib, start=1):
        samples.append({"sessions": i * 1000, "rss_bytes": rss * MIB,
                        "data_dir_bytes": i * MIB, "wal_bytes": i * MIB // 2,
                        "cache_usage_bytes": 40 * MIB,
                        "cache_pinned_bytes": 2 * MIB,
                        "memtable_bytes": 8 * MIB, "table_readers_bytes": 0,
                        "seconds": 2.0,
                        "turns_per_s": 500.0, "failed": 0})
    return {
        "settings": {"connections": 16, "memory_budget_bytes": budget_bytes},
        "samples": samples,
        "restart": {"stop_s": 0.5, "ready_s": 1.25, "rss_bytes": 90 * MIB,
                    "data_dir_bytes": 2 * MIB, "wal_bytes": 0,
                    "rss_after_reads_bytes": 91 * MIB},
        "history": {"route": sr.ASK_ROUTE, "reads": 3, "ok": 2,
                    "failures": [{"session_id": "s1-2",
                                  "problem": "no turns"}],
                    "p50_ms": 0.25, "p99_ms": 0.5, "max_ms": 0.75},
    }


class parse_bytes_test(unittest.TestCase):
    def test_plain_and_suffixed(self):
        self.assertEqual(sr.parse_bytes("268435456"), 268435456)
        self.assertEqual(sr.parse_bytes(1024), 1024)
        self.assertEqual(sr.parse_bytes("256MiB"), 256 * MIB)
        self.assertEqual(sr.parse_bytes("256 MB"), 256 * 1000**2)
        self.assertEqual(sr.parse_bytes("1gib"), 1024**3)

    def test_rejects_what_is_not_a_size(self):
        for bad in ("", "-1", "1.5GiB", "12 parsecs", "MiB"):
            with self.assertRaises(ValueError, msg=bad):
                sr.parse_bytes(bad)


class memory_budget_test(unittest.TestCase):
    def test_override_wins_over_the_config(self):
        config = "store:\n  memory_budget: 128MiB\n"
        self.assertEqual(
            sr.memory_budget(config, ["store.memory_budget=64MiB",
                                      "store.memory_budget=32MiB"]),
            32 * MIB)

    @unittest.skipUnless(importlib.util.find_spec("yaml"), "needs PyYAML")
    def test_read_from_the_config_or_zero(self):
        self.assertEqual(
            sr.memory_budget("store:\n  memory_budget: 128MiB\n",
                             ["http.io_threads=1"]), 128 * MIB)
        self.assertEqual(sr.memory_budget("store:\n  durability: os\n", []),
                         0)
        self.assertEqual(sr.memory_budget("", []), 0)


class percentile_test(unittest.TestCase):
    def test_nearest_rank(self):
        values = list(range(100, 0, -1))  # 1..100, unsorted
        self.assertEqual(sr.percentile(values, 50), 50)
        self.assertEqual(sr.percentile(values, 99), 99)
        self.assertEqual(sr.percentile(values, 100), 100)
        self.assertEqual(sr.percentile([7.5], 99), 7.5)

    def test_no_values_is_an_error(self):
        with self.assertRaises(ValueError):
            sr.percentile([], 50)


class pick_sessions_test(unittest.TestCase):
    def test_distinct_ids_within_the_ranges(self):
        ranges = [("s1", 3), ("s2", 2)]
        ids = sr.pick_sessions(ranges, 5, seed=1)
        self.assertEqual(sorted(ids),
                         ["s1-1", "s1-2", "s1-3", "s2-1", "s2-2"])

    def test_same_seed_same_pick_and_capped_at_the_total(self):
        ranges = [("s1", 1000), ("s2", 1000)]
        self.assertEqual(sr.pick_sessions(ranges, 10, 28),
                         sr.pick_sessions(ranges, 10, 28))
        self.assertEqual(len(sr.pick_sessions([("s1", 4)], 10, 28)), 4)


class check_history_test(unittest.TestCase):
    def test_the_bench_turn_is_right(self):
        turns = [turn("user", INPUT + " [s3-7]"), turn("assistant", "Terms.")]
        self.assertIsNone(sr.check_history(turns, "s3-7", INPUT))

    def test_what_is_wrong_is_named(self):
        right_user = turn("user", INPUT + " [s3-7]")
        cases = {
            "no turns": [],
            "0 user turns, want 1": [turn("assistant", "x")],
            "2 user turns, want 1": [right_user, right_user],
            "user turn": [turn("user", INPUT + " [s3-8]"),
                          turn("assistant", "x")],
            "no assistant answer": [right_user],
        }
        for want, turns in cases.items():
            problem = sr.check_history(turns, "s3-7", INPUT)
            self.assertIsNotNone(problem, want)
            self.assertTrue(problem.startswith(want), problem)

    def test_an_answer_before_the_question_does_not_count(self):
        turns = [turn("assistant", "x"), turn("user", INPUT + " [a]")]
        self.assertIsNotNone(sr.check_history(turns, "a", INPUT))

    def test_turns_of_either_route(self):
        turns = [turn("user", "u")]
        self.assertEqual(sr.turns_of(sr.GET_ROUTE, {"turns": turns}), turns)
        self.assertEqual(sr.turns_of(sr.ASK_ROUTE, {"payload": {"turns": turns}}),
                         turns)
        self.assertEqual(sr.turns_of(sr.ASK_ROUTE, {"payload": {}}), [])


class scripted_reader:
    """Answers reads from a dict session -> (seconds, status, turns)."""

    route = sr.ASK_ROUTE

    def __init__(self, answers):
        self.answers = answers

    def read(self, session):
        return self.answers[session]


class read_histories_test(unittest.TestCase):
    def test_counts_right_histories_and_names_failures(self):
        good = [turn("user", INPUT + " [a]"), turn("assistant", "x")]
        reader = scripted_reader({
            "a": (0.001, 200, good),
            "b": (0.002, 200, []),
            "c": (0.004, 404, []),
        })
        result = sr.read_histories(reader, ["a", "b", "c"], INPUT)
        self.assertEqual(result["ok"], 1)
        self.assertEqual(result["reads"], 3)
        self.assertEqual(result["failures"],
                         [{"session_id": "b", "problem": "no turns"},
                          {"session_id": "c", "problem": "status 404"}])
        self.assertEqual(result["p50_ms"], 2.0)
        self.assertEqual(result["p99_ms"], 4.0)
        self.assertEqual(result["route"], sr.ASK_ROUTE)


class target_check_test(unittest.TestCase):
    def test_met_missed_and_without_a_budget(self):
        budget = 256 * MIB
        ceiling = (256 + 64) * 1.1  # 352 MiB
        met = sr.target_check(result_doc([300, 340, 352])["samples"], budget)
        self.assertEqual(met["verdict"], "met")
        self.assertEqual(met["rss_ceiling_bytes"], int(ceiling * MIB))
        self.assertEqual(met["rss_growth_bytes"], 52 * MIB)
        missed = sr.target_check(result_doc([300, 353])["samples"], budget)
        self.assertEqual(missed["verdict"], "missed")
        none = sr.target_check(result_doc([300, 400])["samples"], 0)
        self.assertTrue(none["verdict"].startswith("n/a"))
        self.assertEqual(none["rss_max_bytes"], 400 * MIB)

    def test_failed_turns_miss_the_target(self):
        doc = result_doc([300, 310])
        doc["samples"][-1]["failed"] = 5
        verdict = sr.target_check(doc["samples"], 256 * MIB)["verdict"]
        self.assertEqual(verdict, "missed (5 turns failed)")

    def test_the_sample_before_any_session_is_not_judged(self):
        doc = result_doc([100])
        doc["samples"][0]["rss_bytes"] = 10_000 * MIB
        self.assertEqual(sr.target_check(doc["samples"], 256 * MIB)["verdict"],
                         "met")


class summary_test(unittest.TestCase):
    def test_totals_table_csv_and_plot(self):
        doc = sr.complete(result_doc([100, 110], budget_bytes=256 * MIB))
        self.assertEqual(doc["totals"], {"answered": 2000, "failed": 0,
                                         "seconds": 4.0, "turns_per_s": 500.0})
        with tempfile.TemporaryDirectory() as out:
            table = sr.write_summary(doc, out)
            for name in ("table.md", "samples.csv", "plot.txt"):
                self.assertTrue(os.path.getsize(os.path.join(out, name)) > 0)
            with open(os.path.join(out, "samples.csv")) as f:
                rows = f.read().splitlines()
        self.assertEqual(rows[0],
                         "sessions,rss_bytes,data_dir_bytes,wal_bytes,turns_per_s,"
                         "failed,cache_usage_bytes,cache_pinned_bytes,"
                         "memtable_bytes,table_readers_bytes")
        self.assertEqual(rows[2], "1000,%d,%d,%d,500.0,0,%d,%d,%d,%d" % (
            100 * MIB, MIB, MIB // 2, 40 * MIB, 2 * MIB, 8 * MIB, 0))
        self.assertEqual(rows[-1].split(",")[:2],
                         ["after_restart", str(90 * MIB)])
        self.assertIn("| 2,000 | 110 MiB | 40 MiB (2 MiB) | 8 MiB | 2.0 MiB "
                      "| 1.0 MiB | 500 | 0 |", table)
        self.assertIn("| after restart | 90 MiB | - | - | 2.0 MiB | 0.0 MiB "
                      "| - | - |", table)
        self.assertIn("start to /readyz 200 1.25 s", table)
        self.assertIn("3 random old sessions", table)
        self.assertIn("2 right, p50 0.25 ms, p99 0.50 ms", table)
        self.assertIn("s1-2: no turns", table)
        self.assertIn("target (RSS within 1.1 x (memory_budget + 64 MiB)", table)
        self.assertIn(": met; budget 256 MiB, RSS max 110 MiB", table)
        json.dumps(doc)  # what is written back stays JSON

    def test_ascii_plot_puts_the_extremes_in_the_corners(self):
        rows = sr.ascii_plot([(0, 0), (10, 5), (20, 10)], width=21, height=3)
        self.assertEqual(rows[0], "      10 |                    *")
        self.assertEqual(rows[1], "       5 |          *")
        self.assertEqual(rows[2], "       0 |*")
        self.assertTrue(rows[3].endswith("-" * 21))
        self.assertTrue(rows[4].endswith("20 sessions"))
        self.assertEqual(sr.ascii_plot([]), ["(no points)"])


if __name__ == "__main__":
    unittest.main()
