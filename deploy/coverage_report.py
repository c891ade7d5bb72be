#!/usr/bin/env python3
"""Summarises a --coverage build's counters into docs/COVERAGE.md.

Runs gcovr over the object files of a BSM_COVERAGE=ON build (after the tests
ran), adds lines and branches up per top-level folder and writes a Markdown
report. Exits 1 when a gated folder (runtime/, actors/, agents/) is below the
line bar, 2 when gcovr itself fails. Used by `make coverage`.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile

FOLDERS = ["protocols", "runtime", "actors", "agents", "http_api", "node"]
GATED = ["runtime", "actors", "agents"]
LINE_BAR_PERCENT = 90.0
LEAST_COVERED_COUNT = 15

# Test code, benchmarks and protoc's output are not measured.
EXCLUDES = [r"tests/", r"bench/", r"build[^/]*/", r".*\.pb\.(cc|h)$"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build-dir", default="build-coverage")
    parser.add_argument("--output", default="docs/COVERAGE.md")
    parser.add_argument("--command", default="make coverage",
                        help="the command that produced the counters")
    parser.add_argument("--note", default="",
                        help="a sentence added to the report (what ran)")
    parser.add_argument("--ctest-status", type=int, default=0,
                        help="ctest's exit status, recorded in the report")
    return parser.parse_args()


def run_gcovr(root, build_dir):
    """Returns gcovr's JSON summary ({"files": [...]}) for the source tree."""
    with tempfile.TemporaryDirectory() as tmp:
        summary = os.path.join(tmp, "summary.json")
        cmd = ["gcovr", "--root", root, "--object-directory", build_dir,
               "--exclude-throw-branches", "--exclude-unreachable-branches",
               "--gcov-ignore-parse-errors", "-j", "2",
               "--json-summary", summary]
        for pattern in EXCLUDES:
            cmd += ["--exclude", pattern]
        result = subprocess.run(cmd, cwd=root, stdout=subprocess.DEVNULL)
        if result.returncode != 0:
            sys.exit(f"coverage_report: gcovr failed ({result.returncode})")
        with open(summary, encoding="utf-8") as f:
            return json.load(f)


def percent(covered, total):
    return 100.0 * covered / total if total else 100.0


class Tally:
    """Covered and total lines and branches of a set of files."""

    def __init__(self):
        self.lines = self.lines_total = self.branches = self.branches_total = 0

    def add(self, entry):
        self.lines += entry["line_covered"]
        self.lines_total += entry["line_total"]
        self.branches += entry["branch_covered"]
        self.branches_total += entry["branch_total"]

    def line_percent(self):
        return percent(self.lines, self.lines_total)

    def row(self, name):
        return (f"| {name} | {self.line_percent():.1f}% "
                f"({self.lines}/{self.lines_total}) | "
                f"{percent(self.branches, self.branches_total):.1f}% "
                f"({self.branches}/{self.branches_total}) |")


def top_folder(path):
    return path.split("/", 1)[0] if "/" in path else ""


def tally_by_folder(files):
    tallies = {name: Tally() for name in FOLDERS}
    total = Tally()
    for entry in files:
        folder = top_folder(entry["filename"])
        if folder in tallies:
            tallies[folder].add(entry)
            total.add(entry)
    return tallies, total


def least_covered(files):
    """The gated folders' files with the fewest covered lines, by percent."""
    gated = [e for e in files
             if top_folder(e["filename"]) in GATED and e["line_total"] > 0]
    gated.sort(key=lambda e: (percent(e["line_covered"], e["line_total"]),
                              -e["line_total"], e["filename"]))
    return gated[:LEAST_COVERED_COUNT]


def render(args, tallies, total, worst):
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    out = ["# Coverage", "",
           f"Command: `{args.command}` (gcc `--coverage`, `-O0`, Debug, "
           f"in `{args.build_dir}/`; gcovr with "
           "`--exclude-throw-branches --exclude-unreachable-branches`; "
           "tests/, bench/ and protoc's output excluded). "
           f"Date: {today}.", ""]
    if args.note:
        out += [args.note, ""]
    if args.ctest_status != 0:
        out += [f"**ctest failed (exit status {args.ctest_status})**: the "
                "figures miss what the failing tests would have run.", ""]
    out += [f"Bar: at least {LINE_BAR_PERCENT:.0f}% of lines in "
            + ", ".join(f"`{g}/`" for g in GATED) + ".", "",
            "| folder | lines | branches |", "| --- | --- | --- |"]
    out += [tallies[name].row(f"`{name}/`") for name in FOLDERS]
    out += [total.row("**total**"), "",
            f"## The {LEAST_COVERED_COUNT} least-covered files of "
            + ", ".join(f"`{g}/`" for g in GATED), "",
            "| file | lines | branches |", "| --- | --- | --- |"]
    for entry in worst:
        one = Tally()
        one.add(entry)
        out.append(one.row(f"`{entry['filename']}`"))
    return "\n".join(out) + "\n"


def main():
    args = parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    build_dir = os.path.abspath(os.path.join(root, args.build_dir))
    files = run_gcovr(root, build_dir)["files"]
    tallies, total = tally_by_folder(files)
    report = render(args, tallies, total, least_covered(files))
    with open(os.path.join(root, args.output), "w", encoding="utf-8") as f:
        f.write(report)
    print(report)
    below = [g for g in GATED if tallies[g].line_percent() < LINE_BAR_PERCENT]
    if below:
        print("coverage_report: below the line bar of "
              f"{LINE_BAR_PERCENT:.0f}%: " + ", ".join(below), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
