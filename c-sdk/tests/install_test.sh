#!/usr/bin/env bash
# Installs the C SDK into a temporary prefix, then builds and runs consumers against it:
# with CMake's find_package (shared and static) and with pkg-config.
#   install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 source=$2
prefix=$(mktemp -d /tmp/weft-install-XXXXXX)
shm=$(mktemp -d /dev/shm/weft-install-test-XXXXXX)
trap 'rm -rf "$prefix" "$shm"' EXIT
export WEFT_SHM_DIR=$shm
cmake --install "$build" --prefix "$prefix" >/dev/null
test -f "$prefix/include/weft/weft.h" && test -f "$prefix/include/weft/weft.hpp"
libdir=$(dirname "$(find "$prefix" -name libweft.so.0 | head -1)")
test -L "$libdir/libweft.so" && test -f "$libdir/libweft.a"
readelf -d "$libdir/libweft.so.0" | grep -q 'SONAME.*libweft.so.0'

cmake -S "$source/tests/install-consumer" -B "$prefix/consumer" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$prefix/consumer" >/dev/null
LD_LIBRARY_PATH=$libdir "$prefix/consumer/consumer_c"
"$prefix/consumer/consumer_cpp"

if command -v pkg-config >/dev/null; then
  export PKG_CONFIG_PATH=$libdir/pkgconfig
  # shellcheck disable=SC2046
  cc -std=c11 -o "$prefix/consumer_pc" "$source/tests/install-consumer/consumer.c" $(pkg-config --cflags --libs weft)
  LD_LIBRARY_PATH=$libdir "$prefix/consumer_pc"
  echo "install: find_package (shared, static) and pkg-config consumers: 3 passed, 0 failed"
else
  echo "install: find_package (shared, static) consumers: 2 passed, 0 failed (pkg-config not installed: its consumer skipped)"
fi
