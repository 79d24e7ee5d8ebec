#!/usr/bin/env bash
# Manual check (not in .ci/run: it needs root, BPF and a few minutes): run the OpenTelemetry eBPF
# profiler against a process that records Weft spans on CPU, and check what the profiler exports.
#
#   ebpf-profiler-check.sh [--ref COMMIT] [--seconds N] [--observe-only] [--demo-jar JAR]
#
# It builds the profiler from a git checkout of opentelemetry-ebpf-profiler (the module proxy
# does not serve it; the checkout must hold COMMIT, e.g. after
# `git fetch origin pull/1229/head`), with one local patch (rlimit-eperm.patch: without
# CAP_SYS_RESOURCE the profiler's RLIMIT_MEMLOCK raise fails, which Linux >= 5.11 does not need),
# and a small OTLP profiles receiver (ebpf-profiler-check/receiver.go) inside the same tree. It
# caches both under ${WEFT_TOOLS_CACHE:-$HOME/.cache/weft-tools}/ebpf-profiler/. It builds libweft
# (CMake, Release) and ebpf-profiler-check/weft_cpu_spans.c, runs that workload (2 threads, each
# 50 ms on CPU inside a span, 10 ms outside, printing every span's thread, trace and span id),
# runs the profiler (-samples-per-second 50, -reporter-interval 3s) exporting to the receiver,
# and compares every sample of the workload's pid with the spans it printed.
#
# Default COMMIT: 4905b24680d8d3445b42a93bbaec846b517ca188, the head of the profiler's PR #1229
# ("Add support for reading OTel thread context from native TLS", open) on 2026-07-16. The
# profiler's main (b442421a, 2026-08-21) reads the process context but neither exports its
# Resource nor reads otel_thread_ctx_v1: run it with --ref b442421a --observe-only.
#
# --demo-jar JAR runs the Weft demo instead (examples/target/weft-demo.jar, with its native/ beside
# it) with WEFT_THREADCTX_JAVA=true and SECONDS x 1,000 requests (sequential, about as many
# seconds on a loaded 2-core machine), writing its traces to a file; a sample's ids must then name a span of those traces (same trace id; the thread is not
# compared: the demo's thread.id is the JVM's), and the Resource must be the JVM's
# (telemetry.sdk.language=java). Needs java and python3 (demo_spans.py).
#
# Passes (exit 0) when the profiler sampled the workload, attached its thread-context reader to
# libweft, exported the Resource of Weft's process context (telemetry.sdk.name=weft), and
# every sample that carries a trace/span id names a span that was open on that very thread, with
# at least half of the samples carrying one (the workload is ~83 % in a span). --observe-only
# only reports (still fails on a sample naming a wrong span).
#
# Exit codes: 0 ok; 77 skipped, with the reason on stderr (not root, no BPF capabilities, no BTF,
# no tracefs, no Go, no profiler checkout or commit); 1 a real failure.
#
# Env: EBPF_PROFILER_GIT  git directory of an opentelemetry-ebpf-profiler clone
#                         (default: the first of ../opentelemetry-ebpf-profiler/.git beside the
#                         repo and /work/.mirror/open-telemetry+opentelemetry-ebpf-profiler/repo)
#      WEFT_C_BUILD       a CMake build dir of c-sdk that has libweft.so (default: builds one)
#      WEFT_EBPF_KEEP     directory that keeps the logs and outputs (default: a temp dir, removed)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=lib-tools.sh source-path=SCRIPTDIR
source "$here/lib-tools.sh"
WEFT_TOOLS_UNAVAILABLE_RC=77 # weft_require_go's "unavailable" is a skip here

skip() {
  printf 'SKIP: %s\n' "$*" >&2
  exit 77
}

ref="4905b24680d8d3445b42a93bbaec846b517ca188"
seconds=30
observe_only=0
demo_jar=""
while (($#)); do
  case "$1" in
    --ref) ref="${2:?--ref needs a commit}"; shift 2 ;;
    --seconds) seconds="${2:?--seconds needs a number}"; shift 2 ;;
    --observe-only) observe_only=1; shift ;;
    --demo-jar) demo_jar="$(readlink -f "${2:?--demo-jar needs a path}")"; shift 2 ;;
    *) weft_die "unknown argument: $1 (usage: $0 [--ref COMMIT] [--seconds N] [--observe-only] [--demo-jar JAR])" ;;
  esac
done
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || ((seconds < 10 || seconds > 600)); then
  weft_die "--seconds must be 10..600, not $seconds"
fi

if [[ -n "$demo_jar" ]]; then
  [[ -f "$demo_jar" ]] || weft_die "--demo-jar: no such file: $demo_jar"
  command -v java >/dev/null || skip "--demo-jar needs java on PATH"
  command -v python3 >/dev/null || skip "--demo-jar needs python3 on PATH"
fi

# --- can this machine run an eBPF profiler at all? ---
[[ "$(id -u)" == 0 ]] || skip "not root: the eBPF profiler loads BPF programs and perf events as root"
capeff=$((16#$(awk '/^CapEff:/{print $2}' /proc/self/status)))
for cap in 21:CAP_SYS_ADMIN 38:CAP_PERFMON 39:CAP_BPF; do
  ((capeff >> ${cap%%:*} & 1)) || skip "${cap#*:} is not in this process's effective capabilities"
done
[[ -r /sys/kernel/btf/vmlinux ]] || skip "no /sys/kernel/btf/vmlinux (the profiler needs kernel BTF)"
# What the EXIT trap undoes: processes started, a tracefs mounted, a temp dir made.
pids=()
mounted_tracefs=""
work=""
keep=1
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -n "$mounted_tracefs" ]]; then umount "$mounted_tracefs" 2>/dev/null || true; fi
  if ((!keep)) && [[ -n "$work" ]]; then rm -rf "$work"; fi
}
trap cleanup EXIT
if [[ ! -e /sys/kernel/tracing/events && ! -e /sys/kernel/debug/tracing/events ]]; then
  # The profiler attaches to sched tracepoints; a container often has tracefs unmounted.
  mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null \
    || skip "neither tracefs nor debugfs is mounted and mounting tracefs on /sys/kernel/tracing failed"
  mounted_tracefs=/sys/kernel/tracing
  weft_log "mounted tracefs on /sys/kernel/tracing (unmounted at exit)"
fi

git_dir="${EBPF_PROFILER_GIT:-}"
if [[ -z "$git_dir" ]]; then
  for d in "$repo/../opentelemetry-ebpf-profiler/.git" /work/.mirror/open-telemetry+opentelemetry-ebpf-profiler/repo; do
    [[ -d "$d" ]] && { git_dir="$d"; break; }
  done
fi
[[ -n "$git_dir" && -d "$git_dir" ]] \
  || skip "no opentelemetry-ebpf-profiler checkout: clone it and set EBPF_PROFILER_GIT to its .git (the module proxy does not serve the module)"
commit="$(git --git-dir="$git_dir" rev-parse -q --verify "$ref^{commit}" 2>/dev/null)" \
  || skip "$git_dir does not hold $ref (for PR #1229: git fetch origin pull/1229/head)"

weft_require_go
weft_go_env
export CGO_ENABLED=0

# --- build (cached) ---
cache="$(weft_tools_cache)/ebpf-profiler"
key="$(weft_hash12 "$here/ebpf-profiler-check/rlimit-eperm.patch" "$here/ebpf-profiler-check/receiver.go")"
entry="$cache/${commit:0:12}-$key"
if [[ ! -x "$entry/ebpf-profiler" || ! -x "$entry/receiver" ]]; then
  weft_log "building the profiler at $commit into $entry (go: $(go version))"
  rm -rf "$entry.tmp" && mkdir -p "$entry.tmp/src"
  git --git-dir="$git_dir" archive "$commit" | tar -x -C "$entry.tmp/src"
  for obj in tracer.ebpf.amd64 tracer.ebpf.arm64; do
    [[ -s "$entry.tmp/src/support/ebpf/$obj" ]] || weft_die "$commit has no prebuilt support/ebpf/$obj (building it needs clang; not done here)"
  done
  (cd "$entry.tmp/src" && patch -s -p1 <"$here/ebpf-profiler-check/rlimit-eperm.patch") \
    || weft_die "rlimit-eperm.patch does not apply to $commit"
  mkdir -p "$entry.tmp/src/weftcheck"
  cp "$here/ebpf-profiler-check/receiver.go" "$entry.tmp/src/weftcheck/main.go"
  if ! (cd "$entry.tmp/src" && nice -n 10 go build -o ../ebpf-profiler . && nice -n 10 go build -o ../receiver ./weftcheck); then
    if ! timeout 60 go list -m -json golang.org/x/sys@latest >/dev/null 2>&1; then
      skip "the Go module proxy ($GOPROXY) is unreachable: the profiler's dependencies cannot be downloaded"
    fi
    weft_die "building the profiler at $commit failed"
  fi
  rm -rf "$entry" && mv "$entry.tmp" "$entry"
fi
weft_log "profiler: $entry/ebpf-profiler ($commit)"

if [[ -z "$demo_jar" ]]; then
  c_build="${WEFT_C_BUILD:-}"
  if [[ -z "$c_build" ]]; then
    c_build="$cache/weft-c-build"
    nice -n 10 cmake -S "$repo/c-sdk" -B "$c_build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
    nice -n 10 cmake --build "$c_build" --target weft >/dev/null
  fi
  [[ -e "$c_build/libweft.so" ]] || weft_die "no libweft.so in $c_build"
fi

if [[ -n "${WEFT_EBPF_KEEP:-}" ]]; then
  work="$WEFT_EBPF_KEEP"
  mkdir -p "$work"
else
  keep=0
  work="$(mktemp -d)"
fi

if [[ -z "$demo_jar" ]]; then
  cc -std=c11 -O2 -Wall -Wextra -Werror -I"$repo/c-sdk/include" -I"$c_build/include" \
    -o "$work/weft_cpu_spans" "$here/ebpf-profiler-check/weft_cpu_spans.c" \
    -L"$c_build" -lweft -Wl,-rpath,"$c_build" -lpthread
fi

# --- run: workload, receiver, profiler ---
if [[ -z "$demo_jar" ]]; then
  "$work/weft_cpu_spans" "$seconds" 2 >"$work/spans.txt" 2>"$work/workload.err" &
  workload=$!
  pids+=("$workload")
  for _ in $(seq 50); do grep -q '^ready' "$work/spans.txt" 2>/dev/null && break; sleep 0.1; done
  pid="$(awk '/^ready/{print $2}' "$work/spans.txt")"
else
  WEFT_THREADCTX_JAVA=true java -Dweft.demo.output="$work/traces.jsonl" -jar "$demo_jar" \
    "$((seconds * 1000))" >"$work/demo.out" 2>"$work/workload.err" &
  workload=$!
  pids+=("$workload")
  for _ in $(seq 300); do grep -q '^libweft:' "$work/demo.out" 2>/dev/null && break; sleep 0.1; done
  grep -q '^libweft:' "$work/demo.out" && pid=$workload
fi
[[ -n "${pid:-}" ]] || weft_die "the workload did not start: $(head -c 2000 "$work/workload.err")"
lib="$(awk '$6 ~ /libweft\.so/ { print $6; exit }' "/proc/$pid/maps")"
[[ -n "$lib" ]] || weft_die "no libweft mapped in pid $pid"
"$entry/receiver" -pid "$pid" -out "$work/samples.txt" -addr-file "$work/addr" >"$work/receiver.log" 2>&1 &
pids+=("$!")
for _ in $(seq 50); do [[ -s "$work/addr" ]] && break; sleep 0.1; done
[[ -s "$work/addr" ]] || weft_die "the receiver did not start: $(cat "$work/receiver.log")"
"$entry/ebpf-profiler" -collection-agent "$(cat "$work/addr")" -disable-tls \
  -reporter-interval 3s -samples-per-second 50 -v >"$work/profiler.log" 2>&1 &
profiler=$!
pids+=("$profiler")
weft_log "workload pid $pid for ${seconds}s; profiler pid $profiler; logs in $work"
wait "$workload" || weft_die "the workload failed: $(tail -c 2000 "$work/workload.err")"
sleep 5 # one more report interval, and the profiler's flush
kill -0 "$profiler" 2>/dev/null || weft_die "the profiler exited early: $(grep -m3 -E 'level=(ERROR|FATAL)' "$work/profiler.log")"

# --- verdict ---
attached="no"
grep -q "Attached to Native thread labels interpreter in PID $pid\"" "$work/profiler.log" && attached="yes"
# the TLS access line the profiler logged just before the line naming this libweft
tls_line="$(awk -v lib="$lib" '/Native thread labels TLS access=/ { last = $0 }
  index($0, "Interpreter data Native thread labels for " lib " ") { print last; exit }' "$work/profiler.log" \
  | sed 's/.*msg="\([^"]*\)".*/\1/')"
resource="$(grep -m1 '^resource ' "$work/samples.txt" || true)"
if [[ -z "$demo_jar" ]]; then
  spans_of() { grep '^span' "$work/spans.txt"; }
  # shellcheck disable=SC2016 # an awk expression, spliced into the program below
  key='$2 " " $3 " " $4' # thread, trace, span: the span was open on that thread
  what="naming a span of that thread"
else
  python3 "$here/ebpf-profiler-check/demo_spans.py" "$work/traces.jsonl" >"$work/spans.txt"
  spans_of() { cat "$work/spans.txt"; }
  # shellcheck disable=SC2016 # an awk expression, spliced into the program below
  key='$3 " " $4' # trace, span: a span of the demo's traces
  what="naming a span of the demo"
fi
# unexported: the demo's trace is there but not that span (the demo lost it: it prints such
# traces as "N java, 0 native"); the C workload prints every span, so it has none.
read -r samples matched noids wrong unexported < <(awk '
  NR == FNR { if ($1 == "span") k[$2 " " $3 " " $4] = 1; else { k[$2 " " $3] = 1; t[$2] = 1 } next }
  $1 == "sample" { n += $5; if ($3 == "-") none += $5; else if (('"$key"') in k) ok += $5;
                   else if ($3 in t) lost += $5; else bad += $5 }
  END { printf "%d %d %d %d %d\n", n, ok, none, bad, lost }' "$work/spans.txt" "$work/samples.txt")
spans="$(spans_of | wc -l)"
echo "profiler commit:            $commit"
echo "thread-context reader:      attached to pid $pid: $attached${tls_line:+ ($tls_line)}"
echo "exported resource:          ${resource#resource }"
echo "spans recorded:             $spans"
echo "samples of pid $pid:        $samples"
printf '  %-29s %s\n' "$what:" "$matched"
echo "  without trace/span ids:       $noids"
echo "  naming a wrong span:          $wrong"
if [[ -n "$demo_jar" ]]; then
  echo "  naming a span the demo did not export, of a trace it did: $unexported"
  echo "  (the demo printed $(grep -c '^trace .*java, 0 native)' "$work/demo.out" || true) traces without their native spans)"
  echo "  samples naming a span, by the span's instrumentation scope:"
  awk 'NR == FNR { if ($1 == "jspan") scope[$2 " " $3] = $4; next }
    $1 == "sample" && (($3 " " $4) in scope) { n[scope[$3 " " $4]] += $5 }
    END { for (s in n) printf "    %-24s %d\n", s, n[s] }' "$work/spans.txt" "$work/samples.txt"
fi
fail=()
((samples > 0)) || fail+=("no sample of the workload was exported")
((wrong == 0)) || fail+=("$wrong samples name a span the workload did not record (on that thread, for the C workload)")
if ((!observe_only)); then
  [[ "$attached" == yes ]] || fail+=("the profiler did not attach its thread-context reader to the workload")
  if [[ -z "$demo_jar" ]]; then
    [[ "$resource" == *"telemetry.sdk.name=weft"* ]] || fail+=("the exported resource is not Weft's process context")
  else
    [[ "$resource" == *"telemetry.sdk.language=java"* ]] || fail+=("the exported resource is not the JVM's, published by libweft")
  fi
  if [[ -z "$demo_jar" ]]; then
    ((2 * matched >= samples)) || fail+=("fewer than half of the samples carry the span they ran in")
  else
    ((matched > 0)) || fail+=("no sample carries a span of the demo")
  fi
fi
if ((${#fail[@]})); then
  printf 'FAIL: %s\n' "${fail[@]}" >&2
  exit 1
fi
echo "OK"
