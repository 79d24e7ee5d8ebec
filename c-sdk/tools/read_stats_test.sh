#!/usr/bin/env bash
# weft-read-stats --adopt over every test vector must report what the
# vector's expected.json says: refused or not, spans read, open spans,
# corrupt and unknown records, and the 1.1 counters (corrupt Resource,
# dropped at shutdown, unacknowledged bytes) (ctest weft_read_stats_matches_the_vectors).
#   tools/read_stats_test.sh WEFT_READ_STATS TEST_VECTORS_DIR
set -euo pipefail
tool=$1
vectors=$2
failures=0
checked=0
for seg in "$vectors"/*.seg; do
  name=$(basename "$seg" .seg)
  expected_file="$vectors/$name.expected.json"
  got=$(${WEFT_TEST_EMULATOR:-} "$tool" --adopt "$seg") # WEFT_TEST_EMULATOR: qemu-user for a cross build
  if grep -q '"rejected": true' "$expected_file"; then
    want='{"rejected":true'
    case "$got" in "$want"*) ;; *) echo "$name: expected a refusal, got $got"; failures=$((failures + 1)) ;; esac
  else
    counters=$(tr -d '\n ' <"$expected_file" | grep -o '"counters":{[^}]*}')
    field() { echo "$counters" | grep -o "\"$1\":[0-9]*" | cut -d: -f2; }
    open=$(grep -c '"depthIndex"' "$expected_file" || true)
    want="{\"rejected\":false,\"spansRead\":$(field spansRead),\"openSpans\":$open,\"corruptRecords\":$(field corruptRecords),\"unknownRecords\":$(field unknownRecords),\"corruptResource\":$(field corruptResource),\"droppedShutdown\":$(field droppedShutdown),\"unacknowledgedBytes\":$(field unacknowledgedBytes)}"
    if [ "$got" != "$want" ]; then
      echo "$name: expected $want, got $got"
      failures=$((failures + 1))
    fi
  fi
  checked=$((checked + 1))
done
echo "weft-read-stats: $checked vectors, $failures mismatches"
[ "$checked" -gt 0 ] && [ "$failures" -eq 0 ]
