#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Counts the test cases of meson test runs (TAP subtests, not binaries) and
prints one closing line: "N passed, N failed, N skipped".

    test-summary.py TESTLOG.json [TESTLOG.json...]

Several logs (the plain run, the sanitizer runs) add up into one line."""

import json
import re
import sys

TAP_LINE = re.compile(r"^(not ok|ok)\b(.*)$")


def main(paths):
    passed = failed = skipped = 0
    for path in paths:
        p, f, s = count(path)
        passed += p
        failed += f
        skipped += s
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 1 if failed else 0


def count(path):
    passed = failed = skipped = 0
    with open(path, encoding="utf-8") as log:
        for raw in log:
            entry = json.loads(raw)
            seen = 0
            bad = 0
            for line in (entry.get("stdout") or "").splitlines():
                match = TAP_LINE.match(line)
                if not match:
                    continue
                seen += 1
                rest = match.group(2)
                if re.search(r"#\s*SKIP", rest, re.IGNORECASE):
                    skipped += 1
                elif match.group(1) == "ok":
                    passed += 1
                else:
                    failed += 1
                    bad += 1
            result = entry.get("result", "")
            # A binary that crashed or timed out fails even if every case it
            # reported before that passed.
            if result not in ("OK", "SKIP", "EXPECTEDFAIL") and bad == 0:
                failed += 1
                print(f"{entry.get('name')}: {result}", file=sys.stderr)
            elif seen == 0 and result == "SKIP":
                skipped += 1
    return passed, failed, skipped


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
