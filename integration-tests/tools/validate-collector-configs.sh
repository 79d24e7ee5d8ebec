#!/usr/bin/env bash
# Validate every OpenTelemetry Collector config in collector-config/ with the
# test collector built from otelcol-builder.yaml (`weft-otelcol validate`),
# and, when the Jaeger binary is already built, integration-tests/tools/
# jaeger-test.yaml with `jaeger validate`.
#
# A Collector config is any collector-config/*.yaml with top-level
# `receivers:` and `service:` keys (tempo.yaml and Grafana provisioning are
# not Collector configs). Environment variables the configs require are set to
# placeholder values here (validation binds no port).
#
# Builds the collector first if it is not cached (takes about a minute).
# Exit codes: 0 all valid; 1 at least one invalid; 3 the collector could not
# be built because Go or the module proxy is unavailable
# ("WEFT-TOOLS-UNAVAILABLE:" marker on stderr).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=lib-tools.sh source-path=SCRIPTDIR
source "$here/lib-tools.sh"

rc=0
otelcol="$("$here/build-otelcol.sh" | tail -n 1)" || rc=$?
if ((rc != 0)); then
  exit "$rc"
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Placeholders for the variables of otel-collector.test.yaml / jaeger-test.yaml.
export WEFT_OTLP_GRPC_PORT=14317 WEFT_OTLP_HTTP_PORT=14318 WEFT_OTELCOL_HEALTH_PORT=13133
export WEFT_FILE_EXPORT_PATH="$tmp/export.json"
export WEFT_JAEGER_OTLP_ENDPOINT=127.0.0.1:24317
export WEFT_JAEGER_OTLP_GRPC_PORT=24317 WEFT_JAEGER_QUERY_PORT=26686
export WEFT_JAEGER_QUERY_GRPC_PORT=26685 WEFT_JAEGER_HEALTH_PORT=23133

checked=0
failed=0
for cfg in "$repo"/collector-config/*.yaml "$repo"/collector-config/*.yml; do
  [[ -f "$cfg" ]] || continue
  if ! grep -q '^receivers:' "$cfg" || ! grep -q '^service:' "$cfg"; then
    continue
  fi
  checked=$((checked + 1))
  rel="${cfg#"$repo"/}"
  if "$otelcol" validate --config="$cfg" >"$tmp/out" 2>&1; then
    weft_log "OK       $rel"
  else
    weft_log "INVALID  $rel"
    sed 's/^/    /' "$tmp/out" >&2
    failed=$((failed + 1))
  fi
done
((checked > 0)) || weft_die "no Collector config found in $repo/collector-config"

jaeger="$("$here/build-jaeger.sh" --print-path)"
jcfg="$here/jaeger-test.yaml"
if [[ -f "$jcfg" ]]; then
  if [[ -x "$jaeger" ]]; then
    checked=$((checked + 1))
    if "$jaeger" validate --config="$jcfg" >"$tmp/out" 2>&1; then
      weft_log "OK       ${jcfg#"$repo"/} (jaeger)"
    else
      weft_log "INVALID  ${jcfg#"$repo"/} (jaeger)"
      sed 's/^/    /' "$tmp/out" >&2
      failed=$((failed + 1))
    fi
  else
    weft_log "skipping ${jcfg#"$repo"/}: Jaeger not built (run build-jaeger.sh)"
  fi
fi

if ((failed > 0)); then
  weft_log "FAILED: $failed of $checked config(s) invalid"
  exit 1
fi
weft_log "all $checked config(s) valid"
