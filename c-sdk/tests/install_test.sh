#!/usr/bin/env bash
# The ways to get the C SDK (README, "Get the C SDK"), each followed by consumers that build and
# run against it:
#   1. `cmake --install` into a prefix: find_package (shared and static) and pkg-config consumers;
#   2. the release archive weft-c-sdk-<version>-linux-<arch>.tar.gz made by cpack: its contents,
#      then the same consumers against the unpacked archive;
#   3. FetchContent / add_subdirectory of the source tree (host builds only).
#   install_test.sh BUILD_DIR SOURCE_DIR [TOOLCHAIN_FILE]
# With a toolchain file (the aarch64 cross build) the consumers are cross-built with it and run
# under its emulator (qemu-aarch64 -L /usr/aarch64-linux-gnu).
set -euo pipefail
build=$(cd "$1" && pwd) source=$(cd "$2" && pwd) toolchain=${3:-}
work=$(mktemp -d /tmp/weft-install-XXXXXX)
shm=$(mktemp -d /dev/shm/weft-install-test-XXXXXX)
trap 'rm -rf "$work" "$shm"' EXIT
export WEFT_SHM_DIR=$shm
passed=0
run=() cc=${CC:-cc} cmake_args=()
if [ -n "$toolchain" ]; then
  cmake_args=(-DCMAKE_TOOLCHAIN_FILE="$toolchain")
  run=(qemu-aarch64 -L /usr/aarch64-linux-gnu)
  cc=aarch64-linux-gnu-gcc
fi

# Consumers against an installed tree at $1.
consumers() {
  local prefix=$1 name=$2 libdir
  test -f "$prefix/include/weft/weft.h" && test -f "$prefix/include/weft/weft.hpp"
  libdir=$(dirname "$(find "$prefix" -name libweft.so.0 | head -1)")
  test -L "$libdir/libweft.so" && test -f "$libdir/libweft.a"
  readelf -d "$libdir/libweft.so.0" | grep -q 'SONAME.*libweft.so.0'
  test -f "$libdir/pkgconfig/weft.pc" && test -f "$libdir/cmake/weft/weftConfig.cmake"

  # a cross build's find_package only searches under the target root: name the package directly
  cmake -S "$source/tests/install-consumer" -B "$work/$name-consumer" -DCMAKE_PREFIX_PATH="$prefix" \
    ${toolchain:+-Dweft_DIR="$libdir/cmake/weft"} "${cmake_args[@]}" >/dev/null
  cmake --build "$work/$name-consumer" >/dev/null
  LD_LIBRARY_PATH=$libdir "${run[@]}" "$work/$name-consumer/consumer_c"
  "${run[@]}" "$work/$name-consumer/consumer_cpp"
  passed=$((passed + 2))
  if command -v pkg-config >/dev/null; then
    # shellcheck disable=SC2046
    "$cc" -std=c11 -o "$work/$name-consumer_pc" "$source/tests/install-consumer/consumer.c" \
      $(PKG_CONFIG_PATH=$libdir/pkgconfig PKG_CONFIG_LIBDIR=$libdir/pkgconfig pkg-config --cflags --libs weft)
    LD_LIBRARY_PATH=$libdir "${run[@]}" "$work/$name-consumer_pc"
    passed=$((passed + 1))
  else
    echo "install: pkg-config not installed: the pkg-config consumer of $name skipped"
  fi
}

# 1. cmake --install
cmake --install "$build" --prefix "$work/prefix" >/dev/null
consumers "$work/prefix" install

# 2. the release archive
cpack --config "$build/CPackConfig.cmake" -B "$work/cpack" >/dev/null
archive=$(ls "$work/cpack"/weft-c-sdk-*-linux-*.tar.gz)
top=$(basename "$archive" .tar.gz)
listing=$(tar tzf "$archive")
for entry in include/weft/weft.h include/weft/weft.hpp include/weft/weft_abi.h lib/libweft.so.0 \
             lib/libweft.so lib/pkgconfig/weft.pc lib/cmake/weft/weftConfig.cmake lib/cmake/weft/weftTargets.cmake; do
  entry=${entry/#lib\//$(grep -o '^[^/]*/lib[^/]*/libweft.so.0$' <<<"$listing" | head -1 | cut -d/ -f2)/}
  grep -qx "$top/$entry" <<<"$listing" || { echo "install: $entry is missing from $(basename "$archive")"; exit 1; }
done
mkdir "$work/unpacked"
tar xzf "$archive" -C "$work/unpacked"
consumers "$work/unpacked/$top" archive
echo "install: $(basename "$archive") holds headers, libweft.so*, weft.pc and the CMake package"

# 3. FetchContent / add_subdirectory (builds libweft from source: host builds only)
if [ -z "$toolchain" ]; then
  cmake -S "$source/tests/subdir-consumer" -B "$work/subdir" -DWEFT_SOURCE_DIR="$source" >/dev/null
  cmake --build "$work/subdir" >/dev/null
  "$work/subdir/consumer_c"
  passed=$((passed + 1))
fi
if [ -n "$toolchain" ]; then what="cmake --install and release archive consumers (cross-built, run under ${run[*]})"
else what="cmake --install, release archive and FetchContent consumers"; fi
echo "install: $what: $passed passed, 0 failed"
