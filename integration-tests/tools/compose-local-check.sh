#!/usr/bin/env bash
# Bring the compose stack up for real with the local images, check the demo's
# stitched traces in Jaeger, and bring it down:
#
#   docker compose -f docker-compose.yml -f docker-compose.local-images.yml up -d
#     (Compose v2 plugin if installed, else docker-compose v1)
#   -> jaeger healthy (its compose health check), the Collector's health
#      endpoint http://127.0.0.1:13133/ answers 200, the demo (10 requests)
#      exits 0;
#   -> Jaeger's query API on http://127.0.0.1:16686 has, for service
#      weft-demo, 10 traces, each the whole tree Java -> native -> Java ->
#      native that DemoTraceIT checks (every operation once, each span's
#      parent, the side that recorded it, the native error status);
#   -> down -v (also on failure or Ctrl-C), printing the services' logs on
#      failure.
#
# This proves the compose file the user runs: service names, ports,
# environment, configuration mounts, dependencies and health checks. Tempo and
# Grafana are not started (no local build; see docker-compose.local-images.yml).
#
# Needs: the local images (build-local-images.sh), a Docker engine
# (DOCKER_HOST), a compose CLI, curl and python3; host ports 4317, 4318,
# 13133, 8888 and 16686 free on 127.0.0.1.
# Env:   WEFT_COMPOSE_TIMEOUT  seconds for each wait (default 120)
#        COMPOSE_PROJECT_NAME  default weft-local-check
# Exit codes: 0 passed; 1 failed; 3 unavailable (no engine or compose CLI;
#             "WEFT-TOOLS-UNAVAILABLE:" on stderr) -> treat as skipped.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=lib-tools.sh source-path=SCRIPTDIR
source "$here/lib-tools.sh"

timeout_s="${WEFT_COMPOSE_TIMEOUT:-120}"
export COMPOSE_PROJECT_NAME="${COMPOSE_PROJECT_NAME:-weft-local-check}"
requests=10
service=weft-demo

command -v docker >/dev/null 2>&1 || weft_unavailable "no docker command"
docker info >/dev/null 2>&1 || weft_unavailable "no Docker engine answers at ${DOCKER_HOST:-the default socket}"
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
else
  weft_unavailable "no compose CLI (docker compose plugin or docker-compose)"
fi
command -v curl >/dev/null 2>&1 || weft_die "curl is required"
command -v python3 >/dev/null 2>&1 || weft_die "python3 is required"
compose+=(-f "$repo/docker-compose.yml" -f "$repo/docker-compose.local-images.yml")

# Nothing may be pulled: every image the local stack runs must be here already.
for image in $(awk '$1 == "image:" { print $2 }' "$repo/docker-compose.local-images.yml"); do
  docker image inspect "$image" >/dev/null 2>&1 \
    || weft_unavailable "local image $image is not in the engine: build it with integration-tests/tools/build-local-images.sh"
done

for port in 4317 4318 13133 8888 16686; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    weft_die "127.0.0.1:$port is in use; the compose stack publishes it (stop what listens there)"
  fi
done

failed=1
finish() {
  if ((failed)); then
    weft_log "FAILED; the services' logs:"
    "${compose[@]}" ps >&2 || true
    "${compose[@]}" logs --no-color --tail=80 >&2 || true
  fi
  "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || weft_log "WARNING: compose down failed"
}
trap finish EXIT

# wait_for WHAT COMMAND...: retry COMMAND every second until it succeeds or the timeout.
wait_for() {
  local what="$1" start=$SECONDS
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS - start < timeout_s)) || weft_die "timed out after ${timeout_s}s waiting for $what"
    sleep 1
  done
  weft_log "$what after $((SECONDS - start))s"
}

container_of() { "${compose[@]}" ps -q "$1"; }
healthy() { [[ "$(docker inspect -f '{{.State.Health.Status}}' "$(container_of "$1")")" == healthy ]]; }
exited() { [[ "$(docker inspect -f '{{.State.Status}}' "$(container_of "$1")")" == exited ]]; }

start=$SECONDS
weft_log "${compose[*]} up -d --no-build"
"${compose[@]}" up -d --no-build
wait_for "jaeger healthy (compose health check)" healthy jaeger
wait_for "the Collector's health check http://127.0.0.1:13133/" curl -fsS http://127.0.0.1:13133/
wait_for "the demo to finish its $requests requests" exited demo
demo_rc="$(docker inspect -f '{{.State.ExitCode}}' "$(container_of demo)")"
((demo_rc == 0)) || weft_die "the demo exited with $demo_rc"
# The log is read whole first: with pipefail, grep -q quitting at its match made the writer of a
# longer log die of SIGPIPE, and the check failed on a log that said it (seen in CI).
demo_log="$("${compose[@]}" logs --no-color demo)"
grep -q "request $requests handled" <<<"$demo_log" \
  || weft_die "the demo's log does not say \"request $requests handled\""

# The demo flushed before exiting; the Collector batches for up to 1 s.
check_traces() {
  curl -fsS "http://127.0.0.1:16686/api/traces?service=$service&limit=100" | python3 -c '
import json, sys
requests = int(sys.argv[1])
java, native = "dev.weft.demo", "weft-demo-native"
# child -> (parent, side): one demo request, as in DemoTraceIT
tree = {
    "GET /frames/{id}": (None, java),
    "FrameService.transcode": ("GET /frames/{id}", java),
    "codec.process": ("FrameService.transcode", native),
    "codec.parse": ("codec.process", native),
    "codec.parse.header": ("codec.parse", native),
    "codec.validate": ("codec.process", native),
    "codec.worker.compress": ("codec.process", native),
    "progress.report": ("codec.worker.compress", java),
    "codec.upcall": ("codec.process", native),
    "metadata.enrich": ("codec.upcall", java),
    "codec.lookup": ("metadata.enrich", native),
    "codec.encode": ("FrameService.transcode", native),
}
traces = json.load(sys.stdin)["data"]
problems = []
if len(traces) != requests:
    problems.append("%d traces, expected %d" % (len(traces), requests))
for t in traces:
    tid = t["traceID"]
    spans = {}
    for s in t["spans"]:
        if s["operationName"] in spans:
            problems.append("%s: %s twice" % (tid, s["operationName"]))
        spans[s["operationName"]] = s
    if set(spans) != set(tree):
        problems.append("%s: operations %s" % (tid, sorted(spans)))
        continue
    for name, (parent, side) in tree.items():
        s = spans[name]
        refs = [(r["refType"], r["traceID"], r["spanID"]) for r in s.get("references", [])]
        want = [] if parent is None else [("CHILD_OF", tid, spans[parent]["spanID"])]
        if refs != want:
            problems.append("%s: %s has parent %s, expected %s" % (tid, name, refs, parent))
        tags = {g["key"]: g["value"] for g in s.get("tags", [])}
        if tags.get("otel.scope.name") != side:
            problems.append("%s: %s recorded by %s, expected %s" % (tid, name, tags.get("otel.scope.name"), side))
        if t["processes"][s["processID"]]["serviceName"] != "weft-demo":
            problems.append("%s: %s in service %s" % (tid, name, t["processes"][s["processID"]]["serviceName"]))
    v = {g["key"]: g["value"] for g in spans["codec.validate"].get("tags", [])}
    if v.get("error") is not True or v.get("otel.status_code") != "ERROR":
        problems.append("%s: codec.validate has no ERROR status: %s" % (tid, v))
if problems:
    print("\n".join(problems))
    sys.exit(1)
print("%d traces of %d spans each, every parent and side as expected" % (len(traces), len(tree)))
' "$requests"
}
trace_start=$SECONDS
until report="$(check_traces 2>&1)"; do
  if ((SECONDS - trace_start >= timeout_s)); then
    printf '%s\n' "$report" >&2
    weft_die "Jaeger did not show $requests complete demo traces within ${timeout_s}s (above: what was wrong)"
  fi
  sleep 1
done
weft_log "Jaeger after $((SECONDS - trace_start))s: $report"
failed=0
weft_log "PASSED in $((SECONDS - start))s: compose stack (local images) up, healthy, demo traces stitched in Jaeger"
