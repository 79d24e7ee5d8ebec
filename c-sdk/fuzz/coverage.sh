#!/usr/bin/env bash
# Line and branch coverage of c-sdk/src/reader.c by a fuzz corpus (clang
# source-based coverage over the replay build of fuzz_reader.c).
#   c-sdk/fuzz/coverage.sh [CORPUS_DIR]
#   (default: the committed corpus, the regression inputs and the test vectors)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
sdk=$(cd "$here/.." && pwd)
repo=$(cd "$sdk/.." && pwd)
out=$sdk/target/fuzz-coverage
rm -rf "$out"
mkdir -p "$out/inputs"
if [ $# -ge 1 ]; then
  inputs=$1
else
  inputs=$out/inputs
  cp "$repo"/test-vectors/*.seg "$inputs/"
  for f in "$here"/corpus/*.gz "$here"/regressions/*.gz; do
    [ -e "$f" ] && gzip -dc "$f" >"$inputs/$(basename "$(dirname "$f")")-$(basename "${f%.gz}")"
  done
fi
profdata=$(command -v llvm-profdata-14 || command -v llvm-profdata)
cov=$(command -v llvm-cov-14 || command -v llvm-cov)
clang -std=c11 -O0 -g -DWEFT_FUZZ_REPLAY -fprofile-instr-generate -fcoverage-mapping -I"$sdk/include" -I"$sdk/src" \
  "$here/fuzz_reader.c" "$sdk/src/reader.c" "$sdk/src/segment.c" "$sdk/src/resource.c" -o "$out/replay" -lpthread
LLVM_PROFILE_FILE="$out/replay.profraw" "$out/replay" "$inputs" >/dev/null
"$profdata" merge -sparse "$out/replay.profraw" -o "$out/replay.profdata"
"$cov" report "$out/replay" -instr-profile="$out/replay.profdata" "$sdk/src/reader.c"
echo "uncovered lines: $cov show $out/replay -instr-profile=$out/replay.profdata $sdk/src/reader.c -show-line-counts-or-regions | grep -E '^ +[0-9]+\| +0\|'"
