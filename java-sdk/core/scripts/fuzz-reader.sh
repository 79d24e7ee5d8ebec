#!/usr/bin/env bash
# Fuzzes the Java reader with Jazzer for a bounded time: one of two @FuzzTest targets, in fuzzing
# mode, each input read from memory the target owns (no file per input).
#
#   java-sdk/core/scripts/fuzz-reader.sh [SECONDS] [reader|differential]   (default 60 reader; CI 60)
#
#   SECONDS 0     do not fuzz: with WEFT_FUZZ_UPDATE_CORPUS=1, only minimise and store the corpus
#
#   reader        SegmentFuzzTest#segmentImages: Segment + SegmentDrainer + SpanDecoder over whole
#                 segment images, with the reader's invariants (docs/fuzzing.md)
#   differential  DifferentialFuzzTest#cAndJavaReadersAgree: the C reader (in-process, JNI:
#                 c-sdk/tools/weft_read_stats_jni.c, built here with CMake when missing) and the
#                 Java reader must agree on every input
#
# Seeds: test-vectors/*.seg and the committed corpus java-sdk/core/src/test/fuzz-corpus/TARGET/*.gz
# (gunzipped into the working corpus), and the committed inputs in
# src/test/resources/dev/weft/internal/segment/<Class>Inputs/<method> (Jazzer reads those itself).
# The working corpus, java-sdk/core/.cifuzz-corpus/<class>/<method>/, grows from run to run and is
# not committed; WEFT_FUZZ_UPDATE_CORPUS=1 afterwards minimises it (libFuzzer -merge=1) and stores
# it, gzipped, into src/test/fuzz-corpus/TARGET/ (to commit). A finding (an exception, a broken invariant, a disagreement, an
# out-of-memory, a hang) fails the run, and Jazzer saves the input beside the committed inputs,
# where `mvn -B verify` then replays it as a regression input: commit it with the fix.
# Prints the executions and the coverage (libFuzzer's "cov:" edges) of the run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
core=$(cd "$here/.." && pwd)
repo=$(cd "$core/../.." && pwd)
seconds=${1:-60}
target=${2:-reader}
case "$seconds" in '' | *[!0-9]*) echo "usage: $0 [SECONDS] [reader|differential]" >&2; exit 2 ;; esac
case "$target" in
  reader) class=SegmentFuzzTest method=segmentImages ;;
  differential) class=DifferentialFuzzTest method=cAndJavaReadersAgree ;;
  *) echo "usage: $0 [SECONDS] [reader|differential]" >&2; exit 2 ;;
esac
native=()
if [ "$target" = differential ]; then
  build=${WEFT_NATIVE_BUILD_DIR:-$repo/c-sdk/target/cmake}
  lib="$build/tools/libweft_read_stats_jni.so"
  if [ ! -f "$lib" ]; then
    echo "fuzz-reader: building the C reader's JNI library into $build"
    cmake -S "$repo/c-sdk" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$build" --target weft_read_stats_jni >/dev/null
  fi
  if [ ! -f "$lib" ]; then
    echo "fuzz-reader: $lib was not built (CMake found no JDK headers? set JAVA_HOME)" >&2
    exit 1
  fi
  native=(-Dweft.read.stats.jni="$lib")
fi
corpus="$core/.cifuzz-corpus/dev.weft.internal.segment.$class/$method"
committed="$core/src/test/fuzz-corpus/$target"
mkdir -p "$corpus"
cp -n "$repo"/test-vectors/*.seg "$corpus"/ 2>/dev/null || true
for f in "$committed"/*.gz; do
  [ -e "$f" ] || continue
  [ -e "$corpus/$(basename "${f%.gz}")" ] || gzip -dc "$f" >"$corpus/$(basename "${f%.gz}")"
done
log="$core/target/fuzz-$target.log"
mkdir -p "$core/target"
cd "$repo"
rc=0
if [ "$seconds" -eq 0 ]; then
  # compile the tests (for the minimisation below), fuzz nothing
  mvn -B -q -pl java-sdk/core test-compile >"$log" 2>&1 || rc=$?
else
  JAZZER_FUZZ=1 mvn -B -q -pl java-sdk/core test -Dtest="$class#$method" \
    -Dsurefire.failIfNoSpecifiedTests=false -Djazzer.max_duration="${seconds}s" \
    -Djazzer.instrument="dev.weft.**" -Dweft.jazzer.hooks=true -Dweft.test.jvmArgs="-Xmx${WEFT_FUZZ_HEAP:-256m}" \
    "${native[@]}" -DtrimStackTrace=false >"$log" 2>&1 || rc=$?
fi
# libFuzzer's progress lines: "#<executions> ... cov: <edges> ft: <features> corp: <n>/<bytes>"
last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
echo "jazzer ($target): ${seconds}s, last status: ${last:-none}"
echo "jazzer ($target): working corpus $(ls "$corpus" | wc -l) inputs; log: $log"
if grep -q "Tests run:.*Skipped: [1-9]" "$log"; then
  grep -E "Skipped|Assumption|not built" "$log" | head -5 >&2 || true
  echo "jazzer ($target): FAILED: the target was skipped, not fuzzed" >&2
  exit 1
fi
if [ "$rc" -ne 0 ]; then
  grep -E "== Java Exception|FuzzerSecurityIssue|OutOfMemory|AssertionError|Tests run:|ERROR\]" "$log" | head -20 >&2 || true
  echo "jazzer ($target): FAILED (exit $rc); a finding is saved under src/test/resources/.../${class}Inputs" >&2
  exit "$rc"
fi
if [ "${WEFT_FUZZ_UPDATE_CORPUS:-}" = 1 ]; then
  # Minimise (libFuzzer -merge=1, through Jazzer's standalone driver on the same @FuzzTest): the
  # smallest subset of the working corpus, the seeds and the committed corpus with the same
  # coverage, stored gzipped in src/test/fuzz-corpus/TARGET (what the C side does).
  cp_file="$core/target/fuzz-$target.classpath"
  mvn -B -q -pl java-sdk/core dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$cp_file" >>"$log" 2>&1
  merged="$core/target/fuzz-$target-merged"
  rm -rf "$merged"
  mkdir -p "$merged"
  (cd "$core" && java "-Xmx${WEFT_FUZZ_HEAP:-256m}" "${native[@]}" \
    -cp "target/test-classes:target/classes:$(cat "$cp_file")" com.code_intelligence.jazzer.Jazzer \
    --target_class="dev.weft.internal.segment.$class" --target_method="$method" \
    --instrumentation_includes='dev.weft.**' -merge=1 "$merged" "$corpus") >"$core/target/fuzz-$target-merge.log" 2>&1
  grep -E '^MERGE-OUTER: [0-9]+ new files' "$core/target/fuzz-$target-merge.log"
  rm -rf "$committed"
  mkdir -p "$committed"
  for f in "$merged"/*; do
    gzip -9nc "$f" >"$committed/$(basename "$f").gz"
  done
  echo "jazzer ($target): stored $(ls "$committed" | wc -l) inputs, $(du -sh "$committed" | cut -f1), in $committed"
fi
