#!/usr/bin/env bash
# Build the Jaeger v2 binary (cmd/jaeger: an OpenTelemetry-Collector-based
# Jaeger with OTLP receivers, in-memory storage and the query API) into a cache
# outside the source tree:
#
#   ${WEFT_TOOLS_CACHE:-$HOME/.cache/weft-tools}/jaeger-<release>-<hash>/jaeger
#
# The path of the binary is printed as the last line of stdout.
#
# Why a wrapper module and not `go install github.com/jaegertracing/jaeger/cmd/jaeger@...`:
# Jaeger's module path has no /v2 suffix, so its v2.x.y release tags are not
# valid Go module versions; only the v1.x.y tags (cut from the same commit as
# the matching v2 release) or commit pseudo-versions are. Releases up to
# v1.76.0/v2.13.0 carry a `replace` directive in go.mod, which `go install
# pkg@version` refuses. So we build from a throw-away wrapper module that
# requires the pinned version and repeats Jaeger's replace directive. Where a
# module proxy serves a v2.14+ commit pseudo-version (no replace directives
# any more) this still works unchanged: set JAEGER_MODULE_VERSION to it and
# empty JAEGER_REPLACES.
#
# The Jaeger UI is NOT embedded in such a build (the query service serves a
# placeholder page), but the query HTTP API is complete:
#   GET /api/services, GET /api/traces?service=..., GET /api/traces/<trace-id>
#
# Exit codes: 0 ok; 3 Go or the module proxy unavailable (stderr line starting
# with "WEFT-TOOLS-UNAVAILABLE:"); anything else is a real failure.
#
# Options/env:
#   --print-path       print the path the binary would have and exit 0
#   WEFT_TOOLS_CACHE   cache root (default $HOME/.cache/weft-tools)
#   GOPROXY            module proxy (default https://proxy.golang.org,direct)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib-tools.sh source-path=SCRIPTDIR
source "$here/lib-tools.sh"

# Jaeger v2.13.0 == Go module version v1.76.0 (tagged on the same commit,
# released 2025-12-03). Keep docker-compose.yml's jaegertracing/jaeger tag in
# step with JAEGER_RELEASE.
JAEGER_RELEASE="2.13.0"
JAEGER_MODULE_VERSION="v1.76.0"
# Replace directives copied from Jaeger's own go.mod at that version.
JAEGER_REPLACES=(
  "github.com/Shopify/sarama => github.com/Shopify/sarama v1.33.0"
)
BIN_NAME="jaeger"

cache="$(weft_tools_cache)"
key="$( { echo "release=$JAEGER_RELEASE module=$JAEGER_MODULE_VERSION"; printf '%s\n' "${JAEGER_REPLACES[@]}"; } | sha256sum | cut -c1-12)"
entry="$cache/jaeger-${JAEGER_RELEASE}-$key"
bin="$entry/$BIN_NAME"

if [[ "${1:-}" == "--print-path" ]]; then
  echo "$bin"
  exit 0
fi

if [[ -x "$bin" ]]; then
  weft_log "cached: $bin; delete $entry to force a rebuild"
  echo "$bin"
  exit 0
fi

weft_require_go
weft_go_env
weft_log "go: $(go version); GOPROXY=$GOPROXY; cache=$cache"
weft_check_module "github.com/jaegertracing/jaeger@$JAEGER_MODULE_VERSION"

work="$(mktemp -d "$cache/.jaeger-build.XXXXXX")"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT

{
  echo "module weft.invalid/jaeger-build"
  echo
  echo "go 1.26"
  echo
  for r in "${JAEGER_REPLACES[@]}"; do echo "replace $r"; done
} >"$work/go.mod"

# Seed go.sum with Jaeger's own go.sum (part of the module zip, which the
# checksum database has verified). Besides being the exact dependency set
# Jaeger tested, this avoids checksum-database look-ups that the restricted
# module proxy of this project's machines does not answer for some modules.
go mod download "github.com/jaegertracing/jaeger@$JAEGER_MODULE_VERSION" >/dev/null 2>"$work/download.log" \
  || { cat "$work/download.log" >&2; weft_unavailable "cannot download github.com/jaegertracing/jaeger@$JAEGER_MODULE_VERSION"; }
install -m 0644 "$GOMODCACHE/github.com/jaegertracing/jaeger@$JAEGER_MODULE_VERSION/go.sum" "$work/go.sum"

weft_log "building Jaeger $JAEGER_RELEASE (module $JAEGER_MODULE_VERSION); this takes several minutes on 2 cores"
start=$SECONDS
if ! (cd "$work" \
      && go get "github.com/jaegertracing/jaeger/cmd/jaeger@$JAEGER_MODULE_VERSION" \
      && go build -o "$work/out/$BIN_NAME" \
           -ldflags "-s -w \
             -X github.com/jaegertracing/jaeger/internal/version.latestVersion=v$JAEGER_RELEASE \
             -X github.com/jaegertracing/jaeger/internal/version.date=$(date -u +%FT%TZ)" \
           github.com/jaegertracing/jaeger/cmd/jaeger) >"$work/build.log" 2>&1; then
  tail -n 40 "$work/build.log" >&2
  if grep -Eq 'proxy|dial tcp|no such host|i/o timeout|403 Forbidden|connection refused' "$work/build.log"; then
    weft_unavailable "module download failed while building Jaeger (see log above)"
  fi
  weft_die "building Jaeger failed (log above)"
fi
elapsed=$((SECONDS - start))

mkdir -p "$work/entry"
mv "$work/out/$BIN_NAME" "$work/entry/$BIN_NAME"
cp "$work/go.mod" "$work/build.log" "$work/entry/"
printf 'jaeger_release=%s\nmodule_version=%s\nbuild_seconds=%s\ngo=%s\nbuilt=%s\n' \
  "$JAEGER_RELEASE" "$JAEGER_MODULE_VERSION" "$elapsed" "$(go version)" "$(date -u +%FT%TZ)" >"$work/entry/BUILD-INFO"
rm -rf "$entry"
mv "$work/entry" "$entry"
weft_log "built $bin in ${elapsed}s"
echo "$bin"
