#!/usr/bin/env bash
# Build the Weft test OpenTelemetry Collector from otelcol-builder.yaml with the
# OpenTelemetry Collector Builder, into a cache outside the source tree:
#
#   ${WEFT_TOOLS_CACHE:-$HOME/.cache/weft-tools}/otelcol-<version>-<hash>/weft-otelcol
#
# <hash> is derived from the manifest and the builder version, so editing the
# manifest produces a new cache entry and an unchanged manifest is never
# rebuilt. The path of the binary is printed as the last line of stdout.
#
# Exit codes: 0 ok; 3 Go or the module proxy unavailable (stderr line starting
# with "WEFT-TOOLS-UNAVAILABLE:"); anything else is a real failure.
#
# Options/env:
#   --print-path       print the path the binary would have and exit 0
#                      (does not build; combine with `test -x` to check)
#   WEFT_TOOLS_CACHE   cache root (default $HOME/.cache/weft-tools)
#   GOPROXY            module proxy (default https://proxy.golang.org,direct)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib-tools.sh source-path=SCRIPTDIR
source "$here/lib-tools.sh"

# Must equal the core beta component versions in otelcol-builder.yaml.
BUILDER_VERSION="v0.162.0"
MANIFEST="$here/otelcol-builder.yaml"
BIN_NAME="weft-otelcol"

[[ -f "$MANIFEST" ]] || weft_die "manifest not found: $MANIFEST"
grep -q "otlpreceiver ${BUILDER_VERSION}\$" "$MANIFEST" \
  || weft_die "otelcol-builder.yaml component versions do not match BUILDER_VERSION=$BUILDER_VERSION"

cache="$(weft_tools_cache)"
key="$( { cat "$MANIFEST"; echo "builder=$BUILDER_VERSION"; } | sha256sum | cut -c1-12)"
entry="$cache/otelcol-${BUILDER_VERSION#v}-$key"
bin="$entry/$BIN_NAME"

if [[ "${1:-}" == "--print-path" ]]; then
  echo "$bin"
  exit 0
fi

if [[ -x "$bin" ]]; then
  weft_log "cached: $bin (manifest hash $key); delete $entry to force a rebuild"
  echo "$bin"
  exit 0
fi

weft_require_go
weft_go_env
weft_log "go: $(go version); GOPROXY=$GOPROXY; cache=$cache"
weft_check_module "go.opentelemetry.io/collector/cmd/builder@$BUILDER_VERSION"

builder="$cache/bin/builder-$BUILDER_VERSION"
if [[ ! -x "$builder" ]]; then
  weft_log "installing the Collector Builder $BUILDER_VERSION"
  tmpbin="$(mktemp -d "$cache/.builder.XXXXXX")"
  if ! GOBIN="$tmpbin" go install "go.opentelemetry.io/collector/cmd/builder@$BUILDER_VERSION"; then
    rm -rf "$tmpbin"
    weft_die "go install of the Collector Builder failed"
  fi
  mkdir -p "$cache/bin"
  mv "$tmpbin/builder" "$builder"
  rm -rf "$tmpbin"
fi

# Build in a scratch directory next to the final entry, then move it into
# place atomically, so an interrupted build never leaves a half-made entry.
work="$(mktemp -d "$cache/.otelcol-build.XXXXXX")"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
cp "$MANIFEST" "$work/otelcol-builder.yaml"

# GOFLAGS -e (used by `go mod tidy`, ignored by commands that lack it): the
# builder's `go mod tidy` also resolves modules needed only by the *tests* of
# every component (e.g. contrib's otlpencodingextension for fileexporter's
# tests); the restricted module proxy of this project's machines does not
# serve some of them. The binary doesn't need them, and `go build` still fails
# loudly if anything the binary imports is missing.
weft_log "building $BIN_NAME (this takes several minutes on 2 cores) in $work"
start=$SECONDS
if ! (cd "$work" && GOFLAGS="$GOFLAGS -e" "$builder" --config=otelcol-builder.yaml) >"$work/build.log" 2>&1; then
  tail -n 40 "$work/build.log" >&2
  if grep -Eq 'proxy|dial tcp|no such host|i/o timeout|403 Forbidden|connection refused' "$work/build.log"; then
    weft_unavailable "module download failed while building the collector (see log above)"
  fi
  weft_die "the Collector Builder failed (log above)"
fi
elapsed=$((SECONDS - start))
[[ -x "$work/dist/$BIN_NAME" ]] || weft_die "builder finished but $work/dist/$BIN_NAME is missing"
core="$(cd "$work/dist" && go list -m -f '{{.Version}}' go.opentelemetry.io/collector/otelcol)"
[[ "$core" == "$BUILDER_VERSION" ]] \
  || weft_die "component versions pulled in collector core $core, expected $BUILDER_VERSION: align otelcol-builder.yaml"

mkdir -p "$work/entry"
mv "$work/dist/$BIN_NAME" "$work/entry/$BIN_NAME"
cp "$MANIFEST" "$work/entry/otelcol-builder.yaml"
cp "$work/build.log" "$work/entry/build.log"
cp "$work/dist/go.mod" "$work/dist/go.sum" "$work/entry/"
printf 'builder=%s\nmanifest_hash=%s\nbuild_seconds=%s\ngo=%s\nbuilt=%s\n' \
  "$BUILDER_VERSION" "$key" "$elapsed" "$(go version)" "$(date -u +%FT%TZ)" >"$work/entry/BUILD-INFO"
rm -rf "$entry"
mv "$work/entry" "$entry"
weft_log "built $bin in ${elapsed}s"
echo "$bin"
