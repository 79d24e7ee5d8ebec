#!/usr/bin/env bash
# Validate docker-compose.yml without a Docker engine.
#
# Runs every validator that is available and fails if any of them rejects the
# file:
#   1. compose-validate (integration-tests/tools/compose-validate): compose-go,
#      the Compose Specification reference implementation used by Docker
#      Compose v2, plus Weft's rules: exact image tags, ports published on
#      127.0.0.1 only, bind-mount sources exist. Built with Go into the tools
#      cache (${WEFT_TOOLS_CACHE:-$HOME/.cache/weft-tools}).
#   2. `docker compose config` (Compose v2 CLI plugin), if installed.
#   3. `docker-compose config` (Compose v1, e.g. Debian's docker-compose
#      package), if installed.
# None of them needs a daemon.
#
# Usage: validate-compose.sh [path/to/docker-compose.yml]
# Exit codes: 0 valid; 1 invalid; 3 no validator could run (no Go/module proxy
# and no compose CLI; marker "WEFT-TOOLS-UNAVAILABLE:" on stderr).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=lib-tools.sh source-path=SCRIPTDIR
source "$here/lib-tools.sh"

file="${1:-$repo/docker-compose.yml}"
[[ -f "$file" ]] || weft_die "no such file: $file"

ran=0
failed=0

# 1. compose-go based validator (built once, cached by source hash).
src="$here/compose-validate"
cache="$(weft_tools_cache)"
key="$(weft_hash12 "$src/go.mod" "$src/go.sum" "$src/main.go")"
validator="$cache/compose-validate-$key/compose-validate"
if [[ ! -x "$validator" ]] && command -v go >/dev/null 2>&1; then
  weft_go_env
  weft_log "building compose-validate (compose-go) into $(dirname "$validator")"
  tmp="$(mktemp -d "$cache/.compose-validate.XXXXXX")"
  if (cd "$src" && go build -o "$tmp/compose-validate" .) >"$tmp/build.log" 2>&1; then
    mkdir -p "$(dirname "$validator")"
    mv "$tmp/compose-validate" "$validator"
  else
    cat "$tmp/build.log" >&2
    weft_log "WARNING: could not build compose-validate (Go module proxy unavailable?)"
  fi
  rm -rf "$tmp"
fi
if [[ -x "$validator" ]]; then
  ran=$((ran + 1))
  if "$validator" "$file"; then
    weft_log "compose-go: OK"
  else
    weft_log "compose-go: INVALID"
    failed=1
  fi
else
  weft_log "compose-go validator unavailable (no Go?), skipping it"
fi

# 2./3. The compose CLIs, if installed. `config -q` parses, interpolates and
# validates without contacting a daemon.
if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
  ran=$((ran + 1))
  if docker compose -f "$file" config -q; then
    weft_log "docker compose (v2): OK"
  else
    weft_log "docker compose (v2): INVALID"
    failed=1
  fi
fi
if command -v docker-compose >/dev/null 2>&1; then
  ran=$((ran + 1))
  if docker-compose -f "$file" config -q; then
    weft_log "docker-compose ($(docker-compose version --short 2>/dev/null || echo v1)): OK"
  else
    weft_log "docker-compose: INVALID"
    failed=1
  fi
fi

if ((ran == 0)); then
  weft_unavailable "no Compose validator available: install Go (for compose-go) or docker-compose (apt-get install docker-compose)"
fi
if ((failed)); then
  weft_log "FAILED: $file is invalid"
  exit 1
fi
weft_log "$file is valid ($ran validator(s))"
