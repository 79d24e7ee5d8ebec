#!/usr/bin/env bash
# End-to-end smoke test of the export chain, without Docker and without Java:
#
#   curl (OTLP/HTTP JSON) ──► weft-otelcol (collector-config/otel-collector.test.yaml)
#                                 ├─► file exporter  (OTLP JSON lines)
#                                 └─► Jaeger v2      (integration-tests/tools/jaeger-test.yaml)
#
# 1. builds (or takes from the cache) the test Collector and Jaeger;
# 2. starts Jaeger, then the Collector, on free 127.0.0.1 ports; waits for
#    their health endpoints;
# 3. sends one trace (two spans, parent and child) over OTLP/HTTP;
# 4. checks it in the file exporter output, in Jaeger's /api/traces?service=...
#    and in /api/traces/<trace-id>;
# 5. stops both processes (also on failure or Ctrl-C).
#
# Usage: smoke-collector-jaeger.sh [--keep]    (--keep: keep the work dir)
# Env:   WEFT_SMOKE_TIMEOUT   seconds to wait for each step (default 30)
#        WEFT_TOOLS_CACHE     tool cache root (see build-otelcol.sh)
# Exit codes: 0 passed; 1 failed (logs are printed and the work dir is kept);
#             3 the tools could not be built (no Go / module proxy;
#               "WEFT-TOOLS-UNAVAILABLE:" marker on stderr) -> treat as skipped.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=lib-tools.sh source-path=SCRIPTDIR
source "$here/lib-tools.sh"

keep=0
[[ "${1:-}" == "--keep" ]] && keep=1
step_timeout="${WEFT_SMOKE_TIMEOUT:-30}"
# Hard upper bound on the lifetime of the servers, even if this script is
# killed with SIGKILL and its trap never runs.
server_lifetime=$((step_timeout * 6 + 60))

command -v curl >/dev/null 2>&1 || weft_die "curl is required"
command -v timeout >/dev/null 2>&1 || weft_die "timeout (coreutils) is required"

# ── binaries ────────────────────────────────────────────────────────────────
rc=0
otelcol="$("$here/build-otelcol.sh" | tail -n 1)" || rc=$?
((rc == 0)) || exit "$rc"
jaeger="$("$here/build-jaeger.sh" | tail -n 1)" || rc=$?
((rc == 0)) || exit "$rc"

# ── work dir, cleanup ───────────────────────────────────────────────────────
work="$(mktemp -d "${TMPDIR:-/tmp}/weft-smoke.XXXXXX")"
jaeger_pid=""
otelcol_pid=""
ok=0
passed=0

stop() { # stop NAME PID: SIGTERM, wait up to 10 s, then SIGKILL
  local name="$1" pid="$2" i
  [[ -n "$pid" ]] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    weft_log "$name did not stop within 10 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop "collector" "$otelcol_pid"
  stop "jaeger" "$jaeger_pid"
  if ((ok == 0)); then
    for f in "$work"/*.log; do
      [[ -f "$f" ]] || continue
      printf '\n----- %s (last 40 lines) -----\n' "$(basename "$f")" >&2
      tail -n 40 "$f" >&2
    done
    weft_log "work dir kept for inspection: $work"
    ((status != 0)) || status=1
  elif ((keep)); then
    weft_log "work dir kept: $work"
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
  weft_log "FAIL: $*"
  echo "smoke: $passed passed, 1 failed"
  exit 1
}

# ── ports ───────────────────────────────────────────────────────────────────
used_ports=" "
# free_port VAR: set VAR to a port in 20000-59999 that nothing listens on and
# that was not handed out before (probing with a connect; a harness in another
# language should bind port 0 instead).
free_port() {
  local p i
  for ((i = 0; i < 200; i++)); do
    p=$((20000 + RANDOM % 40000))
    [[ "$used_ports" == *" $p "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      used_ports+="$p "
      printf -v "$1" '%s' "$p"
      export "${1?}"
      return 0
    fi
  done
  weft_die "no free port found"
}

free_port WEFT_JAEGER_OTLP_GRPC_PORT
free_port WEFT_JAEGER_QUERY_PORT
free_port WEFT_JAEGER_QUERY_GRPC_PORT
free_port WEFT_JAEGER_HEALTH_PORT
free_port WEFT_OTLP_GRPC_PORT
free_port WEFT_OTLP_HTTP_PORT
free_port WEFT_OTELCOL_HEALTH_PORT
export WEFT_FILE_EXPORT_PATH="$work/export.json"
export WEFT_JAEGER_OTLP_ENDPOINT="127.0.0.1:$WEFT_JAEGER_OTLP_GRPC_PORT"

weft_log "ports: collector grpc=$WEFT_OTLP_GRPC_PORT http=$WEFT_OTLP_HTTP_PORT health=$WEFT_OTELCOL_HEALTH_PORT;" \
  "jaeger otlp=$WEFT_JAEGER_OTLP_GRPC_PORT query=$WEFT_JAEGER_QUERY_PORT query-grpc=$WEFT_JAEGER_QUERY_GRPC_PORT health=$WEFT_JAEGER_HEALTH_PORT"

# wait_ready NAME PID URL: poll URL until HTTP 200, the process dies, or timeout.
wait_ready() {
  local name="$1" pid="$2" url="$3" deadline=$((SECONDS + step_timeout))
  while ((SECONDS < deadline)); do
    kill -0 "$pid" 2>/dev/null || fail "$name exited during start-up (see its log below)"
    if curl -fsS -m 2 -o /dev/null "$url" 2>/dev/null; then
      weft_log "$name ready ($url)"
      return 0
    fi
    sleep 0.2
  done
  fail "$name not ready after ${step_timeout}s ($url)"
}

# ── start Jaeger, then the Collector ────────────────────────────────────────
timeout -s TERM "$server_lifetime" "$jaeger" --config="$here/jaeger-test.yaml" >"$work/jaeger.log" 2>&1 &
jaeger_pid=$!
wait_ready "jaeger" "$jaeger_pid" "http://127.0.0.1:$WEFT_JAEGER_HEALTH_PORT/status"

timeout -s TERM "$server_lifetime" "$otelcol" --config="$repo/collector-config/otel-collector.test.yaml" >"$work/collector.log" 2>&1 &
otelcol_pid=$!
wait_ready "collector" "$otelcol_pid" "http://127.0.0.1:$WEFT_OTELCOL_HEALTH_PORT/"

# ── send one trace (parent + child span) over OTLP/HTTP JSON ────────────────
hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
trace_id="$(hex 16)"
parent_id="$(hex 8)"
child_id="$(hex 8)"
service="weft-smoke-$(hex 4)"
now="$(date +%s%N)"
t0=$((now - 50000000)) # 50 ms ago
t1=$((now - 40000000))
t2=$((now - 20000000))
t3=$((now - 10000000))

cat >"$work/request.json" <<JSON
{"resourceSpans":[{
  "resource":{"attributes":[
    {"key":"service.name","value":{"stringValue":"$service"}},
    {"key":"telemetry.sdk.name","value":{"stringValue":"weft-smoke"}}]},
  "scopeSpans":[{
    "scope":{"name":"weft.smoke","version":"1"},
    "spans":[
      {"traceId":"$trace_id","spanId":"$parent_id","name":"java.call","kind":1,
       "startTimeUnixNano":"$t0","endTimeUnixNano":"$t3",
       "attributes":[{"key":"weft.smoke","value":{"boolValue":true}}],
       "status":{"code":1}},
      {"traceId":"$trace_id","spanId":"$child_id","parentSpanId":"$parent_id","name":"native.stage","kind":1,
       "startTimeUnixNano":"$t1","endTimeUnixNano":"$t2",
       "attributes":[{"key":"weft.native","value":{"boolValue":true}},{"key":"weft.bytes","value":{"intValue":"4096"}}],
       "status":{"code":1}}]}]}]}
JSON

weft_log "sending trace $trace_id (service $service) to http://127.0.0.1:$WEFT_OTLP_HTTP_PORT/v1/traces"
code="$(curl -sS -m 10 -o "$work/response.txt" -w '%{http_code}' \
  -H 'Content-Type: application/json' --data-binary @"$work/request.json" \
  "http://127.0.0.1:$WEFT_OTLP_HTTP_PORT/v1/traces")" || fail "POST /v1/traces failed"
[[ "$code" == "200" ]] || fail "POST /v1/traces answered HTTP $code: $(cat "$work/response.txt")"

# ── checks ──────────────────────────────────────────────────────────────────
# poll DESCRIPTION COMMAND...: retry COMMAND until it succeeds or timeout.
poll() {
  local what="$1" deadline=$((SECONDS + step_timeout))
  shift
  while ((SECONDS < deadline)); do
    if "$@"; then
      weft_log "ok: $what"
      passed=$((passed + 1))
      return 0
    fi
    sleep 0.3
  done
  fail "$what (not seen within ${step_timeout}s)"
}

in_file_export() {
  [[ -f "$WEFT_FILE_EXPORT_PATH" ]] \
    && grep -q "\"traceId\":\"$trace_id\"" "$WEFT_FILE_EXPORT_PATH" \
    && grep -q "\"spanId\":\"$child_id\"" "$WEFT_FILE_EXPORT_PATH"
}
in_jaeger_search() {
  curl -fsS -m 5 "http://127.0.0.1:$WEFT_JAEGER_QUERY_PORT/api/traces?service=$service&limit=20" \
    >"$work/jaeger-search.json" 2>/dev/null \
    && grep -q "\"traceID\":\"$trace_id\"" "$work/jaeger-search.json"
}
in_jaeger_by_id() {
  curl -fsS -m 5 "http://127.0.0.1:$WEFT_JAEGER_QUERY_PORT/api/traces/$trace_id" \
    >"$work/jaeger-trace.json" 2>/dev/null \
    && grep -q "\"spanID\":\"$parent_id\"" "$work/jaeger-trace.json" \
    && grep -q "\"spanID\":\"$child_id\"" "$work/jaeger-trace.json"
}

poll "trace in the file exporter output ($WEFT_FILE_EXPORT_PATH)" in_file_export
poll "trace found by Jaeger /api/traces?service=$service" in_jaeger_search
poll "both spans in Jaeger /api/traces/$trace_id" in_jaeger_by_id

# The child must reference the parent in Jaeger's model (CHILD_OF reference).
if grep -q "\"refType\":\"CHILD_OF\",\"traceID\":\"$trace_id\",\"spanID\":\"$parent_id\"" "$work/jaeger-trace.json"; then
  weft_log "ok: parent/child relation preserved in Jaeger"
  passed=$((passed + 1))
else
  fail "Jaeger trace lacks the CHILD_OF reference to the parent span (see $work/jaeger-trace.json)"
fi

ok=1
weft_log "PASSED: trace $trace_id went curl -> collector -> file + Jaeger"
echo "smoke: $passed passed, 0 failed"
