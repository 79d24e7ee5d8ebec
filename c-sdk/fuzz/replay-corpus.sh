#!/usr/bin/env bash
# Runs the committed fuzz corpus, the regression inputs and the test vectors
# through the fuzz target's checks, built without libFuzzer (ctest
# fuzz_corpus_replay, also under the sanitizers).
#   c-sdk/fuzz/replay-corpus.sh REPLAY_BINARY TEST_VECTORS_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
binary=$1
vectors=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
count=0
for f in "$here"/corpus/*.gz "$here"/regressions/*.gz; do
  [ -e "$f" ] || continue
  gzip -dc "$f" >"$work/$(basename "$(dirname "$f")")-$(basename "${f%.gz}")"
  count=$((count + 1))
done
[ "$count" -gt 0 ] || { echo "replay-corpus: no inputs under $here/corpus or $here/regressions" >&2; exit 1; }
# WEFT_TEST_EMULATOR: qemu-user for a cross build (set by ctest)
${WEFT_TEST_EMULATOR:-} "$binary" "$work" "$vectors"/*.seg
