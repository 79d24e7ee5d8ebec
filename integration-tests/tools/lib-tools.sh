# shellcheck shell=bash
# Shared helpers for the integration-test tool scripts. Source it, don't run it.
#
# Exit-code contract of the build scripts (documented in docs/deployment.md):
#   0  binary is available (built now or found in the cache); its path is the
#      last line of stdout
#   3  TOOLS UNAVAILABLE: Go or the Go module proxy cannot be reached; a line
#      starting with "WEFT-TOOLS-UNAVAILABLE:" is printed on stderr. Callers
#      (CI, the Java test harness) should treat this as "skip", not "fail".
#   other non-zero: a real failure (compile error, bad manifest, ...)

WEFT_TOOLS_UNAVAILABLE_RC=3

weft_log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }

weft_die() {
  weft_log "ERROR: $*"
  exit 1
}

# weft_unavailable REASON: print the distinctive marker and exit 3.
weft_unavailable() {
  printf 'WEFT-TOOLS-UNAVAILABLE: %s\n' "$*" >&2
  exit "$WEFT_TOOLS_UNAVAILABLE_RC"
}

# Root of the reusable tool cache (outside the source tree).
weft_tools_cache() {
  local c="${WEFT_TOOLS_CACHE:-${HOME:-/tmp}/.cache/weft-tools}"
  mkdir -p "$c"
  (cd "$c" && pwd)
}

# Go environment under the tool cache, so module downloads and compiled
# packages are reused between builds and between projects' checkouts.
weft_go_env() {
  local cache
  cache="$(weft_tools_cache)"
  export GOPATH="$cache/go"
  export GOMODCACHE="$cache/go/pkg/mod"
  export GOCACHE="$cache/go-build"
  export GOFLAGS="-trimpath -buildvcs=false"
  export CGO_ENABLED=0
  # Respect a user/CI-provided proxy; default to the public one.
  export GOPROXY="${GOPROXY:-https://proxy.golang.org,direct}"
  # Never let the go command download a different toolchain by itself.
  export GOTOOLCHAIN="${WEFT_GOTOOLCHAIN:-local}"
  mkdir -p "$GOMODCACHE" "$GOCACHE"
}

# weft_require_go: exit 3 if there is no usable go command.
weft_require_go() {
  command -v go >/dev/null 2>&1 || weft_unavailable "no 'go' command on PATH (Go >= 1.26 is needed to build the test tools)"
  local v
  v="$(GOTOOLCHAIN=local go env GOVERSION 2>/dev/null)" || weft_unavailable "'go env GOVERSION' failed"
  # go1.26.8 -> 1 26
  if [[ "$v" =~ ^go([0-9]+)\.([0-9]+) ]]; then
    if ((BASH_REMATCH[1] == 1 && BASH_REMATCH[2] < 26)); then
      weft_unavailable "$v is too old: the test tools need Go >= 1.26 (GOTOOLCHAIN=local, no automatic toolchain download)"
    fi
  fi
}

# weft_check_module MODULE@VERSION: exit 3 if the module proxy cannot serve it.
weft_check_module() {
  local spec="$1" out
  if ! out="$(timeout 120 go list -m -json "$spec" 2>&1)"; then
    weft_unavailable "the Go module proxy ($GOPROXY) cannot serve $spec: $(printf '%s' "$out" | tail -n 2 | tr '\n' ' ')"
  fi
}

# weft_hash12 FILE... : first 12 hex digits of the sha256 of the files
# contents (paths don't matter, so every checkout shares the cache entry).
weft_hash12() { cat "$@" | sha256sum | cut -c1-12; }
