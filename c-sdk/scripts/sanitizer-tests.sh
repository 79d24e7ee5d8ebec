#!/usr/bin/env bash
# Builds the C SDK twice more and runs its tests under the sanitizers:
# AddressSanitizer + UndefinedBehaviorSanitizer, then ThreadSanitizer.
#   scripts/sanitizer-tests.sh [BUILD_ROOT]   (default: c-sdk/target)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
root=${1:-$here/target}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
for sanitize in address,undefined thread; do
  dir="$root/cmake-${sanitize//,/-}"
  echo "== C SDK tests under -fsanitize=$sanitize ($dir)"
  cmake -S "$here" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_SANITIZE="$sanitize" \
    -DWEFT_BUILD_BENCH=OFF -DWEFT_BUILD_TOOLS=OFF -DWEFT_JNI=OFF >/dev/null
  cmake --build "$dir" --parallel >/dev/null
  # the install test builds uninstrumented consumers: it runs in the plain build only
  ctest --test-dir "$dir" --output-on-failure --exclude-regex test_install
done
