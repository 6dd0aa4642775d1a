#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs one libFuzzer harness for a bounded time, from a scratch copy of its
# seed corpus, as a TAP test with one case: passed when libFuzzer found nothing.
#
#   run-fuzzer.sh HARNESS SEED-DIR FINDINGS-DIR
#
# PB_FUZZ_SECONDS (default 10) bounds the run. A finding is copied to
# FINDINGS-DIR and printed (base64) into the test log.
set -u
harness=$1
seeds=$2
findings=$3
name=$(basename "$harness")
seconds=${PB_FUZZ_SECONDS:-10}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
mkdir "$work/corpus" "$work/artifacts"
cp "$seeds"/* "$work/corpus/"

# The harness writes its files below $work, which goes away even after a crash.
export PB_FUZZ_TMPDIR="$work"
# intercept_tls_get_addr=0: LeakSanitizer's thread stop crashes on glibc 2.36
# when it walks dynamic TLS (GIO modules such as glib-networking's).
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:detect_leaks=1:intercept_tls_get_addr=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

echo "1..1"
if "$harness" "$work/corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
     -max_len=16384 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
     >"$work/log" 2>&1 </dev/null; then
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
  echo "ok 1 - $name: ${runs:-?} executions in ${seconds} s, nothing found"
  exit 0
fi

tail -n 80 "$work/log" | sed 's/^/# /'
mkdir -p "$findings"
for artifact in "$work/artifacts"/*; do
  [ -f "$artifact" ] || continue
  cp "$artifact" "$findings/"
  echo "# finding saved as $findings/$(basename "$artifact"), base64:"
  base64 "$artifact" | head -n 200 | sed 's/^/#   /'
done
echo "not ok 1 - $name: libFuzzer found a problem (reproduce: $harness FILE)"
exit 1
