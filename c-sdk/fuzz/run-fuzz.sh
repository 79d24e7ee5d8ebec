#!/usr/bin/env bash
# Builds the libFuzzer target for the C reader (fuzz_reader.c) with clang
# -fsanitize=fuzzer,address,undefined and runs it for a bounded time.
#
#   c-sdk/fuzz/run-fuzz.sh [SECONDS] [--update-corpus]
#
#   SECONDS          how long to fuzz (default 60; CI uses 60-90; hours: 14400)
#   --update-corpus  afterwards, minimise the working corpus (-merge=1) and
#                    store it, gzipped, in c-sdk/fuzz/corpus/ (to commit)
#
# Seeds: test-vectors/*.seg, the committed corpus (c-sdk/fuzz/corpus/*.gz) and
# the regression inputs (c-sdk/fuzz/regressions/*.gz). The working corpus
# lives in c-sdk/target/fuzz/corpus and grows from run to run. A crash, a
# sanitizer report, a hang (-timeout) or an OOM (-rss_limit_mb) fails the
# script, with the input saved under c-sdk/target/fuzz/artifacts/.
# WEFT_FUZZ_OUT overrides the build and working directory (default c-sdk/target/fuzz).
# Exit 3: clang with libFuzzer is not installed (apt-get install clang libclang-rt-14-dev).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
sdk=$(cd "$here/.." && pwd)
repo=$(cd "$sdk/.." && pwd)
seconds=${1:-60}
update=${2:-}
case "$seconds" in '' | *[!0-9]*) echo "usage: $0 [SECONDS] [--update-corpus]" >&2; exit 2 ;; esac
out=${WEFT_FUZZ_OUT:-$sdk/target/fuzz} # another directory lets a long run go on beside short ones
mkdir -p "$out/corpus" "$out/artifacts"

cc=${CC_FUZZ:-clang}
if ! command -v "$cc" >/dev/null; then
  echo "run-fuzz: $cc not found (apt-get install -y clang libclang-rt-14-dev)" >&2
  exit 3
fi
flags=(-std=c11 -O1 -g -Wall -Wextra -Werror -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
  -fno-sanitize-recover=all -I"$sdk/include" -I"$sdk/src")
sources=("$here/fuzz_reader.c" "$sdk/src/reader.c" "$sdk/src/segment.c" "$sdk/src/resource.c")
if ! "$cc" "${flags[@]}" "${sources[@]}" -o "$out/fuzz_reader" -lpthread 2>"$out/build.log"; then
  if grep -q -e 'libclang_rt.fuzzer' -e 'fsanitize=fuzzer' "$out/build.log"; then
    cat "$out/build.log" >&2
    echo "run-fuzz: $cc has no libFuzzer runtime (apt-get install -y libclang-rt-14-dev)" >&2
    exit 3
  fi
  cat "$out/build.log" >&2
  exit 1
fi

seeds=$out/seeds
rm -rf "$seeds"
mkdir -p "$seeds"
cp "$repo"/test-vectors/*.seg "$seeds/"
for f in "$here"/corpus/*.gz "$here"/regressions/*.gz; do
  [ -e "$f" ] && gzip -dc "$f" >"$seeds/$(basename "${f%.gz}")"
done

export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
echo "run-fuzz: fuzzing the C reader for ${seconds}s ($(ls "$seeds" | wc -l) seeds, $(ls "$out/corpus" | wc -l) in the working corpus)"
rc=0
"$out/fuzz_reader" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$out/artifacts/" "$out/corpus" "$seeds" >"$out/fuzz.log" 2>&1 || rc=$?
grep -E '^stat::' "$out/fuzz.log" || true
if [ "$rc" -eq 72 ]; then
  echo "run-fuzz: interrupted (SIGINT/SIGTERM) before the time was up; no finding so far" >&2
  exit 1
fi
if [ "$rc" -ne 0 ]; then
  tail -n 60 "$out/fuzz.log" >&2
  echo "run-fuzz: FAILED (exit $rc): the input is in $out/artifacts/; keep it as a regression input:" >&2
  echo "  gzip -9n <ARTIFACT >c-sdk/fuzz/regressions/NAME.gz (and fix the reader)" >&2
  exit 1
fi
last=$(grep -E '^#[0-9]+' "$out/fuzz.log" | tail -n 1)
echo "run-fuzz: no crash, hang or OOM; last status: $last"

if [ "$update" = "--update-corpus" ]; then
  merged=$out/merged
  rm -rf "$merged"
  mkdir -p "$merged"
  "$out/fuzz_reader" -merge=1 "$merged" "$out/corpus" "$seeds" >"$out/merge.log" 2>&1
  rm -f "$here"/corpus/*.gz
  mkdir -p "$here/corpus"
  for f in "$merged"/*; do
    gzip -9nc "$f" >"$here/corpus/$(basename "$f").gz"
  done
  echo "run-fuzz: $(ls "$here/corpus" | wc -l) inputs in c-sdk/fuzz/corpus ($(du -sh "$here/corpus" | cut -f1))"
fi
