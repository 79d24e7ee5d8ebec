#!/usr/bin/env bash
# Build the local images that stand in for the official ones of
# docker-compose.yml where no registry can be reached (CI). Nothing is pulled:
#
#   otelcol  weft-local/otelcol:<v>  FROM scratch: the Collector binary that
#            build-otelcol.sh builds for the integration tests, at the path of
#            the official contrib image (/otelcol-contrib), user 10001.
#   jaeger   weft-local/jaeger:<v>   FROM scratch: the Jaeger v2 binary of
#            build-jaeger.sh at the official image's path
#            (/cmd/jaeger/jaeger-linux), user 10001, plus Debian's busybox
#            (and the glibc it links) as /bin/wget, so that the compose
#            health check (`wget ... /status`) runs as in the Alpine-based
#            official image.
#   base     weft-local/debian-jre:<suite>-<hash>  a Debian root file system
#            made here with debootstrap (--variant=minbase) from apt's own
#            mirror and suite, with openjdk-17-jre-headless from Debian.
#   demo     weft-local/demo:local   examples/Dockerfile.local on that base:
#            the demo jar and native libraries built by Maven on this machine
#            (examples/target), so run `mvn -B install -DskipTests` (or the
#            CI build) first.
#
# The image names are those of docker-compose.local-images.yml (the compose
# override that swaps them in). Tempo and Grafana have no local build (AGPL;
# this project does not build them from source): they stay official-only.
#
# Cached by content: every image carries the label dev.weft.inputs=<sha256 of
# everything it is made of>; an image whose label matches is not rebuilt. The
# debootstrap root file system (minutes to make) is also kept as a tarball in
# ${WEFT_TOOLS_CACHE:-$HOME/.cache/weft-tools}/images/, so a new Docker data
# root only re-imports it (seconds).
#
# Usage: build-local-images.sh [otelcol] [jaeger] [demo]   (default: all three;
#        demo builds base when needed)
# Env:   DOCKER_HOST         the engine (e.g. unix:///run/weft-docker/docker.sock)
#        WEFT_DEBIAN_MIRROR  mirror for debootstrap (default: apt's, from
#                            /etc/apt/sources.list{,.d/*})
#        WEFT_DEBIAN_SUITE   suite (default: VERSION_CODENAME of /etc/os-release)
# Exit codes: 0 built or cached; 3 unavailable (no engine, no Go tools, no
#             debootstrap/root, no Debian mirror; "WEFT-TOOLS-UNAVAILABLE:" on
#             stderr) -> treat as skipped; anything else is a real failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=lib-tools.sh source-path=SCRIPTDIR
source "$here/lib-tools.sh"

override="$repo/docker-compose.local-images.yml"
JRE_PACKAGE="openjdk-17-jre-headless"
LABEL="dev.weft.inputs"

command -v docker >/dev/null 2>&1 || weft_unavailable "no docker command (apt-get install docker.io)"
docker info >/dev/null 2>&1 \
  || weft_unavailable "no Docker engine answers at ${DOCKER_HOST:-the default socket}"

cache="$(weft_tools_cache)"
mkdir -p "$cache/images" "$cache/debs"

# image_of SERVICE: the image name docker-compose.local-images.yml gives SERVICE.
image_of() {
  local name
  name="$(awk -v svc="  $1:" '
    $0 == svc { in_svc = 1; next }
    in_svc && /^  [^ ]/ { in_svc = 0 }
    in_svc && $1 == "image:" { print $2; exit }' "$override")"
  [[ -n "$name" ]] || weft_die "$override has no image for service $1"
  echo "$name"
}

# up_to_date IMAGE HASH: the image exists and was built from inputs HASH.
up_to_date() {
  [[ "$(docker image inspect -f "{{index .Config.Labels \"$LABEL\"}}" "$1" 2>/dev/null)" == "$2" ]]
}

# sha_of FILE|TEXT...: sha256 (12 hex) of file contents and literal strings.
sha_of() {
  local a
  for a in "$@"; do
    if [[ -f "$a" ]]; then cat "$a"; else printf '%s\n' "$a"; fi
  done | sha256sum | cut -c1-12
}

# build_image IMAGE HASH CONTEXT: docker build CONTEXT (Dockerfile inside), labelled.
build_image() {
  local start=$SECONDS
  docker build -q --pull=false --label "$LABEL=$2" -t "$1" "${@:4}" "$3" >/dev/null \
    || weft_die "docker build of $1 failed"
  # The image this one replaces, now untagged (only ours: filtered by label).
  docker image prune -f --filter "label=$LABEL" >/dev/null || true
  weft_log "built $1 ($LABEL=$2) in $((SECONDS - start))s"
}

# tool_binary SCRIPT: path of a Go-built tool (exit 3 passes through).
tool_binary() {
  local out rc=0
  out="$(bash "$here/$1")" || rc=$?
  if ((rc == WEFT_TOOLS_UNAVAILABLE_RC)); then
    weft_unavailable "$1 could not build its binary (see above)"
  fi
  ((rc == 0)) || weft_die "$1 failed (exit $rc)"
  printf '%s\n' "$out" | tail -n 1
}

# deb PACKAGE: path of the .deb of PACKAGE's candidate version, downloaded once.
deb() {
  local version file
  version="$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')"
  [[ -n "$version" && "$version" != "(none)" ]] \
    || weft_unavailable "apt knows no package $1 (run apt-get update)"
  file="$(ls "$cache/debs/${1}_"*"${version#*:}_"*.deb 2>/dev/null | head -n 1 || true)"
  if [[ -z "$file" ]]; then
    (cd "$cache/debs" && apt-get download "$1=$version" >/dev/null 2>&1) \
      || weft_unavailable "apt-get download $1=$version failed"
    file="$(ls "$cache/debs/${1}_"*"${version#*:}_"*.deb | head -n 1)"
  fi
  echo "$file"
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

build_otelcol() {
  local image bin hash ctx
  image="$(image_of otel-collector)"
  bin="$(tool_binary build-otelcol.sh)"
  ctx="$work/otelcol"
  mkdir -p "$ctx"
  cat >"$ctx/Dockerfile" <<'EOF'
# The Go-built test Collector (integration-tests/tools/otelcol-builder.yaml),
# laid out like otel/opentelemetry-collector-contrib (distroless, no shell).
FROM scratch
COPY otelcol-contrib /otelcol-contrib
USER 10001
EXPOSE 4317 4318 13133 8888
ENTRYPOINT ["/otelcol-contrib"]
EOF
  hash="$(sha_of "$bin" "$ctx/Dockerfile")"
  if up_to_date "$image" "$hash"; then
    weft_log "cached: $image ($LABEL=$hash)"
    return
  fi
  cp "$bin" "$ctx/otelcol-contrib"
  build_image "$image" "$hash" "$ctx"
}

build_jaeger() {
  local image bin busybox libc hash ctx root
  image="$(image_of jaeger)"
  bin="$(tool_binary build-jaeger.sh)"
  busybox="$(deb busybox)"
  libc="$(deb libc6)"
  ctx="$work/jaeger"
  mkdir -p "$ctx"
  cat >"$ctx/Dockerfile" <<'EOF'
# The Go-built Jaeger v2 (integration-tests/tools/build-jaeger.sh; no embedded
# UI, complete query API) at the path of jaegertracing/jaeger, plus Debian's
# busybox for the wget of the compose health check.
FROM scratch
COPY rootfs/ /
ENV PATH=/bin
USER 10001
EXPOSE 4317 4318 16686 13133
ENTRYPOINT ["/cmd/jaeger/jaeger-linux"]
EOF
  hash="$(sha_of "$bin" "$busybox" "$libc" "$ctx/Dockerfile")"
  if up_to_date "$image" "$hash"; then
    weft_log "cached: $image ($LABEL=$hash)"
    return
  fi
  root="$ctx/rootfs"
  mkdir -p "$root/cmd/jaeger" "$root/bin" "$root/etc" "$work/deb-busybox" "$work/deb-libc"
  cp "$bin" "$root/cmd/jaeger/jaeger-linux"
  dpkg-deb -x "$busybox" "$work/deb-busybox"
  dpkg-deb -x "$libc" "$work/deb-libc"
  cp "$work/deb-busybox/bin/busybox" "$root/bin/busybox"
  ln -s busybox "$root/bin/wget"
  ln -s busybox "$root/bin/sh"
  # The dynamic loader and the libraries busybox links (libc, libresolv);
  # glibc >= 2.34 has the files and dns NSS modules built in.
  (cd "$work/deb-libc" && find . -maxdepth 3 -path './lib*' \( -name 'ld-linux*.so*' \
      -o -name 'libc.so.6' -o -name 'libresolv.so.2' -o -name 'libm.so.6' \) \
      -exec cp -a --parents {} "$root/" \;)
  ls "$root"/lib*/*/libc.so.6 >/dev/null 2>&1 || weft_die "no libc.so.6 in $libc"
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
  build_image "$image" "$hash" "$ctx"
}

# The Debian mirror apt uses for the suite (first "deb" source naming it).
debian_mirror() {
  local suite="$1" f
  if [[ -n "${WEFT_DEBIAN_MIRROR:-}" ]]; then echo "$WEFT_DEBIAN_MIRROR"; return; fi
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f "$f" ]] || continue
    # deb822 stanzas: Types/URIs/Suites/Components, blank-line separated.
    awk -v suite="$suite" '
      function flush() { if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && uris != "") { split(uris, u, " "); print u[1]; found = 1; exit } types = uris = suites = "" }
      /^[ \t]*$/ { flush(); next }
      /^Types:/ { sub(/^Types:[ \t]*/, ""); types = $0 }
      /^URIs:/ { sub(/^URIs:[ \t]*/, ""); uris = $0 }
      /^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
      END { if (!found) flush() }' "$f" | head -n 1 | grep . && return
  done
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | awk -v suite="$suite" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) == suite) { print $i; exit } }' \
    | grep . && return
  return 1
}

# base: prints the image name of the debootstrap + JRE base (builds or loads it).
build_base() {
  local suite mirror hash image tarball rootfs start
  suite="${WEFT_DEBIAN_SUITE:-$(. /etc/os-release && echo "${VERSION_CODENAME:-}")}"
  [[ -n "$suite" ]] || weft_unavailable "cannot tell the Debian suite (no VERSION_CODENAME in /etc/os-release; set WEFT_DEBIAN_SUITE)"
  mirror="$(debian_mirror "$suite")" \
    || weft_unavailable "no Debian mirror for suite $suite in apt's sources (set WEFT_DEBIAN_MIRROR)"
  hash="$(sha_of "debootstrap --variant=minbase --include=$JRE_PACKAGE $suite $mirror" "$(dpkg --print-architecture)")"
  image="weft-local/debian-jre:$suite-$hash"
  tarball="$cache/images/debian-jre-$suite-$hash.tar"
  if up_to_date "$image" "$hash"; then
    weft_log "cached: $image"
    echo "$image"
    return
  fi
  if [[ ! -s "$tarball" ]]; then
    command -v debootstrap >/dev/null 2>&1 || weft_unavailable "no debootstrap (apt-get install debootstrap)"
    [[ "$(id -u)" == 0 ]] || weft_unavailable "debootstrap needs root"
    rootfs="$work/rootfs"
    start=$SECONDS
    weft_log "debootstrap $suite from $mirror with $JRE_PACKAGE (a few minutes)"
    if ! debootstrap --variant=minbase --include="$JRE_PACKAGE" "$suite" "$rootfs" "$mirror" \
        >"$work/debootstrap.log" 2>&1; then
      tail -n 20 "$work/debootstrap.log" >&2
      if grep -Eq 'Failed getting release file|Couldn.t download|Temporary failure|Connection' "$work/debootstrap.log"; then
        weft_unavailable "debootstrap could not download from $mirror"
      fi
      weft_die "debootstrap failed (log above)"
    fi
    # What an image does not need: downloaded packages, package lists.
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/tmp/*
    tar --numeric-owner -C "$rootfs" -cf "$tarball.part" .
    mv "$tarball.part" "$tarball"
    rm -rf "$rootfs"
    weft_log "debootstrap root file system: $tarball ($(du -h "$tarball" | cut -f1)) in $((SECONDS - start))s"
  fi
  start=$SECONDS
  docker import -c "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    -c "ENV LANG=C.UTF-8" "$tarball" "$image.imported" >/dev/null \
    || weft_die "docker import of $tarball failed"
  printf 'FROM %s\nLABEL %s=%s\n' "$image.imported" "$LABEL" "$hash" >"$work/Dockerfile.base"
  docker build -q -t "$image" -f "$work/Dockerfile.base" "$work" >/dev/null \
    || weft_die "docker build of $image failed"
  docker rmi "$image.imported" >/dev/null
  weft_log "imported $image from $tarball in $((SECONDS - start))s"
  echo "$image"
}

build_demo() {
  local image base jar native hash ctx
  image="$(image_of demo)"
  jar="$repo/examples/target/weft-demo.jar"
  native="$repo/examples/target/native"
  [[ -f "$jar" && -d "$native" ]] \
    || weft_die "the demo is not built ($jar, $native/): run \`mvn -B install -DskipTests\` or the CI build first"
  base="$(build_base)"
  hash="$(sha_of "$base" "$repo/examples/Dockerfile.local" "$jar" $(find "$native" -type f | sort))"
  if up_to_date "$image" "$hash"; then
    weft_log "cached: $image ($LABEL=$hash)"
    return
  fi
  ctx="$work/demo"
  mkdir -p "$ctx"
  cp "$jar" "$ctx/weft-demo.jar"
  cp -a "$native" "$ctx/native"
  cp "$repo/examples/Dockerfile.local" "$ctx/Dockerfile"
  build_image "$image" "$hash" "$ctx" --build-arg "BASE=$base"
}

targets=("$@")
((${#targets[@]})) || targets=(otelcol jaeger demo)
for t in "${targets[@]}"; do
  case "$t" in
    otelcol) build_otelcol ;;
    jaeger) build_jaeger ;;
    demo) build_demo ;;
    base) build_base >/dev/null ;;
    *) weft_die "unknown image '$t' (otelcol, jaeger, base, demo)" ;;
  esac
done
