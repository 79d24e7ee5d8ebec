#!/usr/bin/env bash
# Builds the Go/cgo example against this checkout's C SDK:
#
#   examples/go-cgo/build.sh [C_SDK_BUILD_DIR] [OUTPUT]
#
# C_SDK_BUILD_DIR: where libweft.so is (default c-sdk/target/cmake); OUTPUT: the
# binary (default examples/go-cgo/target/weft-go-cgo). The binary finds
# libweft.so through its rpath. Prints the binary's path as the last line.
#
# Exit codes (the contract of integration-tests/tools, docs/deployment.md): 0 ok;
# 3 Go or the module proxy unavailable ("WEFT-TOOLS-UNAVAILABLE:" on stderr);
# anything else is a real failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=../../integration-tests/tools/lib-tools.sh
source "$root/integration-tests/tools/lib-tools.sh"

build_dir="$(cd "${1:-$root/c-sdk/target/cmake}" && pwd)"
out="${2:-$here/target/weft-go-cgo}"
[[ -f "$build_dir/libweft.so" ]] || weft_die "no libweft.so in $build_dir: build the C SDK first (cmake -S c-sdk -B c-sdk/target/cmake && cmake --build c-sdk/target/cmake)"

weft_require_go
weft_go_env
export CGO_ENABLED=1
export CGO_CFLAGS="-I$root/c-sdk/include -O2"
export CGO_LDFLAGS="-L$build_dir -Wl,-rpath,$build_dir"
weft_log "go: $(go version); GOPROXY=$GOPROXY"
cd "$here"
if ! out_text="$(timeout 300 go mod download 2>&1)"; then
  weft_unavailable "the Go module proxy ($GOPROXY) cannot serve the example's modules: $(printf '%s' "$out_text" | tail -n 2 | tr '\n' ' ')"
fi
mkdir -p "$(dirname "$out")"
go build -o "$out" .
echo "$out"
