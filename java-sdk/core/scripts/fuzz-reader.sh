#!/usr/bin/env bash
# Fuzzes the Java reader (Segment + SegmentDrainer + SpanDecoder over whole segment images) with
# Jazzer for a bounded time: the @FuzzTest SegmentFuzzTest#segmentImages, in fuzzing mode.
#
#   java-sdk/core/scripts/fuzz-reader.sh [SECONDS]     (default 60; CI 75; hours: 14400)
#
# Seeds: test-vectors/*.seg, copied into the working corpus, and the committed inputs in
# src/test/resources/dev/weft/internal/segment/SegmentFuzzTestInputs/segmentImages (Jazzer reads
# those itself). The working corpus, java-sdk/core/.cifuzz-corpus/, grows from run to run and is
# not committed. A finding (an exception, a broken invariant, an out-of-memory at -Xmx64m, a
# hang) fails the run, and Jazzer saves the input beside the committed ones, where
# `mvn -B verify` then replays it as a regression input: commit it with the fix.
# Prints the executions and the coverage (libFuzzer's "cov:" edges) of the run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
core=$(cd "$here/.." && pwd)
repo=$(cd "$core/../.." && pwd)
seconds=${1:-60}
case "$seconds" in '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac
corpus="$core/.cifuzz-corpus/dev.weft.internal.segment.SegmentFuzzTest/segmentImages"
mkdir -p "$corpus"
cp -n "$repo"/test-vectors/*.seg "$corpus"/ 2>/dev/null || true
log="$core/target/fuzz-reader.log"
mkdir -p "$core/target"
cd "$repo"
rc=0
JAZZER_FUZZ=1 mvn -B -q -pl java-sdk/core test -Dtest='SegmentFuzzTest#segmentImages' \
  -Dsurefire.failIfNoSpecifiedTests=false -Djazzer.max_duration="${seconds}s" \
  -Djazzer.instrument="dev.weft.**" -Dweft.jazzer.hooks=true -Dweft.test.jvmArgs="-Xmx${WEFT_FUZZ_HEAP:-256m}" -DtrimStackTrace=false >"$log" 2>&1 || rc=$?
# libFuzzer's progress lines: "#<executions> ... cov: <edges> ft: <features> corp: <n>/<bytes>"
last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
echo "jazzer: ${seconds}s, last status: ${last:-none}"
echo "jazzer: working corpus $(ls "$corpus" | wc -l) inputs; log: $log"
if [ "$rc" -ne 0 ]; then
  grep -E "== Java Exception|FuzzerSecurityIssue|OutOfMemory|Tests run:|ERROR\]" "$log" | head -20 >&2 || true
  echo "jazzer: FAILED (exit $rc); a finding is saved under src/test/resources/.../SegmentFuzzTestInputs" >&2
  exit "$rc"
fi
